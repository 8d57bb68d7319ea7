/**
 * The colour legend: the scale bar (one pixel per LUT entry), its ticks and the "n/a"
 * swatch; plus the same legend drawn onto a canvas for "Save PNG".
 */

import type { ThemeColors } from "../lib/theme";
import { isStripe } from "./grid";

/** Values with a tick under the bar. */
export const TICKS = [0, 0.25, 0.5, 0.75, 1];
const BAR_HEIGHT = 12;
const SWATCH = 12;

/** Paint LUT entry i into column i of a 256-pixel-wide bar (one putImageData). */
export function paintBar(canvas: HTMLCanvasElement, lut: Uint32Array): void {
  canvas.width = lut.length;
  canvas.height = BAR_HEIGHT;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const image = ctx.createImageData(lut.length, BAR_HEIGHT);
  const pixels = new Uint32Array(image.data.buffer);
  for (let y = 0; y < BAR_HEIGHT; y++) pixels.set(lut, y * lut.length);
  ctx.putImageData(image, 0, 0);
}

/** Paint the NaN hatch (same pattern as the grid) onto a small square canvas. */
export function paintSwatch(canvas: HTMLCanvasElement, nan: Uint32Array): void {
  canvas.width = canvas.height = SWATCH;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const image = ctx.createImageData(SWATCH, SWATCH);
  const pixels = new Uint32Array(image.data.buffer);
  for (let y = 0; y < SWATCH; y++) for (let x = 0; x < SWATCH; x++) pixels[y * SWATCH + x] = nan[isStripe(x, y) ? 1 : 0];
  ctx.putImageData(image, 0, 0);
}

export interface LegendDom {
  el: HTMLDivElement;
  caption: HTMLSpanElement;
  bar: HTMLCanvasElement;
  na: HTMLSpanElement;
  swatch: HTMLCanvasElement;
}

/** The legend's elements: caption, bar with ticks, and the n/a swatch (hidden until needed). */
export function buildLegend(doc: Document): LegendDom {
  const el = doc.createElement("div");
  el.className = "mi-score-legend";
  const caption = doc.createElement("span");
  caption.className = "mi-score-legend-caption";
  const scale = doc.createElement("div");
  scale.className = "mi-score-legend-scale";
  const bar = doc.createElement("canvas");
  bar.className = "mi-score-legend-bar";
  bar.setAttribute("role", "img");
  bar.setAttribute("aria-label", "colour scale from 0 to 1");
  const ticks = doc.createElement("div");
  ticks.className = "mi-score-legend-ticks";
  for (const value of TICKS) {
    const tick = doc.createElement("span");
    tick.className = "mi-score-legend-tick";
    tick.style.left = `${value * 100}%`;
    tick.textContent = String(value);
    ticks.appendChild(tick);
  }
  scale.append(bar, ticks);
  const na = doc.createElement("span");
  na.className = "mi-score-legend-na";
  const swatch = doc.createElement("canvas");
  swatch.className = "mi-score-legend-swatch";
  const text = doc.createElement("span");
  text.textContent = "n/a (not defined)";
  na.append(swatch, text);
  el.append(caption, scale, na);
  return { el, caption, bar, na, swatch };
}

/** The legend drawn on a canvas (for the PNG): caption, bar, ticks and the n/a swatch. */
export function legendFigure(
  doc: Document,
  parts: { bar: HTMLCanvasElement; swatch: HTMLCanvasElement | null; caption: string; colors: ThemeColors },
): HTMLCanvasElement {
  const canvas = doc.createElement("canvas");
  const ctx = canvas.getContext("2d");
  const barWidth = 256;
  const font = `11px system-ui, -apple-system, "Segoe UI", sans-serif`;
  let captionWidth = 0;
  if (ctx) {
    ctx.font = font;
    captionWidth = Math.ceil(ctx.measureText(parts.caption).width);
  }
  const left = captionWidth + 12;
  const naWidth = parts.swatch ? 110 : 0;
  canvas.width = left + barWidth + 12 + naWidth;
  canvas.height = BAR_HEIGHT + 20;
  if (!ctx) return canvas;
  ctx.font = font;
  ctx.fillStyle = parts.colors.bg;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = parts.colors.fg;
  ctx.textBaseline = "middle";
  ctx.fillText(parts.caption, 0, BAR_HEIGHT / 2);
  ctx.drawImage(parts.bar, left, 0, barWidth, BAR_HEIGHT);
  ctx.strokeStyle = parts.colors.muted;
  ctx.strokeRect(left - 0.5, -0.5, barWidth + 1, BAR_HEIGHT + 1);
  ctx.fillStyle = parts.colors.muted;
  ctx.textBaseline = "top";
  for (const value of TICKS) {
    const x = left + value * (barWidth - 1);
    ctx.textAlign = value === 0 ? "left" : value === 1 ? "right" : "center";
    ctx.fillText(String(value), x, BAR_HEIGHT + 4);
  }
  if (parts.swatch) {
    const x = left + barWidth + 12;
    ctx.drawImage(parts.swatch, x, 0, BAR_HEIGHT, BAR_HEIGHT);
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillStyle = parts.colors.fg;
    ctx.fillText("n/a", x + BAR_HEIGHT + 6, BAR_HEIGHT / 2);
  }
  return canvas;
}
