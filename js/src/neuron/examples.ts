/**
 * What the neuron view's examples panel says about the examples of (layer, neuron).
 */

import type { ExamplesInfo } from "./model";

/** The panel title: the neuron, the corpus scanned and the neuron's density. */
export function examplesTitle(layer: number, neuron: number, info: ExamplesInfo, density: number | null): string {
  const docs = (info.n_docs ?? 0).toLocaleString("en-US");
  const tokens = (info.n_tokens ?? 0).toLocaleString("en-US");
  const fires = density === null ? "" : ` · active (> 0) on ${(100 * density).toFixed(2)}% of tokens`;
  return `Top corpus examples of layer ${layer}, neuron ${neuron} (${tokens} tokens in ${docs} documents${fires})`;
}
