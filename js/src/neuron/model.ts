/**
 * The synced traits of `NeuronView` (mirror of `mi_widgets/widgets/neuron.py`).
 */

import type { EncodedArray } from "../lib/binary";

/** What `top_activations` scanned (empty object: no examples). */
export interface ExamplesInfo {
  layers?: number[];
  k?: number;
  context?: number;
  n_docs?: number;
  n_tokens?: number;
  source?: string;
}

export type Model = {
  /** One string per position, exactly as the tokenizer decodes them. */
  tokens: string[];
  /** The model layers this view has, ascending. */
  layers: number[];
  n_neurons: number;
  title: string;
  /** The shown layer (a model layer, one of `layers`). */
  layer: number;
  neuron: number;
  /** The selected (clicked) token, or null. */
  token: number | null;
  examples_info: ExamplesInfo;
  /** Token strings the example windows index into. */
  example_tokens: string[];
  /** float32 `[example_layer, 2, neuron]`: density and top corpus activation. */
  _example_stats: EncodedArray | Record<string, never>;
  /**
   * Slices sent up front. `layer:<l>` = activations `[N, neurons]`; `examples:<l>:<m>` =
   * float32 `[k, window]`; `example-ids:<l>:<m>` = int32 `[k, 2 + window]` (doc, position,
   * token indices; -1 outside the document).
   */
  _slices: Record<string, EncodedArray>;
};

export const layerKey = (layer: number): string => `layer:${layer}`;
export const examplesKey = (layer: number, neuron: number): string => `examples:${layer}:${neuron}`;
export const exampleIdsKey = (layer: number, neuron: number): string => `example-ids:${layer}:${neuron}`;
