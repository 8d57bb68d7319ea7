/**
 * The synced traits of `SuperpositionView` (mirror of `mi_widgets/widgets/superposition.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Model = {
  title: string;
  /** The probability that a feature is 0, for each trained model. */
  sparsities: number[];
  n_features: number;
  d_hidden: number;
  /** The selected model: an index into `sparsities`. */
  sparsity: number;
  /** The selected feature, -1 for none. */
  feature: number;
  /** float32 `[sparsity, d_hidden, feature]`. */
  _W: EncodedArray;
  /** float32 `[sparsity, 2, feature]`: norm ‖W_i‖, dimensionality D_i. */
  _stats: EncodedArray;
  /** float32 `[sparsity, feature, feature]`: WᵀW. */
  _interference: EncodedArray;
  /** float32 `[feature]`. */
  _importance: EncodedArray;
  _slices: Record<string, EncodedArray>;
};
