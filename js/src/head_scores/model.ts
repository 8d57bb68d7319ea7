/**
 * The synced traits of `HeadScoresView` (mirror of `mi_widgets/widgets/head_scores.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Model = {
  /** Score names, in the order of the first axis of `_values`. */
  names: string[];
  /** The model layer of each row (shown on the layer axis). */
  layer_labels: number[];
  n_layers: number;
  n_heads: number;
  title: string;
  /** The score that colours the grid (one of `names`). */
  score: string;
  /** Selected row (an index into `layer_labels`) and head. */
  layer: number;
  head: number;
  /** Every score: encoded float32 `[score, layer, head]`; NaN = not defined. */
  _values: EncodedArray;
  /** Unused by this view (no lazy data); present because every view has it. */
  _slices: Record<string, EncodedArray>;
};
