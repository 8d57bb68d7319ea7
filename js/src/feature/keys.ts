/**
 * Keys of the feature dashboard, as a pure mapping from key events to actions:
 * ↑/↓ move the cursor in the list, PageUp/PageDown a page, Home/End to the ends, Enter
 * selects the cursor's feature, ←/→ select the previous/next listed feature, / focuses the
 * search box, Escape clears the search (in the box) or leaves it.
 */

import type { KeyLike } from "../lib/keyboard";

export type ListKey =
  | { kind: "move"; delta: number }
  | { kind: "page"; delta: number }
  | { kind: "edge"; end: boolean }
  | { kind: "step"; delta: number }
  | { kind: "select" }
  | { kind: "search" }
  | { kind: "escape" };

export const FEATURE_KEY_HELP =
  "↑/↓ move in the list · Enter select · ←/→ previous/next feature · / search · Esc clear search · hover for values";

/** The action of a key press; `inSearch`: the search box has the focus (it keeps text keys). */
export function listKey(event: KeyLike, inSearch: boolean): ListKey | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  switch (event.key) {
    case "ArrowUp":
      return { kind: "move", delta: -1 };
    case "ArrowDown":
      return { kind: "move", delta: 1 };
    case "PageUp":
      return { kind: "page", delta: -1 };
    case "PageDown":
      return { kind: "page", delta: 1 };
    case "Enter":
      return { kind: "select" };
    case "Escape":
      return { kind: "escape" };
  }
  if (inSearch) return null;
  switch (event.key) {
    case "Home":
      return { kind: "edge", end: false };
    case "End":
      return { kind: "edge", end: true };
    case "ArrowLeft":
      return { kind: "step", delta: -1 };
    case "ArrowRight":
      return { kind: "step", delta: 1 };
    case "/":
      return { kind: "search" };
  }
  return null;
}

/** What the list needs for navigation (a `FeatureList`). */
export interface ListCursor {
  readonly order: Int32Array;
  cursor: number;
  readonly page: number;
  positionOf(f: number): number;
  moveCursor(position: number): void;
}

/** Move the list's cursor for a move/page/edge key; for step/select, the feature to select. */
export function navigate(action: ListKey, list: ListCursor, feature: number): number | null {
  const order = list.order;
  const from = list.cursor >= 0 ? list.cursor : list.positionOf(feature);
  switch (action.kind) {
    case "move":
      list.moveCursor(from < 0 ? (action.delta > 0 ? 0 : order.length - 1) : from + action.delta);
      return null;
    case "page":
      list.moveCursor(Math.max(from, 0) + action.delta * list.page);
      return null;
    case "edge":
      list.moveCursor(action.end ? order.length - 1 : 0);
      return null;
    case "step": {
      if (!order.length) return null;
      const at = list.positionOf(feature);
      return order[at < 0 ? 0 : Math.min(order.length - 1, Math.max(0, at + action.delta))];
    }
    case "select": {
      const position = Math.max(list.cursor, 0);
      return position < order.length ? order[position] : null;
    }
  }
  return null;
}
