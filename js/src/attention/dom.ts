/**
 * The DOM skeleton of the attention view (no data yet).
 */

import { canvasStack, make, statusBanner } from "../lib/dom";
import { buildFrame } from "../lib/frame";
import { KEY_HELP } from "../lib/keyboard";
import { Tooltip } from "../lib/tooltip";
import { ATTENTION_CSS } from "./styles";

export interface AttentionDom {
  root: HTMLDivElement;
  title: HTMLSpanElement;
  subtitle: HTMLSpanElement;
  layerSelect: HTMLSelectElement;
  status: HTMLSpanElement;
  save: HTMLButtonElement;
  heads: HTMLDivElement;
  missing: HTMLDivElement;
  body: HTMLDivElement;
  queryLabels: HTMLDivElement;
  keyLabels: HTMLDivElement;
  corner: HTMLDivElement;
  /** Holds the main heatmap and the overlay; pointer events are handled here. */
  stack: HTMLDivElement;
  main: HTMLCanvasElement;
  overlay: HTMLCanvasElement;
  strip: HTMLDivElement;
  tooltip: Tooltip;
}

/** Build the view's elements; `onSave` is the save-PNG action. */
export function buildDom(doc: Document, onSave: () => void): AttentionDom {
  const { root, title, save } = buildFrame(doc, { className: "mi-attention-view", css: ATTENTION_CSS, help: KEY_HELP, onSave });
  const layerSelect = make(doc, "select", "mi-layer-select");
  layerSelect.setAttribute("aria-label", "Layer");
  const subtitle = make(doc, "span", "mi-subtitle");
  const status = make(doc, "span", "mi-status");
  save.before(layerSelect, subtitle, status, make(doc, "span", "mi-spacer"));

  const heads = make(doc, "div", "mi-heads", root);
  heads.setAttribute("aria-label", "Heads of this layer");
  // In the page only while a layer is missing (see `showMissing`).
  const missing = statusBanner(doc);

  const body = make(doc, "div", "mi-body", root);
  const scroll = make(doc, "div", "mi-scroll", body);
  const grid = make(doc, "div", "mi-grid", scroll);
  const corner = make(doc, "div", "mi-corner", grid);
  const keyLabels = make(doc, "div", "mi-key-labels", grid);
  const queryLabels = make(doc, "div", "mi-query-labels", grid);
  const { stack, main, overlay } = canvasStack(doc, grid, { stack: "mi-canvas-stack", main: "mi-heatmap-main", overlay: "mi-heatmap-overlay" });
  const caption = make(doc, "div", "mi-axis-caption", body);
  caption.textContent = "rows: query token · columns: key token (attended to)";

  const strip = make(doc, "div", "mi-token-strip", root);
  strip.setAttribute("aria-label", "Tokens, coloured by the attention the query token pays to them");
  const tooltip = new Tooltip(root);
  return {
    root, title, subtitle, layerSelect, status, save, heads, missing, body,
    queryLabels, keyLabels, corner, stack, main, overlay, strip, tooltip,
  };
}

/** Rebuild the head thumbnails (`canvas.mi-head-thumb[data-head]` with a `H<h>` label). */
export function buildThumbs(container: HTMLDivElement, nHeads: number): HTMLCanvasElement[] {
  const doc = container.ownerDocument;
  container.replaceChildren();
  const canvases: HTMLCanvasElement[] = [];
  for (let h = 0; h < nHeads; h++) {
    const item = make(doc, "div", "mi-head", container);
    item.dataset.head = String(h);
    item.title = `Head ${h}`;
    const canvas = make(doc, "canvas", "mi-head-thumb", item);
    canvas.dataset.head = String(h);
    canvas.width = canvas.height = 1;
    const label = make(doc, "span", "mi-head-label", item);
    label.textContent = `H${h}`;
    canvases.push(canvas);
  }
  return canvases;
}
