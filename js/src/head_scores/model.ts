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
  /** The heading while the given scores are shown (`scores_on === "given"`). */
  title: string;
  /** Which scores the grid shows: `"given"` (`_values`) or `"text"` (`_text_values`). */
  scores_on: string;
  /** The heading while the text's scores are shown. */
  text_title: string;
  /** Short names of the two inputs for the switch (`given`, `text`); `{}` without a switch. */
  source_labels: Record<string, string>;
  /** The score that colours the grid (one of `names`). */
  score: string;
  /** Selected row (an index into `layer_labels`) and head. */
  layer: number;
  head: number;
  /** Every score: encoded float32 `[score, layer, head]`; NaN = not defined. */
  _values: EncodedArray;
  /** The same scores on the linked attention view's text; `{}` when the switch is not offered. */
  _text_values: EncodedArray | Record<string, never>;
  /** Unused by this view (no lazy data); present because every view has it. */
  _slices: Record<string, EncodedArray>;
};
