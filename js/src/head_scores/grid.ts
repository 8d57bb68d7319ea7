/**
 * The score grid as pixels (pure): one `cell x cell` block per head, rows = layers,
 * columns = heads, coloured through a 256-entry LUT over the fixed scale [0, 1]. NaN cells
 * get diagonal grey stripes so they never look like a value.
 */

import type { Decoded } from "../lib/binary";
import { lutIndex, packLut, type Rgb } from "../lib/colormap";

/** Background and stripe colours of a NaN cell, per theme. */
export const NAN_LIGHT: readonly [Rgb, Rgb] = [
  [228, 228, 228],
  [160, 160, 160],
];
export const NAN_DARK: readonly [Rgb, Rgb] = [
  [43, 46, 54],
  [96, 102, 114],
];
/** Stripe period in pixels (diagonal, `(x + y) % period < NAN_STRIPE` is a stripe). */
export const NAN_PERIOD = 6;
export const NAN_STRIPE = 2;

/** The two NaN colours of a theme as packed RGBA (same packing as the colour LUTs). */
export function nanColors(dark: boolean): Uint32Array {
  return packLut([...(dark ? NAN_DARK : NAN_LIGHT)]);
}

/** Shape of the score array: `[scores, layers, heads]`. */
export interface GridShape {
  scores: number;
  layers: number;
  heads: number;
}

/** The `[score, layer, head]` shape of decoded scores (a 2-D array is one score). */
export function gridShape(d: Decoded): GridShape {
  const shape = d.shape;
  if (shape.length === 3) return { scores: shape[0], layers: shape[1], heads: shape[2] };
  if (shape.length === 2) return { scores: 1, layers: shape[0], heads: shape[1] };
  throw new Error(`scores must be [score, layer, head], got shape [${shape.join(", ")}]`);
}

/** Value of score `s` for (layer, head): `offset + scale * stored` (NaN stays NaN). */
export function scoreAt(d: Decoded, s: number, layer: number, head: number): number {
  const { layers, heads } = gridShape(d);
  return d.offset + d.scale * d.data[(s * layers + layer) * heads + head];
}

/** Pixels per cell: large for small models, never below 8 px (readable, clickable). */
export function scoreCellSize(layers: number, heads: number): number {
  return Math.min(40, Math.max(8, Math.floor(420 / Math.max(1, layers, heads))));
}

/** Show every `step`-th axis label so labels never crowd (about 16 px each). */
export function labelStep(cell: number): number {
  return Math.max(1, Math.ceil(16 / Math.max(1, cell)));
}

/** True when pixel (x, y) of a NaN cell is a stripe. */
export function isStripe(x: number, y: number): boolean {
  return (x + y) % NAN_PERIOD < NAN_STRIPE;
}

/**
 * Fill `pixels` (width `heads * cell`, height `layers * cell`) with score `s`.
 * `nan` holds the NaN background and stripe colours (see `nanColors`).
 */
export function fillScorePixels(
  pixels: Uint32Array,
  d: Decoded,
  s: number,
  cell: number,
  lut: Uint32Array,
  nan: Uint32Array,
): void {
  const { layers, heads } = gridShape(d);
  const width = heads * cell;
  for (let l = 0; l < layers; l++) {
    const top = l * cell;
    for (let h = 0; h < heads; h++) {
      const value = scoreAt(d, s, l, h);
      const left = h * cell;
      if (Number.isNaN(value)) {
        for (let y = top; y < top + cell; y++) {
          for (let x = left; x < left + cell; x++) pixels[y * width + x] = nan[isStripe(x, y) ? 1 : 0];
        }
        continue;
      }
      const color = lut[lutIndex(value)];
      for (let y = top; y < top + cell; y++) pixels.fill(color, y * width + left, y * width + left + cell);
    }
  }
}

/** The cell under canvas pixel (x, y), or null outside the grid. */
export function cellAtPixel(
  x: number,
  y: number,
  cell: number,
  layers: number,
  heads: number,
): { layer: number; head: number } | null {
  const head = Math.floor(x / cell);
  const layer = Math.floor(y / cell);
  if (layer < 0 || head < 0 || layer >= layers || head >= heads) return null;
  return { layer, head };
}

/** Whether score `s` has any NaN. */
export function hasNaN(d: Decoded, s: number): boolean {
  const { layers, heads } = gridShape(d);
  const start = s * layers * heads;
  for (let i = start; i < start + layers * heads; i++) if (Number.isNaN(d.data[i])) return true;
  return false;
}
