/**
 * The DOM skeleton of the lens view around its grid (no data yet).
 */

import { make } from "../lib/dom";
import { type Frame, frameLine } from "../lib/frame";
import type { LensGrid } from "./grid";

export interface LensDom {
  title: HTMLSpanElement;
  select: HTMLSelectElement;
  save: HTMLButtonElement;
  selection: HTMLDivElement;
  legendBar: HTMLCanvasElement;
  chartTitle: HTMLHeadingElement;
  chart: HTMLCanvasElement;
  note: HTMLDivElement;
}

/** Fill the frame with the target select, the grid with its legend, and the chart panel. */
export function buildDom(frame: Frame, grid: LensGrid): LensDom {
  const { root, title, save } = frame;
  const doc = root.ownerDocument;
  const label = make(doc, "label", "");
  label.textContent = "target ";
  const select = make(doc, "select", "mi-target-select", label);
  select.setAttribute("aria-label", "Target token charted per layer");
  save.before(label);
  const selection = frameLine(frame, "mi-selection", true);

  const body = make(doc, "div", "mi-lens-body", root);
  const left = make(doc, "div", "mi-lens-scroll", body);
  left.appendChild(grid.el);
  const legend = make(doc, "div", "mi-lens-legend", left);
  make(doc, "span", "", legend).textContent = "top-1 probability  0";
  const legendBar = make(doc, "canvas", "mi-lens-legend-bar", legend);
  make(doc, "span", "", legend).textContent = "1";

  const panel = make(doc, "div", "mi-panel mi-lens-panel", body);
  const chartTitle = make(doc, "h4", "mi-lens-chart-title", panel);
  const chart = make(doc, "canvas", "mi-lens-chart", panel);
  chart.setAttribute("role", "img");
  const note = make(doc, "div", "mi-lens-note", panel);
  return { title, select, save, selection, legendBar, chartTitle, chart, note };
}

const shownOptions = new WeakMap<HTMLSelectElement, string>();

/** Rebuild the target `<select>` (value = candidate, text = quoted token and why) and select `current`. */
export function setTargetOptions(select: HTMLSelectElement, options: readonly { value: number; text: string }[], current: number): void {
  const key = options.map((o) => `${o.value}\u0000${o.text}`).join("\u0001");
  if (shownOptions.get(select) !== key) {
    select.replaceChildren(
      ...options.map(({ value, text }) => {
        const option = select.ownerDocument.createElement("option");
        option.value = String(value);
        option.textContent = text;
        return option;
      }),
    );
    shownOptions.set(select, key);
  }
  select.value = String(current);
}
