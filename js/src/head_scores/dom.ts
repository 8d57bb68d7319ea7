/**
 * The DOM skeleton of the head-scores view (no data yet).
 */

import { canvasStack, make } from "../lib/dom";
import { buildFrame, frameLine } from "../lib/frame";
import { Tooltip } from "../lib/tooltip";
import { SCORE_KEY_HELP, scoreLabel } from "./format";
import { buildLegend, type LegendDom } from "./legend";
import { buildSourceSwitch, type SourceSwitch } from "./source_switch";
import { HEAD_SCORES_CSS } from "./styles";

export interface HeadScoresDom {
  root: HTMLDivElement;
  title: HTMLSpanElement;
  select: HTMLSelectElement;
  /** "Scores on: given | this text" (hidden without the text's scores). */
  sources: SourceSwitch;
  selection: HTMLDivElement;
  save: HTMLButtonElement;
  layerLabels: HTMLDivElement;
  headLabels: HTMLDivElement;
  /** Holds the grid and its overlay; pointer events are handled here. */
  stack: HTMLDivElement;
  grid: HTMLCanvasElement;
  overlay: HTMLCanvasElement;
  legend: LegendDom;
  tooltip: Tooltip;
}

/** Build the view's elements; `onSave` is the save-PNG action. */
export function buildDom(doc: Document, onSave: () => void): HeadScoresDom {
  const frame = buildFrame(doc, { className: "mi-head-scores-view", css: HEAD_SCORES_CSS, help: SCORE_KEY_HELP, onSave });
  const { root, title, save } = frame;
  const select = make(doc, "select", "mi-score-select");
  select.setAttribute("aria-label", "Score");
  save.before(select);
  const sources = buildSourceSwitch(doc);
  frame.help.before(sources.el);
  const selection = frameLine(frame, "mi-selection", true);

  const body = make(doc, "div", "mi-score-body", root);
  make(doc, "div", "mi-score-corner", body).textContent = "layer \\ head";
  const headLabels = make(doc, "div", "mi-score-head-labels", body);
  const layerLabels = make(doc, "div", "mi-score-layer-labels", body);
  const { stack, main: grid, overlay } = canvasStack(doc, body, { stack: "mi-score-stack", main: "mi-score-grid", overlay: "mi-score-overlay" });
  make(doc, "div", "mi-axis-caption", root).textContent =
    "rows: layer · columns: head · each cell is one attention head";
  const legend = buildLegend(doc);
  root.appendChild(legend.el);
  const tooltip = new Tooltip(root);
  return { root, title, select, sources, selection, save, layerLabels, headLabels, stack, grid, overlay, legend, tooltip };
}

/** Rebuild the score `<select>` (value = name, text = label) and select `score`. */
export function setScoreOptions(select: HTMLSelectElement, names: readonly string[], score: string): void {
  const current = [...select.options].map((o) => o.value);
  if (current.length !== names.length || current.some((value, i) => value !== names[i])) {
    select.replaceChildren(
      ...names.map((name) => {
        const option = select.ownerDocument.createElement("option");
        option.value = name;
        option.textContent = scoreLabel(name);
        return option;
      }),
    );
  }
  select.value = score;
}

/**
 * Rebuild the axis labels: rows show the model layer, columns the head; every `step`-th
 * label has text (the others keep the spacing).
 */
export function buildAxisLabels(dom: HeadScoresDom, layerLabels: readonly number[], heads: number, cell: number, step: number): void {
  const doc = dom.root.ownerDocument;
  const label = (text: string, index: number, axis: "layer" | "head") => {
    const el = doc.createElement("div");
    el.className = `mi-score-label mi-score-${axis}-label`;
    el.dataset.index = String(index);
    if (axis === "layer") el.style.height = el.style.lineHeight = `${cell}px`;
    else el.style.width = `${cell}px`;
    if (index % step === 0) el.textContent = text;
    return el;
  };
  dom.layerLabels.replaceChildren(...layerLabels.map((l, i) => label(String(l), i, "layer")));
  dom.headLabels.replaceChildren(...Array.from({ length: heads }, (_, h) => label(String(h), h, "head")));
}

/** Mark the selected row and column labels. */
export function markAxisLabels(dom: HeadScoresDom, layer: number, head: number): void {
  for (const el of dom.root.querySelectorAll<HTMLElement>(".mi-score-label.mi-selected")) el.classList.remove("mi-selected");
  dom.layerLabels.children[layer]?.classList.add("mi-selected");
  dom.headLabels.children[head]?.classList.add("mi-selected");
}
