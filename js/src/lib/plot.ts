/**
 * Small 2-D charts on a canvas: a data → pixel frame, axes with ticks, nearest-point lookup,
 * and the categorical colours of labelled points. Canvas pixels are CSS pixels (no
 * devicePixelRatio scaling), so a test can read the colour at a data point exactly.
 */

import type { ThemeColors } from "./theme";

/** A rectangle of the canvas (pixels) showing the data range [x0, x1] × [y0, y1]. */
export interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The frame of `canvas` inside `margins` for the data range. */
export function makeFrame(canvas: HTMLCanvasElement, range: [number, number, number, number], margins: Margins): Frame {
  const [x0, x1, y0, y1] = range;
  return {
    x0,
    x1: x1 === x0 ? x0 + 1 : x1,
    y0,
    y1: y1 === y0 ? y0 + 1 : y1,
    left: margins.left,
    top: margins.top,
    width: Math.max(1, canvas.width - margins.left - margins.right),
    height: Math.max(1, canvas.height - margins.top - margins.bottom),
  };
}

/** Pixel column of data x. */
export function toPx(f: Frame, x: number): number {
  return f.left + ((x - f.x0) / (f.x1 - f.x0)) * f.width;
}

/** Pixel row of data y (up is larger). */
export function toPy(f: Frame, y: number): number {
  return f.top + (1 - (y - f.y0) / (f.y1 - f.y0)) * f.height;
}

/** Data x of pixel column `px`. */
export function fromPx(f: Frame, px: number): number {
  return f.x0 + ((px - f.left) / f.width) * (f.x1 - f.x0);
}

/** The range [min, max] of finite values, widened by `pad` of its span on both sides. */
export function paddedRange(values: ArrayLike<number>, pad = 0.06): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - pad * span, hi + pad * span];
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return [lo];
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

export interface AxesSpec {
  xTicks: [number, string][];
  yTicks: [number, string][];
  xLabel: string;
  yLabel: string;
}

/** Clear the canvas to the background and draw the frame's axes, ticks and labels. */
export function drawAxes(ctx: CanvasRenderingContext2D, f: Frame, colors: ThemeColors, spec: AxesSpec): void {
  const { canvas } = ctx;
  ctx.save();
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = colors.muted;
  ctx.fillStyle = colors.muted;
  ctx.lineWidth = 1;
  ctx.font = "11px system-ui, -apple-system, 'Segoe UI', sans-serif";
  const bottom = f.top + f.height;
  ctx.beginPath();
  ctx.moveTo(f.left - 0.5, f.top);
  ctx.lineTo(f.left - 0.5, bottom + 0.5);
  ctx.lineTo(f.left + f.width, bottom + 0.5);
  ctx.stroke();
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const [x, label] of spec.xTicks) ctx.fillText(label, toPx(f, x), bottom + 4);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const [y, label] of spec.yTicks) ctx.fillText(label, f.left - 5, toPy(f, y));
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(spec.xLabel, f.left + f.width / 2, canvas.height - 1);
  ctx.translate(11, f.top + f.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(spec.yLabel, 0, 0);
  ctx.restore();
}

/** Index of the point (xs[i], ys[i]) in pixels nearest to (px, py) within `radius`, else -1. */
export function nearestPoint(xs: ArrayLike<number>, ys: ArrayLike<number>, px: number, py: number, radius: number): number {
  let best = -1;
  let bestDistance = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] - px) ** 2 + (ys[i] - py) ** 2;
    if (d <= bestDistance) {
      best = i;
      bestDistance = d;
    }
  }
  return best;
}

/** Colours of classes 0, 1, ... (repeating), readable on a light background. */
export const CLASS_COLORS_LIGHT = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
/** The same classes on a dark background. */
export const CLASS_COLORS_DARK = ["#5fa8e8", "#ff6b6b", "#6fd36f", "#c39bf0", "#ffb057", "#d39b87", "#f5a3dc", "#4fd8e8"];

/** CSS colour of class `index` in a theme. */
export function classColor(index: number, dark: boolean): string {
  const colors = dark ? CLASS_COLORS_DARK : CLASS_COLORS_LIGHT;
  return colors[((index % colors.length) + colors.length) % colors.length];
}

/** Mouse position in canvas pixels (the canvas may be scaled by CSS). */
export function canvasPoint(canvas: HTMLCanvasElement, event: MouseEvent): { x: number; y: number } {
  const box = canvas.getBoundingClientRect();
  const sx = box.width ? canvas.width / box.width : 1;
  const sy = box.height ? canvas.height / box.height : 1;
  return { x: (event.clientX - box.left) * sx, y: (event.clientY - box.top) * sy };
}

/** Short fixed text of a number: 3 decimals, exponent form outside [1e-3, 1e4). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "n/a" : String(value);
  const size = Math.abs(value);
  return size !== 0 && (size >= 1e4 || size < 1e-3) ? value.toExponential(2) : value.toFixed(3);
}
