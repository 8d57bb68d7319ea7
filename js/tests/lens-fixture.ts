/** A small lens as the Python side sends it: 2 rows × 3 positions, top 2, five candidates. */

import { encodeStored, FakeModel } from "./helpers";

export const ROWS = ["embed", "L0"];
export const TOKENS = ["<b>x</b>", " a", "\n"];
export const CANDIDATES = ["<script>alert(1)</script>", " a", " b", " c", " rare"];
/** Candidates kept per position (sorted) and where each position's run starts. */
export const COLUMNS = [0, 1, 2, 1, 3, 0, 1, 3];
export const STARTS = [0, 3, 5, 8];
/** `[column, row]` probabilities. */
export const PROBS = [
  0.9, 0.2, //  p0 cand 0
  0.05, 0.7, // p0 cand 1
  0.01, 0.05, // p0 cand 2
  0.6, 0.3, //  p1 cand 1
  0.3, 0.6, //  p1 cand 3
  0.25, 0.1, // p2 cand 0
  0.5, 0.15, // p2 cand 1
  0.125, 0.75, // p2 cand 3
];
/** `[row, position, k]` offsets into each position's columns. */
export const TOP = [
  0, 1, /**/ 0, 1, /**/ 1, 0, // row embed
  1, 0, /**/ 1, 0, /**/ 2, 0, // row L0
];

export function makeLensModel(overrides: Record<string, unknown> = {}) {
  return new FakeModel({
    title: "<i>lens</i>",
    tokens: TOKENS,
    rows: ROWS,
    candidate_tokens: CANDIDATES,
    targets: [3],
    next_tokens: [1, -1, -1],
    k: 2,
    row: 1,
    position: 2,
    target: 3,
    layer: 0,
    query_token: 2,
    _columns: encodeStored("int32", COLUMNS, [COLUMNS.length], { pad: 1 }),
    _column_starts: encodeStored("int32", STARTS, [STARTS.length], { pad: 3 }),
    _column_probs: encodeStored("float32", PROBS, [COLUMNS.length, 2], { pad: 2 }),
    _top: encodeStored("int32", TOP, [2, 3, 2], { pad: 1 }),
    _slices: {},
    ...overrides,
  });
}
