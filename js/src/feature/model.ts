/**
 * The synced traits of `FeatureDashboard` (mirror of `mi_widgets/widgets/feature.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Sort = "index" | "density" | "max";
export const SORTS: readonly Sort[] = ["index", "density", "max"];

/** Sizes and provenance of the statistics (`FeatureStats`). */
export interface FeatureInfo {
  hook: string;
  source: string;
  n_tokens: number;
  n_docs: number;
  /** Top examples per feature. */
  k: number;
  /** Tokens on each side of an example: windows are `2 * context + 1` tokens. */
  context: number;
  n_intervals: number;
  /** Examples drawn per interval. */
  per_interval: number;
  n_bins: number;
  n_raised: number;
  n_lowered: number;
  n_nearest: number;
}

/** `_summary`: the numbers of the feature list (see `summary.ts`). */
export interface SummaryTrait {
  stats: EncodedArray;
  max_tokens: EncodedArray;
  max_token_starts: EncodedArray;
  edges: EncodedArray;
}

export type Model = {
  title: string;
  n_features: number;
  info: FeatureInfo;
  /** Token strings that windows, max tokens and logit effects index into. */
  vocab: string[];
  /** The selected feature. */
  feature: number;
  sort: Sort;
  descending: boolean;
  /** Search text: a feature index, or part of a max token. */
  query: string;
  hide_dead: boolean;
  /** Empty when "try your own text" works; otherwise why it is disabled. */
  text_note: string;
  /** The features an exported report holds (empty in a kernel: all). */
  embedded: number[];
  _summary: SummaryTrait | Record<string, never>;
  /** `feature:<f>` (float) and `feature-ids:<f>` (int32): see `layout.ts`. */
  _slices: Record<string, EncodedArray>;
};

export const featureKey = (f: number): string => `feature:${f}`;
export const featureIdsKey = (f: number): string => `feature-ids:${f}`;
