/**
 * Painting the graph: every shown edge on the main canvas in a few strokes (edges bucketed by
 * sign and magnitude: width and opacity grow with |weight|, red positive, blue negative),
 * then the nodes by kind; the overlay holds the hovered and selected nodes' edges.
 */

import { rgb } from "../lib/colormap";
import { DARK_DIVERGING, LIGHT_DIVERGING, divergingIndex, scaleFor } from "../lib/diverging";
import type { ThemeColors } from "../lib/theme";
import { shortToken } from "../lib/tokens";
import type { GraphData } from "./data";
import { type Display, incoming, outgoing } from "./display";
import type { Layout } from "./layout";
import { EMBEDDING, ERROR, FEATURE, LOGIT } from "./model";

const BUCKETS = 6;
/** Edges drawn with widths by |weight|; weaker ones are drawn 1 px wide (fast to stroke). */
export const WIDE_EDGES = 2_000;
/** Edges drawn at most, the strongest first (hover and selection still show any node's edges). */
export const DRAWN_EDGES = 20_000;
/** Edges of a hovered node drawn with widths (its strongest, half in and half out). */
const HOVER_WIDE = 24;

export interface Paint {
  g: GraphData;
  display: Display;
  layout: Layout;
  colors: ThemeColors;
  dark: boolean;
  pinned: ReadonlySet<number>;
  logitTokens: readonly string[];
  /** Colour scales: largest |weight| of the shown edges, largest |activation| of the features. */
  scales: Scales;
}

export interface Scales {
  edge: number;
  activation: number;
}

/** Colours of positive and negative edges in a theme. */
export function edgeColors(dark: boolean): { positive: string; negative: string } {
  const ramp = dark ? DARK_DIVERGING : LIGHT_DIVERGING;
  return { positive: rgb(ramp[220]), negative: rgb(ramp[35]) };
}

/** The colour scales of `display` (1 where there is nothing to scale). */
export function scalesOf(g: GraphData, display: Display): Scales {
  let edge = 0;
  for (let k = 0; k < display.weight.length; k++) edge = Math.max(edge, Math.abs(display.weight[k]));
  let activation = 0;
  for (let i = 0; i < g.n; i++) if (g.kind[i] === FEATURE) activation = Math.max(activation, Math.abs(g.activation[i]));
  return { edge: scaleFor(edge), activation: scaleFor(activation) };
}

