/**
 * The feature list: a virtualised scroller whose rows (index, density, max activation, top
 * token) exist in the DOM only while in view. Rows are recycled; a row's text is set only
 * when the feature it shows changes.
 */

import { clampIndex } from "../lib/clamp";
import { formatValue } from "../lib/diverging";
import { make } from "../lib/dom";
import { shortToken, tokenTitle } from "../lib/tokens";
import { formatDensity } from "./format";
import { isDead, topToken, type Summary } from "./summary";
import { pageRows, revealScroll, ROW_HEIGHT, visibleRange } from "./virtual";

/** Viewport height assumed before layout (e.g. while the view is not attached). */
const FALLBACK_HEIGHT = 480;

interface Row {
  el: HTMLDivElement;
  cells: HTMLSpanElement[];
  feature: number;
}

export class FeatureList {
  /** The listed features, in order. */
  order: Int32Array = new Int32Array(0);
  /** Position of the keyboard cursor in `order` (-1: none). */
  cursor = -1;
  private readonly spacer: HTMLDivElement;
  private readonly rows: Row[] = [];
  private summary: Summary | null = null;
  private vocab: readonly string[] = [];
  private selected = -1;
  private embedded: ReadonlySet<number> | null = null;

  constructor(readonly viewport: HTMLDivElement) {
    this.spacer = make(viewport.ownerDocument, "div", "mi-list-spacer", viewport);
  }

  /** What to list: the summary, the vocabulary, the order and (in a report) the embedded set. */
  setData(summary: Summary, vocab: readonly string[], order: Int32Array, embedded: ReadonlySet<number> | null): void {
    this.summary = summary;
    this.vocab = vocab;
    this.order = order;
    this.embedded = embedded;
    this.spacer.style.height = `${order.length * ROW_HEIGHT}px`;
    for (const row of this.rows) row.feature = -1;
    this.cursor = Math.min(this.cursor, order.length - 1);
  }

  get height(): number {
    return this.viewport.clientHeight || FALLBACK_HEIGHT;
  }

  /** Position of feature `f` in the list, or -1. */
  positionOf(f: number): number {
    return this.order.indexOf(f);
  }

  setSelected(f: number): void {
    this.selected = f;
  }

  /** Move the cursor to `position` (clamped) and scroll it into view. */
  moveCursor(position: number): void {
    if (this.order.length === 0) return;
    this.cursor = clampIndex(position, this.order.length);
    this.reveal(this.cursor);
  }

  /** Rows in one page of the viewport. */
  get page(): number {
    return pageRows(this.height);
  }

  /** Scroll so that `position` is in view (`center`: in the middle, when it was out of view). */
  reveal(position: number, center = false): void {
    if (position < 0) return;
    const top = revealScroll(position, this.viewport.scrollTop, this.height, ROW_HEIGHT, center);
    if (top !== this.viewport.scrollTop) this.viewport.scrollTop = top;
  }

  /** Put the rows in view into the DOM (recycling row elements). */
  render(): void {
    const summary = this.summary;
    if (!summary) return;
    const { start, end } = visibleRange(this.viewport.scrollTop, this.height, this.order.length);
    const needed = end - start;
    while (this.rows.length < needed) this.rows.push(this.makeRow());
    for (let i = 0; i < this.rows.length; i++) {
      const row = this.rows[i];
      const position = start + i;
      if (position >= end) {
        row.el.hidden = true;
        row.feature = -1;
        delete row.el.dataset.feature;
        continue;
      }
      row.el.hidden = false;
      const f = this.order[position];
      if (row.feature !== f) this.fill(row, summary, f);
      row.el.style.transform = `translateY(${position * ROW_HEIGHT}px)`;
      row.el.dataset.position = String(position);
      row.el.classList.toggle("mi-current", f === this.selected);
      row.el.classList.toggle("mi-cursor", position === this.cursor);
    }
    this.viewport.dataset.rendered = String(needed);
  }

  private makeRow(): Row {
    const doc = this.viewport.ownerDocument;
    const el = make(doc, "div", "mi-feature-row", this.viewport);
    el.setAttribute("role", "option");
    const cells = ["mi-fr-index", "mi-fr-density", "mi-fr-max", "mi-fr-token mi-tok"].map((c) => make(doc, "span", c, el));
    return { el, cells, feature: -1 };
  }

  private fill(row: Row, s: Summary, f: number): void {
    row.feature = f;
    const [index, density, max, token] = row.cells;
    const dead = isDead(s, f);
    const top = topToken(s, f);
    const text = top >= 0 ? this.vocab[top] ?? "" : "";
    index.textContent = String(f);
    density.textContent = formatDensity(s.density[f]);
    max.textContent = dead ? "" : formatValue(s.max[f]);
    token.textContent = top >= 0 ? shortToken(text, 16) : "";
    token.title = top >= 0 ? tokenTitle(text) : "";
    row.el.dataset.feature = String(f);
    row.el.classList.toggle("mi-dead", dead);
    row.el.classList.toggle("mi-not-embedded", this.embedded !== null && !this.embedded.has(f));
  }
}
