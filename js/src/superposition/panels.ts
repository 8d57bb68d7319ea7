/**
 * The three panels of the superposition view: the columns of W as vectors (d = 2), each
 * feature's norm (bar) and dimensionality (dot), and the interference WᵀW as a heatmap.
 */

import { divergingIndex, divergingLut, scaleFor } from "../lib/diverging";
import { classColor, drawAxes, makeFrame, niceTicks, toPx, toPy, type Frame } from "../lib/plot";
import type { ThemeColors } from "../lib/theme";

/** One trained model's numbers. */
export interface ToyModel {
  n: number;
  d: number;
  /** `[d, n]` row-major: column i is feature i's direction. */
  W: Float32Array;
  norms: Float32Array;
  dimensionality: Float32Array;
  /** `[n, n]` row-major. */
  interference: Float32Array;
}

/** Colour of feature `i` (the class palette). */
export const featureColor = classColor;

/** The vector panel's frame: a square around the origin holding every column. */
export function vectorFrame(canvas: HTMLCanvasElement, limit: number): Frame {
  return makeFrame(canvas, [-limit, limit, -limit, limit], { left: 48, right: 10, top: 10, bottom: 30 });
}

/** The half-width of the vector panel: the longest column, at least 1, plus a margin. */
export function vectorLimit(norms: ArrayLike<number>): number {
  let peak = 1;
  for (let i = 0; i < norms.length; i++) peak = Math.max(peak, norms[i]);
  return Math.ceil(peak * 12) / 10;
}

/** Draw each column of W from the origin; returns the pixel tips `[xs, ys]`. */
export function paintVectors(canvas: HTMLCanvasElement, m: ToyModel, limit: number, selected: number, dark: boolean, colors: ThemeColors): [Float32Array, Float32Array] {
  const ctx = canvas.getContext("2d");
  const f = vectorFrame(canvas, limit);
  const xs = new Float32Array(m.n);
  const ys = new Float32Array(m.n);
  for (let i = 0; i < m.n; i++) {
    xs[i] = toPx(f, m.W[i]);
    ys[i] = toPy(f, m.W[m.n + i]);
  }
  if (!ctx) return [xs, ys];
  const ticks = niceTicks(-limit, limit, 4).map((t) => [t, String(+t.toFixed(1))] as [number, string]);
  drawAxes(ctx, f, colors, { xTicks: ticks, yTicks: ticks, xLabel: "hidden dimension 0", yLabel: "dimension 1" });
  ctx.strokeStyle = colors.muted;
  ctx.setLineDash([2, 3]);
  ctx.beginPath();
  ctx.arc(toPx(f, 0), toPy(f, 0), toPx(f, 1) - toPx(f, 0), 0, 2 * Math.PI); // unit circle
  ctx.stroke();
  ctx.setLineDash([]);
  const ox = toPx(f, 0);
  const oy = toPy(f, 0);
  for (let i = 0; i < m.n; i++) {
    const color = featureColor(i, dark);
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = i === selected ? 4 : 2.5;
    ctx.beginPath();
    ctx.moveTo(ox, oy);
    ctx.lineTo(xs[i], ys[i]);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(xs[i], ys[i], i === selected ? 6 : 4.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.fillStyle = colors.fg;
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let i = 0; i < m.n; i++) {
    const dx = xs[i] - ox;
    const dy = ys[i] - oy;
    const length = Math.hypot(dx, dy) || 1;
    ctx.fillText(String(i), xs[i] + (12 * dx) / length, ys[i] + (12 * dy) / length);
  }
  return [xs, ys];
}

/** The bar panel's frame: x = feature, y = [0, top]. */
export function barFrame(canvas: HTMLCanvasElement, n: number, top: number): Frame {
  return makeFrame(canvas, [-0.5, n - 0.5, 0, top], { left: 48, right: 10, top: 10, bottom: 30 });
}

/** Bars of ‖W_i‖ in the feature's colour, a dot at D_i, the selected feature outlined. */
export function paintBars(canvas: HTMLCanvasElement, m: ToyModel, top: number, selected: number, dark: boolean, colors: ThemeColors): Frame {
  const ctx = canvas.getContext("2d");
  const f = barFrame(canvas, m.n, top);
  if (!ctx) return f;
  const step = Math.max(1, Math.ceil(m.n / 16));
  drawAxes(ctx, f, colors, {
    xTicks: Array.from({ length: m.n }, (_, i) => [i, i % step === 0 ? String(i) : ""] as [number, string]),
    yTicks: niceTicks(0, top, 4).map((t) => [t, t.toFixed(1)] as [number, string]),
    xLabel: "feature",
    yLabel: "‖W_i‖ · D_i",
  });
  const half = (0.35 * f.width) / m.n;
  for (let i = 0; i < m.n; i++) {
    const x = toPx(f, i);
    const y = toPy(f, m.norms[i]);
    ctx.fillStyle = featureColor(i, dark);
    ctx.fillRect(x - half, y, 2 * half, toPy(f, 0) - y);
    if (i === selected) {
      ctx.strokeStyle = colors.accent;
      ctx.lineWidth = 2;
      ctx.strokeRect(x - half - 2, y - 2, 2 * half + 4, toPy(f, 0) - y + 2);
    }
    ctx.fillStyle = colors.fg;
    ctx.beginPath();
    ctx.arc(x, toPy(f, m.dimensionality[i]), 3.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  return f;
}

/** Side of one interference cell in pixels. */
export function interferenceCell(n: number): number {
  return Math.max(4, Math.min(36, Math.floor(240 / n)));
}

/** The largest |WᵀW| (the symmetric colour scale). */
export function interferencePeak(values: Float32Array): number {
  let peak = 0;
  for (const v of values) peak = Math.max(peak, Math.abs(v));
  return scaleFor(peak);
}

/** WᵀW as an n × n heatmap, one putImageData. */
export function paintInterference(canvas: HTMLCanvasElement, m: ToyModel, dark: boolean): number {
  const cell = interferenceCell(m.n);
  const side = m.n * cell;
  if (canvas.width !== side) canvas.width = canvas.height = side;
  const ctx = canvas.getContext("2d");
  const scale = interferencePeak(m.interference);
  if (!ctx) return scale;
  const lut = divergingLut(dark);
  const image = ctx.createImageData(side, side);
  const pixels = new Uint32Array(image.data.buffer);
  for (let y = 0; y < side; y++) {
    const row = Math.floor(y / cell) * m.n;
    for (let x = 0; x < side; x++) {
      pixels[y * side + x] = lut[divergingIndex(m.interference[row + Math.floor(x / cell)], scale)];
    }
  }
  ctx.putImageData(image, 0, 0);
  return scale;
}
