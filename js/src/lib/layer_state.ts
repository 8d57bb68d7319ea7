/**
 * How a view whose data come one layer at a time shows that layer's load state: a status
 * while it loads (the view dimmed), a banner when it is missing (the view's panels hidden).
 */

import type { Decoded } from "./binary";
import { showBanner } from "./dom";
import { type Loaded, notEmbedded } from "./loader";

export interface LayerStateDom {
  root: HTMLElement;
  /** Says "loading layer l…" while the layer loads. */
  status: HTMLElement;
  /** The banner shown (before `anchor`) while the layer is missing. */
  missing: HTMLElement;
  anchor: HTMLElement;
  /** Hidden while the layer is missing. */
  panels: HTMLElement[];
}

/** The page's sentence for a layer that could not be had. */
export function missingLayerText(layer: number, reason: string): string {
  return notEmbedded(reason) ? `Layer ${layer} is not embedded in this report` : `Layer ${layer} is not available: ${reason}`;
}

/** Show the state of `layer`; returns its data when ready, else null. */
export function showLayerState(dom: LayerStateDom, layer: number, state: Loaded<Decoded>): Decoded | null {
  const { root, status, missing, anchor, panels } = dom;
  root.classList.toggle("mi-loading", state.kind === "loading");
  status.textContent = state.kind === "loading" ? `loading layer ${layer}…` : "";
  showBanner(missing, anchor, state.kind === "missing" ? missingLayerText(layer, state.reason) : null);
  for (const panel of panels) panel.hidden = state.kind === "missing";
  if (state.kind === "missing") {
    root.dataset.state = "missing";
    root.dataset.ready = "true";
  } else if (state.kind === "loading") {
    root.dataset.state = "loading";
  }
  return state.kind === "ready" ? state.data : null;
}
