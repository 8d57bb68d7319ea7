/**
 * The scores the probe chart can show: the rows `[4, layer]` of the chosen score and its chance.
 */

import { decode, type EncodedArray } from "../lib/binary";

/** How each score is named on the page. */
export const METRIC_NAMES: Record<string, string> = { auc: "AUC", accuracy: "accuracy", r2: "R²" };

/**
 * float32 `[4, layer]` (held out, training, control held out, control training) of `metric`:
 * `_scores` for accuracy and R²; for AUC the two rows of `_auc`, training rows NaN.
 */
export function chartScores(metric: string, scores: EncodedArray, auc: EncodedArray | Record<string, never> | undefined): Float32Array {
  if (metric !== "auc" || !auc || !("data" in auc)) return decode(scores).data as Float32Array;
  const rows = decode(auc as EncodedArray).data as Float32Array;
  const n = rows.length / 2;
  const out = new Float32Array(4 * n).fill(Number.NaN);
  out.set(rows.subarray(0, n), 0);
  out.set(rows.subarray(n), 2 * n);
  return out;
}

/** The chance line of `metric`: 0.5 for AUC, the most common class for accuracy, none for R². */
export function metricChance(metric: string, chance: number | null): number | null {
  if (metric === "auc") return 0.5;
  return metric === "r2" ? null : chance;
}
