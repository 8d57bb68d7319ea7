/**
 * Canvas heatmaps of decoded `N x N` matrices: one `putImageData` per heatmap.
 *
 * Values are first turned into LUT indices (0..255) one row at a time, then written as
 * packed RGBA pixels. The pure functions (`rowReader`, `fillPixels`, `poolMax`) work on
 * plain typed arrays so they can be tested without a DOM.
 */

import { rowOffset, type Decoded } from "./binary";
import { lutIndex } from "./colormap";

/** Writes the LUT indices of row `q` of matrix `m` into `out` (length >= N). */
export type RowReader = (m: number, q: number, out: Uint8Array) => void;

/** Lookup from stored uint8 to LUT index, or null when it is the identity (scale 1/255). */
function uint8Table(scale: number, offset: number): Uint8Array | null {
  const table = new Uint8Array(256);
  let identity = true;
  for (let s = 0; s < 256; s++) {
    table[s] = lutIndex(offset + scale * s);
    if (table[s] !== s) identity = false;
  }
  return identity ? null : table;
}

/** A reader specialised for the array's dtype and layout (no per-cell calls). */
export function rowReader(d: Decoded): RowReader {
  const { n, data, scale, offset } = d;
  const tril = d.layout === "tril";
  const above = lutIndex(offset);
  const table = data instanceof Uint8Array ? uint8Table(scale, offset) : null;
  return (m, q, out) => {
    const start = rowOffset(d, m, q);
    const len = tril ? q + 1 : n;
    if (data instanceof Uint8Array) {
      if (table === null) out.set(data.subarray(start, start + len));
      else for (let k = 0; k < len; k++) out[k] = table[data[start + k]];
    } else {
      for (let k = 0; k < len; k++) {
        const v = offset + scale * data[start + k];
        out[k] = v > 0 ? (v >= 1 ? 255 : (v * 255 + 0.5) | 0) : 0;
      }
    }
    if (len < n) out.fill(above, len, n);
  };
}

/** Fill `pixels` (width `n * cell`) with matrix `m` drawn as `cell x cell` blocks. */
export function fillPixels(
  pixels: Uint32Array,
  d: Decoded,
  m: number,
  cell: number,
  lut: Uint32Array,
  read: RowReader = rowReader(d),
  row: Uint8Array = new Uint8Array(d.n),
): void {
  const { n } = d;
  const width = n * cell;
  for (let q = 0; q < n; q++) {
    read(m, q, row);
    const top = q * cell * width;
    if (cell === 1) {
      for (let k = 0; k < n; k++) pixels[top + k] = lut[row[k]];
      continue;
    }
    let p = top;
    for (let k = 0; k < n; k++) {
      const color = lut[row[k]];
      for (let c = 0; c < cell; c++) pixels[p++] = color;
    }
    for (let r = 1; r < cell; r++) pixels.copyWithin(top + r * width, top, top + width);
  }
}

/** Side of a thumbnail: `min(n, maxSize)`. */
export function thumbSide(n: number, maxSize: number): number {
  return Math.max(1, Math.min(n, maxSize));
}

/** Max-pool matrix `m` into a `t x t` grid of LUT indices (bin of i = floor(i * t / n)). */
export function poolMax(
  d: Decoded,
  m: number,
  t: number,
  out: Uint8Array = new Uint8Array(t * t),
  read: RowReader = rowReader(d),
  row: Uint8Array = new Uint8Array(d.n),
): Uint8Array {
  const { n } = d;
  const bins = new Int32Array(n);
  for (let i = 0; i < n; i++) bins[i] = Math.floor((i * t) / n);
  out.fill(0, 0, t * t);
  for (let q = 0; q < n; q++) {
    read(m, q, row);
    const base = bins[q] * t;
    for (let k = 0; k < n; k++) {
      const at = base + bins[k];
      if (row[k] > out[at]) out[at] = row[k];
    }
  }
  return out;
}

/** Reusable buffers for drawing heatmaps and thumbnails onto canvases. */
export class HeatmapPainter {
  private images = new Map<string, ImageData>();
  private row = new Uint8Array(0);
  private pooled = new Uint8Array(0);

  private image(ctx: CanvasRenderingContext2D, w: number, h: number, slot: string): ImageData {
    const key = `${slot}:${w}x${h}`;
    let image = this.images.get(key);
    if (!image) {
      if (this.images.size >= 4) this.images.clear();
      image = ctx.createImageData(w, h);
      this.images.set(key, image);
    }
    return image;
  }

  private rowBuffer(n: number): Uint8Array {
    if (this.row.length < n) this.row = new Uint8Array(n);
    return this.row;
  }

  /** Draw matrix `m` at `cell` px per value; resizes the canvas to `n * cell`. */
  paint(canvas: HTMLCanvasElement, d: Decoded, m: number, cell: number, lut: Uint32Array): void {
    const side = d.n * cell;
    if (canvas.width !== side) canvas.width = side;
    if (canvas.height !== side) canvas.height = side;
    const ctx = canvas.getContext("2d");
    if (!ctx || side === 0) return;
    const image = this.image(ctx, side, side, "main");
    const pixels = new Uint32Array(image.data.buffer);
    fillPixels(pixels, d, m, cell, lut, rowReader(d), this.rowBuffer(d.n));
    ctx.putImageData(image, 0, 0);
  }

  /** Draw a max-pooled `t x t` thumbnail of matrix `m`. */
  thumbnail(canvas: HTMLCanvasElement, d: Decoded, m: number, t: number, lut: Uint32Array, read?: RowReader): void {
    if (canvas.width !== t) canvas.width = t;
    if (canvas.height !== t) canvas.height = t;
    const ctx = canvas.getContext("2d");
    if (!ctx || d.n === 0) return;
    if (this.pooled.length < t * t) this.pooled = new Uint8Array(t * t);
    const pooled = poolMax(d, m, t, this.pooled, read ?? rowReader(d), this.rowBuffer(d.n));
    const image = this.image(ctx, t, t, "thumb");
    const pixels = new Uint32Array(image.data.buffer);
    for (let i = 0; i < t * t; i++) pixels[i] = lut[pooled[i]];
    ctx.putImageData(image, 0, 0);
  }
}
