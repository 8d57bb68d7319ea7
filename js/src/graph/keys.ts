/**
 * Keys of the graph view: ↑ strongest output, ↓ strongest input, ←/→ next node in the row,
 * Enter select, p pin, i intervene, Escape clear the selection.
 */

import type { KeyLike } from "../lib/keyboard";
import { type Display, incoming, outgoing } from "./display";
import type { Layout } from "./layout";

export type GraphKey = "up" | "down" | "left" | "right" | "select" | "pin" | "intervene" | "clear";

export const GRAPH_KEY_HELP =
  "hover: values and edge weights · click: select · ↑ strongest output · ↓ strongest input · ←/→ next in row · Enter select · p pin · i ablate (kernel) · Esc clear";

const KEYS: Record<string, GraphKey> = {
  ArrowUp: "up",
  ArrowDown: "down",
  ArrowLeft: "left",
  ArrowRight: "right",
  Enter: "select",
  p: "pin",
  i: "intervene",
  Escape: "clear",
};

/** The action of a key press, or null when the key is not ours. */
export function graphKey(event: KeyLike): GraphKey | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  return KEYS[event.key] ?? null;
}

/** Where a move key takes the cursor from `node` (null: nowhere to go). */
export function moveCursor(key: GraphKey, node: number, display: Display, layout: Layout, rowOf: (node: number) => number): number | null {
  if (key === "up") {
    const k = outgoing(display, node)[0];
    return k === undefined ? null : display.target[k];
  }
  if (key === "down") {
    const k = incoming(display, node)[0];
    return k === undefined ? null : display.source[k];
  }
  const row = layout.rowNodes[rowOf(node)] ?? [];
  const at = row.indexOf(node);
  const next = row[at + (key === "right" ? 1 : -1)];
  return next === undefined ? null : next;
}
