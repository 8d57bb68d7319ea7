/**
 * The synced traits of `GraphView` (mirror of `mi_widgets/widgets/graph.py`).
 */

import type { EncodedArray } from "../lib/binary";
import type { FeatureInfo } from "../feature/model";

/** `_nodes`: int32 `[4, node]` (kind, layer, position, feature or token id), float32 `[2, node]` (activation, value). */
export interface NodesTrait {
  ints: EncodedArray;
  floats: EncodedArray;
}

/** `_edges`: int32 `[2, edge]` (source, target), float32 `[edge]` weights. */
export interface EdgesTrait {
  ends: EncodedArray;
  weight: EncodedArray;
}

/** A layer's statistics sizes (`FeatureDashboard.info`) plus its feature count. */
export interface StatsInfo extends FeatureInfo {
  n_features: number;
}

export type Model = {
  title: string;
  tokens: string[];
  n_layers: number;
  logit_position: number;
  node_ids: string[];
  logit_tokens: string[];
  /** The selected node id or supernode name ("" for none). */
  selected: string;
  pinned: string[];
  /** Supernode name → member node ids. */
  supernodes: Record<string, string[]>;
  node_threshold: number;
  edge_threshold: number;
  /** `str(layer)` → the statistics' sizes. */
  stats_info: Record<string, StatsInfo>;
  vocab: string[];
  /** "" when interventions work; else why not. */
  intervention_note: string;
  /** Feature node ids whose statistics an exported report holds ([] in a kernel). */
  embedded: string[];
  /** `str(layer)` → float32 `[bins + 1]` histogram edges of that layer's statistics. */
  _histogram_edges: Record<string, EncodedArray>;
  _nodes: NodesTrait | Record<string, never>;
  _edges: EdgesTrait | Record<string, never>;
  /** `feature:<layer>:<f>` and `feature-ids:<layer>:<f>`: see `feature/layout.ts`. */
  _slices: Record<string, EncodedArray>;
};

/** Node kinds, in the order of `NODE_KINDS` in Python. */
export const FEATURE = 0;
export const ERROR = 1;
export const EMBEDDING = 2;
export const LOGIT = 3;
export const KIND_NAMES = ["feature", "error", "embedding", "logit"] as const;
