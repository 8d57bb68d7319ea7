/**
 * Interval examples: one group per activation interval, highest first, labelled with its
 * range and how many activations fell in it, each with the examples drawn from it. A group's
 * rows are built when it comes near the scrolled view (most are below it), so switching
 * features builds only what can be seen.
 */

import { formatValue } from "../lib/diverging";
import { ExampleList } from "../lib/examples";
import { make } from "../lib/dom";
import { formatCount } from "./format";
import type { IntervalGroup } from "./layout";

/** How far below (or above) the scrolled view a group's rows are built, px. */
const MARGIN = "150px 0px";

/** `(low, high] · count activations`. */
export function intervalLabel(group: IntervalGroup): string {
  const n = group.count;
  return `(${formatValue(group.low)}, ${formatValue(group.high)}] · ${formatCount(n)} activation${n === 1 ? "" : "s"}`;
}

export class IntervalsPanel {
  private groups: readonly IntervalGroup[] = [];
  private lists: (ExampleList | null)[] = [];
  private colours: { scale: number; dark: boolean } | null = null;
  private readonly observer: IntersectionObserver | null;

  /** `scroller`: the scrolled element the panel lives in. */
  constructor(
    private readonly el: HTMLElement,
    scroller: HTMLElement,
  ) {
    const View = el.ownerDocument.defaultView as (Window & typeof globalThis) | null;
    this.observer = View?.IntersectionObserver
      ? new View.IntersectionObserver((entries) => this.onVisible(entries), { root: scroller, rootMargin: MARGIN })
      : null;
  }

  /** Show the groups (an empty interval says so instead of listing rows). */
  set(groups: readonly IntervalGroup[]): void {
    const doc = this.el.ownerDocument;
    this.observer?.disconnect();
    this.groups = groups;
    this.lists = groups.map(() => null);
    const boxes = groups.map((group, i) => {
      const box = doc.createElement("div");
      box.className = "mi-interval";
      box.dataset.interval = String(group.interval);
      box.dataset.count = String(group.count);
      box.dataset.group = String(i);
      make(doc, "div", "mi-interval-label", box).textContent = intervalLabel(group);
      make(doc, "div", "mi-examples-rows", box);
      return box;
    });
    this.el.replaceChildren(...boxes);
    for (const [i, box] of boxes.entries()) {
      if (this.observer && this.groups[i].rows.length) this.observer.observe(box);
      else this.build(i);
    }
  }

  paint(scale: number, dark: boolean): void {
    this.colours = { scale, dark };
    for (const list of this.lists) list?.paint(scale, dark);
  }

  dispose(): void {
    this.observer?.disconnect();
  }

  private onVisible(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      this.observer?.unobserve(entry.target);
      this.build(Number((entry.target as HTMLElement).dataset.group));
    }
  }

  /** Put group `i`'s rows into its box and colour them. */
  private build(i: number): void {
    const box = this.el.children[i] as HTMLElement | undefined;
    const group = this.groups[i];
    const rows = box?.querySelector<HTMLElement>(".mi-examples-rows");
    if (!box || !rows || !group || this.lists[i]) return;
    const list = new ExampleList(rows);
    list.set(group.rows);
    if (!group.rows.length) make(box.ownerDocument, "div", "mi-examples-status", box).textContent = "no examples in this interval";
    if (this.colours) list.paint(this.colours.scale, this.colours.dark);
    this.lists[i] = list;
    box.dataset.built = "true";
  }
}
