/**
 * The synced traits of `AttributionView` (mirror of `mi_widgets/widgets/attribution.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Sort = "abs" | "value" | "model";

export type Model = {
  title: string;
  subtitle: string;
  /** Component labels: `embed`, `L0H0` … (layer-major), `L0 MLP` …, `L0 attn bias` …. */
  labels: string[];
  n_layers: number;
  n_heads: number;
  /** The logit difference, and the part no component owns (norm and unembedding biases). */
  total: number;
  constant: number;
  /** The selected component (one of `labels`). */
  component: string;
  /** The selected head (follows `component` when it is a head). */
  layer: number;
  head: number;
  sort: Sort;
  /** Bars shown (0: all). */
  show: number;
  /** float32 `[component]` in the order of `labels`. */
  _values: EncodedArray;
  _slices: Record<string, EncodedArray>;
};
