/**
 * The synced traits of `LogitLensView` (mirror of `mi_widgets/widgets/lens.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Model = {
  title: string;
  /** The input tokens, one per position. */
  tokens: string[];
  /** Row labels, top to bottom: `embed` (when captured), `L0`, `L1`, …. */
  rows: string[];
  /** Every candidate token's string (what `target`, `targets` and `_columns` index). */
  candidate_tokens: string[];
  /** The lens's requested targets (candidate indices). */
  targets: number[];
  /** Candidate index of the input token after each position (-1: none). */
  next_tokens: number[];
  k: number;
  /** The selected cell: an index into `rows`, and a position. */
  row: number;
  position: number;
  /** The charted candidate. */
  target: number;
  /** For a link with an AttentionView: the layer of the selected row (kept on `embed`). */
  layer: number;
  /** For a link with an AttentionView: the selected position (null from the attention view: ignored). */
  query_token: number | null;
  /** int32 `[n]`: the candidates kept per position, position after position. */
  _columns: EncodedArray;
  /** int32 `[pos + 1]`: position p's columns are `starts[p]` to `starts[p + 1]`. */
  _column_starts: EncodedArray;
  /** float16/float32 `[n, row]`: each kept candidate's probability at every row. */
  _column_probs: EncodedArray;
  /** int32 `[row, pos, k]`: each cell's top k as indices into its position's columns. */
  _top: EncodedArray;
  _slices: Record<string, EncodedArray>;
};
