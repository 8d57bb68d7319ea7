/**
 * What a key does in the neuron view: ←/→ neuron, ↑/↓ layer, Shift+←/→ token, Esc clear.
 */

import { clamp } from "../lib/clamp";
import type { KeyAction } from "../lib/keyboard";
import type { Model } from "./model";

/** Where the view stands when a key is pressed. */
export interface NeuronPlace {
  layer: number;
  layers: number[];
  neuron: number;
  nNeurons: number;
  token: number | null;
  hover: number | null;
  nTokens: number;
}

/** The traits `action` changes from `place` (null: nothing to change). */
export function neuronKeyChange(action: KeyAction, place: NeuronPlace): Partial<Model> | null {
  switch (action.kind) {
    case "head":
      return { neuron: clamp(place.neuron + action.delta, 0, place.nNeurons - 1) };
    case "layer": {
      const at = place.layers.indexOf(place.layer);
      const next = place.layers[clamp(at + action.delta, 0, place.layers.length - 1)];
      return next === undefined ? null : { layer: next };
    }
    case "query": {
      const n = place.nTokens;
      const from = place.token ?? place.hover ?? (action.delta > 0 ? -1 : n);
      return { token: clamp(from + action.delta, 0, n - 1) };
    }
    case "unlock":
      return { token: null };
  }
  return null;
}
