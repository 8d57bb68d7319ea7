/**
 * The scatter of the probe view: every example of one layer at (coordinate along the probe
 * direction, coordinate along the top principal component of the rest), coloured by label.
 * Training examples are filled dots; held-out ones are filled and ringed.
 */

import { divergingPalette, divergingIndex, scaleFor } from "../lib/diverging";
import { classColor, drawAxes, makeFrame, niceTicks, paddedRange, toPx, toPy, type Frame } from "../lib/plot";
import type { ThemeColors } from "../lib/theme";

const MARGINS = { left: 52, right: 12, top: 10, bottom: 34 };
export const DOT = 3.5;

export interface ScatterData {
  /** `[n]` along the probe direction, and along the top other component. */
  along: Float32Array;
  across: Float32Array;
  labels: Float32Array;
  test: Uint8Array;
  regression: boolean;
}

/** The frame holding every point of the layer. */
export function scatterFrame(canvas: HTMLCanvasElement, data: ScatterData): Frame {
  const [x0, x1] = paddedRange(data.along);
  const [y0, y1] = paddedRange(data.across);
  return makeFrame(canvas, [x0, x1, y0, y1], MARGINS);
}

/** CSS colour of example `i`: its class, or its value on the diverging map. */
export function pointColor(data: ScatterData, i: number, dark: boolean, peak: number): string {
  if (!data.regression) return classColor(data.labels[i], dark);
  return divergingPalette(dark).background[divergingIndex(data.labels[i], scaleFor(peak))];
}

/** The largest |label| (the scale of the diverging map for scalar targets). */
export function labelPeak(labels: Float32Array): number {
  let peak = 0;
  for (const v of labels) peak = Math.max(peak, Math.abs(v));
  return peak;
}

/** Pixel positions of every point: `[xs, ys]`. */
export function pointPixels(f: Frame, data: ScatterData): [Float32Array, Float32Array] {
  const xs = new Float32Array(data.along.length);
  const ys = new Float32Array(data.along.length);
  for (let i = 0; i < xs.length; i++) {
    xs[i] = toPx(f, data.along[i]);
    ys[i] = toPy(f, data.across[i]);
  }
  return [xs, ys];
}

/** Paint every point (held-out last, so they are on top); ring `selected`. */
export function paintScatter(canvas: HTMLCanvasElement, data: ScatterData, selected: number, dark: boolean, colors: ThemeColors): Frame {
  const ctx = canvas.getContext("2d");
  const f = scatterFrame(canvas, data);
  if (!ctx) return f;
  const ticks = (lo: number, hi: number) => niceTicks(lo, hi, 5).map((t) => [t, String(+t.toPrecision(3))] as [number, string]);
  drawAxes(ctx, f, colors, {
    xTicks: ticks(f.x0, f.x1),
    yTicks: ticks(f.y0, f.y1),
    xLabel: "along the probe direction",
    yLabel: "top other component",
  });
  const [xs, ys] = pointPixels(f, data);
  const peak = labelPeak(data.labels);
  for (const held of [0, 1]) {
    for (let i = 0; i < xs.length; i++) {
      if (data.test[i] !== held) continue;
      ctx.fillStyle = pointColor(data, i, dark, peak);
      ctx.beginPath();
      ctx.arc(xs[i], ys[i], DOT, 0, 2 * Math.PI);
      ctx.fill();
      if (data.regression) {
        // values near 0 take the map's centre colour, close to the background: outline them
        ctx.strokeStyle = colors.muted;
        ctx.lineWidth = 0.75;
        ctx.stroke();
      }
      if (held) {
        ctx.strokeStyle = colors.fg;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.arc(xs[i], ys[i], DOT + 1.5, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
  }
  if (selected >= 0 && selected < xs.length) {
    ctx.strokeStyle = colors.accent;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(xs[selected], ys[selected], DOT + 5, 0, 2 * Math.PI);
    ctx.stroke();
  }
  return f;
}
