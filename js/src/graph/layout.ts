/**
 * Where shown nodes sit: rows by layer, bottom to top (embeddings, blocks 0 .. n_layers - 1,
 * logits), columns by token position, left to right. The nodes of one (row, position) cell
 * fill a small grid, features before errors, larger activations first; logits spread over
 * the top row around their position; a supernode sits at the centre of its members.
 */

import type { GraphData } from "./data";
import type { Display } from "./display";
import { ERROR, FEATURE, LOGIT } from "./model";

export const MARGIN = { left: 8, right: 8, top: 34, bottom: 8 };
/** Width of a logit's slot in the top row (px). */
export const LOGIT_SLOT = 64;

export interface Layout {
  width: number;
  height: number;
  rows: number;
  columnWidth: number;
  rowHeight: number;
  /** Centre of each shown node (by shown number: graph nodes, then supernodes). */
  x: Map<number, number>;
  y: Map<number, number>;
  /** Radius of a graph node's mark (px). */
  radius: number;
  /** Shown nodes of each row, left to right. */
  rowNodes: number[][];
}

/** Row of graph node `i`: 0 embeddings, `layer + 1` for blocks, `n_layers + 1` logits. */
export function rowOf(g: GraphData, i: number): number {
  return g.layer[i] + 1;
}

/** Lay out `display` on a `width × height` canvas for `nPositions` tokens and `nLayers` blocks. */
export function layout(g: GraphData, display: Display, nPositions: number, nLayers: number, width: number, height: number): Layout {
  const rows = nLayers + 2;
  const inner = { w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const columnWidth = inner.w / Math.max(1, nPositions);
  const rowHeight = inner.h / rows;
  const cells = new Map<number, number[]>();
  const logits: number[] = [];
  for (const node of display.nodes) {
    if (node >= g.n) continue;
    if (g.kind[node] === LOGIT) logits.push(node);
    else pushTo(cells, rowOf(g, node) * nPositions + g.position[node], node);
  }
  const x = new Map<number, number>();
  const y = new Map<number, number>();
  const rowY = (row: number) => MARGIN.top + (rows - 1 - row) * rowHeight;
  let densest = 1;
  for (const members of cells.values()) densest = Math.max(densest, members.length);
  const perRow = Math.max(1, Math.ceil(Math.sqrt((densest * columnWidth) / Math.max(1, rowHeight))));
  const spacing = Math.min(columnWidth / perRow, rowHeight / Math.ceil(densest / perRow));
  const radius = Math.max(1.5, Math.min(7, spacing * 0.38));
  for (const [cell, members] of cells) {
    const row = Math.floor(cell / nPositions);
    const position = cell % nPositions;
    members.sort((a, b) => order(g, a) - order(g, b) || a - b);
    const across = Math.min(perRow, members.length);
    const down = Math.ceil(members.length / across);
    const left = MARGIN.left + position * columnWidth + (columnWidth - across * spacing) / 2;
    const top = rowY(row) + (rowHeight - down * spacing) / 2;
    members.forEach((node, j) => {
      x.set(node, left + ((j % across) + 0.5) * spacing);
      y.set(node, top + (Math.floor(j / across) + 0.5) * spacing);
    });
  }
  logits.sort((a, b) => g.activation[b] - g.activation[a] || a - b);
  const slot = Math.min(LOGIT_SLOT, inner.w / Math.max(1, logits.length));
  const centre = logits.length ? MARGIN.left + (g.position[logits[0]] + 0.5) * columnWidth : 0;
  const start = Math.min(Math.max(MARGIN.left, centre - (logits.length * slot) / 2), width - MARGIN.right - logits.length * slot);
  logits.forEach((node, j) => {
    x.set(node, start + (j + 0.5) * slot);
    y.set(node, rowY(rows - 1) + rowHeight * 0.6);
  });
  display.supernodes.forEach((group, s) => {
    let sx = 0;
    let sy = 0;
    for (const m of group.members) {
      sx += MARGIN.left + (g.position[m] + 0.5) * columnWidth;
      sy += rowY(rowOf(g, m)) + rowHeight / 2;
    }
    x.set(g.n + s, sx / group.members.length);
    y.set(g.n + s, sy / group.members.length);
  });
  const rowNodes: number[][] = Array.from({ length: rows }, () => []);
  for (const node of display.nodes) rowNodes[shownRow(g, display, node)].push(node);
  for (const list of rowNodes) list.sort((a, b) => (x.get(a) ?? 0) - (x.get(b) ?? 0) || (y.get(a) ?? 0) - (y.get(b) ?? 0));
  return { width, height, rows, columnWidth, rowHeight, x, y, radius, rowNodes };
}

/** The row of a shown node (a supernode: its first member's). */
export function shownRow(g: GraphData, display: Display, node: number): number {
  return rowOf(g, node < g.n ? node : display.supernodes[node - g.n].members[0]);
}

/** Features first (largest activation first), then errors, then the rest. */
function order(g: GraphData, i: number): number {
  if (g.kind[i] === FEATURE) return -Math.abs(g.activation[i]) - 1e9;
  return g.kind[i] === ERROR ? 0 : 1;
}

function pushTo(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
