/**
 * The synced traits of `AttentionView` (mirror of `mi_widgets/widgets/attention.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Model = {
  /** One string per position, exactly as the tokenizer decodes them. */
  tokens: string[];
  n_layers: number;
  n_heads: number;
  /** Causal attention (slices usually use the tril layout). */
  causal: boolean;
  layer: number;
  head: number;
  /** Selected query position, or null. */
  query_token: number | null;
  /** The query selection is locked (by a click). */
  locked: boolean;
  title: string;
  /** Slices sent up front; key `"layer:<i>"` = attention `[n_heads, N, N]` of layer i. */
  _slices: Record<string, EncodedArray>;
};

/** Slice key of a layer's attention. */
export function layerKey(layer: number): string {
  return `layer:${layer}`;
}