/** Draw edges and nodes onto `canvas` (sized to the layout, device pixels `ratio`). */
export function paintGraph(canvas: HTMLCanvasElement, p: Paint, ratio: number): void {
  const { layout } = p;
  canvas.width = Math.round(layout.width * ratio);
  canvas.height = Math.round(layout.height * ratio);
  canvas.style.width = `${layout.width}px`;
  canvas.style.height = `${layout.height}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = p.colors.bg;
  ctx.fillRect(0, 0, layout.width, layout.height);
  paintRows(ctx, p);
  const { order } = p.display;
  paintEdges(ctx, p, order.subarray(WIDE_EDGES, DRAWN_EDGES), 1, 0);
  paintEdges(ctx, p, order.subarray(0, WIDE_EDGES), 1);
  paintNodes(ctx, p, p.display.nodes);
}

function paintRows(ctx: CanvasRenderingContext2D, p: Paint): void {
  const { layout, colors } = p;
  ctx.font = "10px ui-monospace, Menlo, Consolas, monospace";
  ctx.textBaseline = "top";
  ctx.fillStyle = colors.muted;
  for (let row = 0; row < layout.rows; row++) {
    const top = 34 + (layout.rows - 1 - row) * layout.rowHeight;
    const label = row === 0 ? "emb" : row === layout.rows - 1 ? "logits" : `L${row - 1}`;
    ctx.fillText(label, 2, top + 2);
    ctx.fillRect(0, top, layout.width, 0.5);
  }
}

/** Segments stroked per path: long paths of crossing lines are slow to stroke. */
const CHUNK = 128;

/**
 * Draw the edges `which`, opacity times `alpha`, widths times `widen` (0: every edge 1 px wide,
 * the weakest first under the others).
 */
export function paintEdges(ctx: CanvasRenderingContext2D, p: Paint, which: ArrayLike<number>, alpha: number, widen = 1): void {
  const { display, layout } = p;
  const scale = p.scales.edge;
  const { positive, negative } = edgeColors(p.dark);
  const paths = [0, 1].map(() => Array.from({ length: BUCKETS }, () => new Path2D()));
  const counts = new Int32Array(2 * BUCKETS);
  const stroke = (sign: number, bucket: number) => {
    const m = (bucket + 1) / BUCKETS;
    ctx.strokeStyle = sign === 0 ? positive : negative;
    ctx.globalAlpha = Math.min(1, (0.12 + 0.7 * m) * alpha);
    ctx.lineWidth = widen === 0 ? 1 : (0.5 + 3.5 * m) * widen;
    ctx.stroke(paths[sign][bucket]);
    paths[sign][bucket] = new Path2D();
    counts[sign * BUCKETS + bucket] = 0;
  };
  for (let j = 0; j < which.length; j++) {
    const k = which[j];
    const w = display.weight[k];
    const bucket = Math.min(BUCKETS - 1, Math.floor((Math.abs(w) / scale) * BUCKETS));
    const sign = w >= 0 ? 0 : 1;
    const path = paths[sign][bucket];
    const s = display.source[k];
    const t = display.target[k];
    path.moveTo(layout.x.get(s) ?? 0, layout.y.get(s) ?? 0);
    path.lineTo(layout.x.get(t) ?? 0, layout.y.get(t) ?? 0);
    if (++counts[sign * BUCKETS + bucket] === CHUNK) stroke(sign, bucket);
  }
  for (let sign = 0; sign < 2; sign++) for (let b = 0; b < BUCKETS; b++) if (counts[sign * BUCKETS + b]) stroke(sign, b);
  ctx.globalAlpha = 1;
}

/**
 * Draw the nodes `nodes` (shown numbers): pin rings, then the marks of one colour filled as
 * one path, every outline stroked as one path, then logits and supernodes.
 */
export function paintNodes(ctx: CanvasRenderingContext2D, p: Paint, nodes: readonly number[]): void {
  const { g, layout, colors, dark } = p;
  const ramp = dark ? DARK_DIVERGING : LIGHT_DIVERGING;
  const r = layout.radius;
  const fills = new Map<string, Path2D>();
  const outlines = new Path2D();
  const pins = new Path2D();
  const fillOf = (color: string) => {
    const path = fills.get(color) ?? new Path2D();
    fills.set(color, path);
    return path;
  };
  /** Logits and supernodes, drawn one by one with their text. */
  const marked: number[] = [];
  for (const node of nodes) {
    const x = layout.x.get(node) ?? 0;
    const y = layout.y.get(node) ?? 0;
    if (p.pinned.has(node)) {
      pins.moveTo(x + r + 3, y);
      pins.arc(x, y, r + 3, 0, 2 * Math.PI);
    }
    const kind = node < g.n ? g.kind[node] : LOGIT;
    if (kind === LOGIT) {
      marked.push(node);
      continue;
    }
    const color = kind === FEATURE ? rgb(ramp[divergingIndex(g.activation[node], p.scales.activation)]) : kind === ERROR ? colors.muted : colors.bg;
    for (const path of [fillOf(color), outlines]) addMark(path, kind, x, y, r);
  }
  // pin rings first: where marks crowd, a neighbour's mark stays visible over a ring
  ctx.strokeStyle = colors.accent;
  ctx.lineWidth = 2;
  ctx.stroke(pins);
  for (const [color, path] of fills) {
    ctx.fillStyle = color;
    ctx.fill(path);
  }
  ctx.lineWidth = 1;
  ctx.strokeStyle = colors.fg;
  if (r > 2.5) ctx.stroke(outlines);
  ctx.strokeStyle = colors.fg;
  ctx.font = "11px ui-monospace, Menlo, Consolas, monospace";
  ctx.textAlign = "center";
  for (const node of marked) {
    const x = layout.x.get(node) ?? 0;
    const y = layout.y.get(node) ?? 0;
    if (node >= g.n) paintSupernode(ctx, p, node, x, y);
    else paintLogit(ctx, p, node, x, y);
  }
  ctx.textAlign = "start";
}

/** Add the mark of a feature (circle), error (square) or embedding (diamond) at (x, y) to `path`. */
function addMark(path: Path2D, kind: number, x: number, y: number, r: number): void {
  if (kind === FEATURE) {
    path.moveTo(x + r, y);
    path.arc(x, y, r, 0, 2 * Math.PI);
  } else if (kind === ERROR) path.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (kind === EMBEDDING) {
    path.moveTo(x, y - r * 1.3);
    path.lineTo(x + r * 1.3, y);
    path.lineTo(x, y + r * 1.3);
    path.lineTo(x - r * 1.3, y);
    path.closePath();
  }
}

/** A logit: a box filled to its probability, its token and probability above (canvas text). */
function paintLogit(ctx: CanvasRenderingContext2D, p: Paint, node: number, x: number, y: number): void {
  const { g, colors, dark } = p;
  const ramp = dark ? DARK_DIVERGING : LIGHT_DIVERGING;
  const w = 14;
  const h = 18;
  const probability = g.activation[node];
  ctx.fillStyle = colors.bg;
  ctx.fillRect(x - w / 2, y - h / 2, w, h);
  ctx.fillStyle = rgb(ramp[220]);
  const filled = Math.max(1, h * (Number.isFinite(probability) ? probability : 0));
  ctx.fillRect(x - w / 2, y + h / 2 - filled, w, filled);
  ctx.strokeRect(x - w / 2 + 0.5, y - h / 2 + 0.5, w - 1, h - 1);
  const token = p.logitTokens[node - (g.n - p.logitTokens.length)] ?? "";
  ctx.textBaseline = "alphabetic";
  ctx.fillStyle = colors.fg;
  ctx.fillText(shortToken(token, 8), x, y - h / 2 - 14, 60);
  ctx.fillStyle = colors.muted;
  ctx.fillText(formatProbability(probability), x, y - h / 2 - 3, 60);
}

/** A probability in a few characters: `0.42`, `3e-4`. */
export function formatProbability(p: number): string {
  return p >= 0.01 || p === 0 ? p.toFixed(2) : p.toExponential(0);
}

function paintSupernode(ctx: CanvasRenderingContext2D, p: Paint, node: number, x: number, y: number): void {
  const { colors } = p;
  const name = p.display.supernodes[node - p.g.n].name;
  ctx.font = "11px system-ui, sans-serif";
  const width = Math.min(140, ctx.measureText(name).width + 12);
  ctx.fillStyle = colors.bg;
  ctx.strokeStyle = colors.accent;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.roundRect(x - width / 2, y - 9, width, 18, 6);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = colors.fg;
  ctx.textBaseline = "middle";
  ctx.fillText(name, x, y + 0.5, width - 8);
  ctx.textBaseline = "alphabetic";
  ctx.lineWidth = 1;
  ctx.strokeStyle = colors.fg;
}

export interface Highlight {
  hovered: number | null;
  selected: number | null;
  cursor: number | null;
  /** Edges of the selection drawn strong (its strongest inputs and outputs). */
  strongest: number;
}

/** Clear the overlay; dim the graph behind a selection and redraw its edges and neighbours; ring hovered and cursor. */
export function paintOverlay(canvas: HTMLCanvasElement, p: Paint, h: Highlight, ratio: number): void {
  const { layout, display, colors } = p;
  if (canvas.width !== Math.round(layout.width * ratio)) {
    canvas.width = Math.round(layout.width * ratio);
    canvas.style.width = `${layout.width}px`;
  }
  if (canvas.height !== Math.round(layout.height * ratio)) {
    canvas.height = Math.round(layout.height * ratio);
    canvas.style.height = `${layout.height}px`;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, layout.width, layout.height);
  const focus = h.selected;
  if (focus !== null && layout.x.has(focus)) {
    ctx.globalAlpha = 0.72;
    ctx.fillStyle = colors.bg;
    ctx.fillRect(0, 0, layout.width, layout.height);
    ctx.globalAlpha = 1;
    const ins = incoming(display, focus).slice(0, h.strongest);
    const outs = outgoing(display, focus).slice(0, h.strongest);
    const edges = [...ins, ...outs];
    paintEdges(ctx, p, edges, 1.5, 1.5);
    const near = new Set<number>([focus]);
    for (const k of edges) near.add(display.source[k]).add(display.target[k]);
    paintNodes(ctx, p, [...near]);
    ring(ctx, p, focus, colors.accent, 3);
  }
  if (h.hovered !== null && h.hovered !== focus && layout.x.has(h.hovered)) {
    const [ins, outs] = [incoming(display, h.hovered), outgoing(display, h.hovered)];
    const wide = HOVER_WIDE / 2;
    paintEdges(ctx, p, [...ins.subarray(wide), ...outs.subarray(wide)], 1.2, 0);
    paintEdges(ctx, p, [...ins.subarray(0, wide), ...outs.subarray(0, wide)], 1.2);
    ring(ctx, p, h.hovered, colors.fg, 1.5, [3, 2]);
  }
  if (h.cursor !== null && h.cursor !== focus && layout.x.has(h.cursor)) ring(ctx, p, h.cursor, colors.accent, 1.5, [2, 2]);
}

function ring(ctx: CanvasRenderingContext2D, p: Paint, node: number, color: string, width: number, dash: number[] = []): void {
  const x = p.layout.x.get(node) ?? 0;
  const y = p.layout.y.get(node) ?? 0;
  const r = node >= p.g.n || p.g.kind[node] === LOGIT ? 13 : p.layout.radius + 3;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

/** The shown node nearest to (x, y) in layout px, within reach of its mark, or null. */
export function nodeAt(p: { g: GraphData; display: Display; layout: Layout }, x: number, y: number): number | null {
  const { layout } = p;
  let best: number | null = null;
  let bestDistance = Infinity;
  const reach = Math.max(layout.radius + 2, 5);
  for (const node of p.display.nodes) {
    const dx = (layout.x.get(node) ?? 0) - x;
    const dy = (layout.y.get(node) ?? 0) - y;
    const d = Math.hypot(dx, dy);
    const limit = node >= p.g.n || p.g.kind[node] === LOGIT ? 12 : reach;
    if (d <= limit && d < bestDistance) {
      best = node;
      bestDistance = d;
    }
  }
  return best;
}
