/**
 * The score chart of the probe view: held-out score per layer (solid), the shuffled-label
 * control (dashed), chance (dotted) and the selected layer. The y-axis spans [0, 1] (R² may
 * go below 0), or zooms to the lines when they lie close together.
 */

import { drawAxes, fromPx, makeFrame, niceTicks, toPx, toPy, type Frame } from "../lib/plot";
import type { ThemeColors } from "../lib/theme";

/** Rows of the `_scores` array. */
export const HELD_OUT = 0;
export const TRAIN = 1;
export const CONTROL = 2;
export const CONTROL_TRAIN = 3;

const MARGINS = { left: 46, right: 12, top: 10, bottom: 34 };
/** Lines spanning less than this share of the full y range get a zoomed axis. */
const ZOOM_BELOW = 0.3;

export interface ChartData {
  /** float32 `[4, layer]` flattened (NaN where a score does not apply). */
  scores: Float32Array;
  layers: number[];
  chance: number | null;
  /** The score's name on the axis: "AUC", "accuracy" or "R²". */
  metric: string;
}

/** The score of `row` at layer index `i`. */
export function scoreAt(data: ChartData, row: number, i: number): number {
  return data.scores[row * data.layers.length + i];
}

/**
 * The y range: [0, 1] (down to -1 for a negative R²), or, when the held-out, control and
 * chance lines span less than `ZOOM_BELOW` of that, their range padded to whole hundredths.
 */
export function yRange(data: ChartData): [number, number] {
  let floor = 0;
  for (const v of data.scores) if (Number.isFinite(v)) floor = Math.min(floor, v);
  const full: [number, number] = [Math.max(-1, Math.floor(floor * 10) / 10), 1];
  const shown = [HELD_OUT, CONTROL].flatMap((row) => data.layers.map((_, i) => scoreAt(data, row, i)));
  if (data.chance !== null) shown.push(data.chance);
  const finite = shown.filter(Number.isFinite);
  if (finite.length === 0) return full;
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  if (high - low >= ZOOM_BELOW * (full[1] - full[0])) return full;
  const pad = Math.max(0.01, 0.15 * (high - low));
  return [Math.max(full[0], Math.floor((low - pad) * 100) / 100), Math.min(1, Math.ceil((high + pad) * 100) / 100)];
}

/** The chart's frame: x = layer index, y = `yRange`. */
export function chartFrame(canvas: HTMLCanvasElement, data: ChartData): Frame {
  const [y0, y1] = yRange(data);
  return makeFrame(canvas, [-0.5, data.layers.length - 0.5, y0, y1], MARGINS);
}

/** The layer index whose column holds pixel column `px`, or -1 outside the frame. */
export function layerAtPixel(f: Frame, px: number, count: number): number {
  const i = Math.round(fromPx(f, px)) || 0; // never -0
  return i >= 0 && i < count && px >= f.left && px <= f.left + f.width ? i : -1;
}

function line(ctx: CanvasRenderingContext2D, f: Frame, data: ChartData, row: number, dash: number[], width: number): void {
  ctx.setLineDash(dash);
  ctx.lineWidth = width;
  ctx.beginPath();
  let open = false;
  data.layers.forEach((_, i) => {
    const v = scoreAt(data, row, i);
    if (!Number.isFinite(v)) {
      open = false;
      return;
    }
    const x = toPx(f, i);
    const y = toPy(f, v);
    if (open) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    open = true;
  });
  ctx.stroke();
  ctx.setLineDash([]);
}

function dots(ctx: CanvasRenderingContext2D, f: Frame, data: ChartData, row: number, radius: number): void {
  data.layers.forEach((_, i) => {
    const v = scoreAt(data, row, i);
    if (!Number.isFinite(v)) return;
    ctx.beginPath();
    ctx.arc(toPx(f, i), toPy(f, v), radius, 0, 2 * Math.PI);
    ctx.fill();
  });
}

/** Paint the chart with layer index `selected` marked. */
export function paintChart(canvas: HTMLCanvasElement, data: ChartData, selected: number, hover: number, colors: ThemeColors): Frame {
  const ctx = canvas.getContext("2d");
  const f = chartFrame(canvas, data);
  if (!ctx) return f;
  const n = data.layers.length;
  const step = Math.max(1, Math.ceil(n / 12));
  drawAxes(ctx, f, colors, {
    xTicks: data.layers.map((l, i) => [i, i % step === 0 ? String(l) : ""] as [number, string]),
    yTicks: niceTicks(f.y0, f.y1, 5).map((t) => [t, String(+t.toPrecision(3))] as [number, string]),
    xLabel: "layer",
    yLabel: `${data.metric} (held out)`,
  });
  const column = (i: number, fill: string) => {
    ctx.fillStyle = fill;
    const half = f.width / Math.max(1, n) / 2;
    ctx.fillRect(toPx(f, i) - half, f.top, 2 * half, f.height);
  };
  if (hover >= 0 && hover !== selected) column(hover, colors.hover);
  if (selected >= 0) column(selected, colors.hover);
  if (data.chance !== null && Number.isFinite(data.chance)) {
    ctx.strokeStyle = colors.muted;
    ctx.setLineDash([2, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(f.left, toPy(f, data.chance));
    ctx.lineTo(f.left + f.width, toPy(f, data.chance));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.strokeStyle = colors.muted;
  ctx.fillStyle = colors.muted;
  line(ctx, f, data, CONTROL, [6, 4], 1.5);
  dots(ctx, f, data, CONTROL, 2.5);
  ctx.strokeStyle = colors.accent;
  ctx.fillStyle = colors.accent;
  line(ctx, f, data, HELD_OUT, [], 2);
  dots(ctx, f, data, HELD_OUT, 3.5);
  if (selected >= 0) {
    const v = scoreAt(data, HELD_OUT, selected);
    if (Number.isFinite(v)) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = colors.fg;
      ctx.beginPath();
      ctx.arc(toPx(f, selected), toPy(f, v), 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  return f;
}
