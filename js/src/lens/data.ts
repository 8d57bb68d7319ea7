/**
 * The lens data as the page holds it (pure): per position, the candidates kept and their
 * probability at every row; per cell, its top k as indices into its position's columns.
 */

import { type Decoded, decode, type EncodedArray } from "../lib/binary";

export interface LensData {
  rows: number;
  positions: number;
  k: number;
  /** Candidate index of each kept column, position after position (sorted per position). */
  columns: Int32Array;
  /** `[positions + 1]`: position p's columns are `starts[p]` to `starts[p + 1]`. */
  starts: Int32Array;
  /** `[column, row]` probabilities. */
  probs: Float32Array;
  /** `[row, position, k]` column offsets within the position. */
  top: Int32Array;
}

/** One of a cell's most likely tokens. */
export interface Entry {
  candidate: number;
  prob: number;
}

function values(encoded: EncodedArray): { data: Float32Array | Int32Array | Uint8Array; shape: number[]; scale: number; offset: number } {
  const d = decode(encoded);
  return { data: d.data, shape: d.shape, scale: d.scale, offset: d.offset };
}

function asFloat(encoded: EncodedArray): Float32Array {
  const { data, scale, offset } = values(encoded);
  if (data instanceof Float32Array && scale === 1 && offset === 0) return data;
  return Float32Array.from(data, (v) => offset + scale * v);
}

function asInt(encoded: EncodedArray, name: string): Int32Array {
  const { data } = values(encoded);
  if (!(data instanceof Int32Array)) throw new Error(`${name} must be int32`);
  return data;
}

/** Decode the four arrays; throws a readable error when their shapes disagree. */
export function decodeLens(parts: { columns: EncodedArray; starts: EncodedArray; probs: EncodedArray; top: EncodedArray }): LensData {
  const topShape = parts.top.shape;
  if (topShape.length !== 3) throw new Error(`_top must be [row, pos, k], got [${topShape.join(", ")}]`);
  const [rows, positions, k] = topShape;
  const columns = asInt(parts.columns, "_columns");
  const starts = asInt(parts.starts, "_column_starts");
  const probs = asFloat(parts.probs);
  const top = asInt(parts.top, "_top");
  if (starts.length !== positions + 1 || starts[positions] !== columns.length) {
    throw new Error(`_column_starts must be [${positions + 1}] ending at ${columns.length}`);
  }
  if (probs.length !== columns.length * rows) {
    throw new Error(`_column_probs must be [${columns.length}, ${rows}], got ${probs.length} values`);
  }
  return { rows, positions, k, columns, starts, probs, top };
}

/** The j-th most likely token of cell (row, pos). */
export function topEntry(d: LensData, row: number, pos: number, j = 0): Entry {
  const column = d.starts[pos] + d.top[(row * d.positions + pos) * d.k + j];
  return { candidate: d.columns[column], prob: d.probs[column * d.rows + row] };
}

/** The k most likely tokens of a cell, most likely first. */
export function topEntries(d: LensData, row: number, pos: number): Entry[] {
  return Array.from({ length: d.k }, (_, j) => topEntry(d, row, pos, j));
}

/** The column of `candidate` at `pos`, or -1 when it is not kept there (binary search). */
export function columnOf(d: LensData, pos: number, candidate: number): number {
  let low = d.starts[pos];
  let high = d.starts[pos + 1] - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const value = d.columns[mid];
    if (value === candidate) return mid;
    if (value < candidate) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

/** `[row]` probability of `candidate` at `pos`, or null when it is not kept there. */
export function lineAt(d: LensData, pos: number, candidate: number): Float32Array | null {
  const column = columnOf(d, pos, candidate);
  return column < 0 ? null : d.probs.slice(column * d.rows, (column + 1) * d.rows);
}

/** Column `position` of a `[row, positions]` slice, as values per row. */
export function rowValues(slice: Decoded, position: number, positions: number): Float32Array {
  const values = new Float32Array(slice.shape[0]);
  for (let r = 0; r < values.length; r++) values[r] = slice.offset + slice.scale * slice.data[r * positions + position];
  return values;
}
