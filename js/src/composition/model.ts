/**
 * The synced traits of `CompositionView` (mirror of `mi_widgets/widgets/composition.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Kind = "Q" | "K" | "V";

export type Model = {
  title: string;
  n_layers: number;
  n_heads: number;
  /** The composition shown. */
  kind: Kind;
  /** The selected head (its row: what it reads from) and its partner (the selected column). */
  layer: number;
  head: number;
  partner_layer: number;
  partner_head: number;
  /** Partners outlined on each side of the selected head. */
  top_k: number;
  /** float32 `[kind, reader, writer]`, heads layer-major; NaN unless the writer's layer comes first. */
  _values: EncodedArray;
  /** float32 `[kind]` random baselines. */
  _baseline: EncodedArray;
  _slices: Record<string, EncodedArray>;
};
