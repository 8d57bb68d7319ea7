/**
 * The feature dashboard's pointer and form events: the list, the controls, the neighbours,
 * the probe form, tooltips over the panels and the histogram.
 */

import type { ListenTo } from "../lib/controller";
import { closestTarget, dataIndex } from "../lib/events";
import type { FeatureDom } from "./dom";

/** What the events do; the controller implements it. */
export interface FeatureActions {
  /** The list scrolled: draw the rows now in view. */
  scrolledList(): void;
  /** A click on the list row at `position`, which shows feature `f`. */
  clickedRow(position: number, f: number): void;
  showRowTip(f: number, x: number, y: number): void;
  /** Select feature `f` (ignored when out of range). */
  pick(f: number): void;
  searched(query: string): void;
  /** The sort select changed to `value` (`"<sort>:asc|desc"`). */
  sorted(value: string): void;
  hidDead(hide: boolean): void;
  runProbe(): void;
  showProbeTip(t: number, x: number, y: number): void;
  /** The pointer is over the histogram at viewport (x, y), or left it (null). */
  hoverHistogram(at: { x: number; y: number } | null): void;
}

/** Bind the view's events to `actions`. */
export function bindFeatureEvents(dom: FeatureDom, on: ListenTo, actions: FeatureActions): void {
  const { list, search, sort, hideDead, nearest, probeInput, probeRun, histogram, panels, probeText, tooltip } = dom;
  const rowSelector = ".mi-feature-row[data-feature]";
  on(list, "scroll", () => actions.scrolledList());
  on(list, "click", (event) => {
    const row = closestTarget(event, rowSelector);
    if (row) actions.clickedRow(Number(row.dataset.position), Number(row.dataset.feature));
  });
  on(list, "mouseover", (event) => {
    const f = dataIndex(event, rowSelector, "feature");
    if (f !== null) actions.showRowTip(f, event.clientX, event.clientY);
  });
  on(list, "mouseleave", () => tooltip.hide());
  on(nearest, "click", (event) => {
    const f = dataIndex(event, "[data-feature]", "feature");
    if (f !== null) actions.pick(f);
  });
  on(search, "input", () => actions.searched(search.value));
  on(sort, "change", () => actions.sorted(sort.value));
  on(hideDead, "change", () => actions.hidDead(hideDead.checked));
  on(probeRun, "click", () => actions.runProbe());
  on(probeInput, "keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      actions.runProbe();
    }
  });
  on(panels, "mouseover", (event) => {
    const probeToken = dataIndex(event, ".mi-probe-text .mi-ntok");
    const span = closestTarget(event, ".mi-ntok[data-value]");
    const tip = closestTarget(event, "[data-tip]");
    if (probeToken !== null) actions.showProbeTip(probeToken, event.clientX, event.clientY);
    else if (span) tooltip.show(`${span.title}\nactivation ${span.dataset.value}`, event.clientX, event.clientY, { value: span.dataset.value ?? "" });
    else if (tip) tooltip.show(tip.dataset.tip ?? "", event.clientX, event.clientY);
    else tooltip.hide();
  });
  on(panels, "mouseleave", () => tooltip.hide());
  on(probeText, "mouseleave", () => tooltip.hide());
  on(histogram, "mousemove", (event) => actions.hoverHistogram({ x: event.clientX, y: event.clientY }));
  on(histogram, "mouseleave", () => actions.hoverHistogram(null));
}
