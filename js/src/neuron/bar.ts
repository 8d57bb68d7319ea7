/**
 * The activation bar: one cell per token coloured by the neuron (one putImageData), and the
 * colour legend (the scale bar with its ticks), both on canvases.
 */

import { divergingIndex } from "../lib/diverging";

export const BAR_HEIGHT = 14;

/** Integer cell width of the activation bar for `n` tokens. */
export function barCell(n: number): number {
  return Math.min(16, Math.max(1, Math.floor(720 / Math.max(1, n))));
}

/** Fill `pixels` (`n * cell` wide, `height` rows) with the colours of `values`. */
export function fillBar(
  pixels: Uint32Array,
  values: ArrayLike<number>,
  cell: number,
  height: number,
  scale: number,
  lut: Uint32Array,
): void {
  const width = values.length * cell;
  let p = 0;
  for (let t = 0; t < values.length; t++) {
    const color = lut[divergingIndex(values[t], scale)];
    for (let c = 0; c < cell; c++) pixels[p++] = color;
  }
  for (let r = 1; r < height; r++) pixels.copyWithin(r * width, 0, width);
}

const images = new WeakMap<HTMLCanvasElement, ImageData>();

/** Draw the activation bar of `values` onto `canvas` (one putImageData, buffer reused). */
export function paintBar(canvas: HTMLCanvasElement, values: ArrayLike<number>, scale: number, lut: Uint32Array): void {
  const cell = barCell(values.length);
  const width = Math.max(1, values.length * cell);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== BAR_HEIGHT) canvas.height = BAR_HEIGHT;
  if (canvas.style.width !== `${width}px`) canvas.style.width = `${width}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx || values.length === 0) return;
  let image = images.get(canvas);
  if (!image || image.width !== width) {
    image = ctx.createImageData(width, BAR_HEIGHT);
    images.set(canvas, image);
  }
  fillBar(new Uint32Array(image.data.buffer), values, cell, BAR_HEIGHT, scale, lut);
  ctx.putImageData(image, 0, 0);
}

/** Paint the 256 LUT entries into a 256 x 10 legend canvas. */
export function paintLegend(canvas: HTMLCanvasElement, lut: Uint32Array): void {
  const height = 10;
  canvas.width = lut.length;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const image = ctx.createImageData(lut.length, height);
  const pixels = new Uint32Array(image.data.buffer);
  for (let y = 0; y < height; y++) pixels.set(lut, y * lut.length);
  ctx.putImageData(image, 0, 0);
}
