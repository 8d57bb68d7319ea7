/**
 * The synced traits of `ProbeView` (mirror of `mi_widgets/widgets/probe.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Model = {
  title: string;
  /** `"classification"` (scores are accuracies and AUCs) or `"regression"` (scores are R²). */
  task: string;
  site: string;
  /** The model layer of each probe. */
  layers: number[];
  /** Class names (empty for a scalar target). */
  classes: string[];
  /** What each example is (a text, or a token in context): shown with textContent only. */
  examples: string[];
  /** Held-out accuracy of always answering the most common class (0 for R²). */
  chance: number | null;
  /** The selected model layer (one of `layers`). */
  layer: number;
  /** The selected example, -1 for none. */
  example: number;
  /** The scores the result holds: `["accuracy", "auc"]`, `["accuracy"]` or `["r2"]`. */
  metrics: string[];
  /** The score charted (one of `metrics`). */
  metric: string;
  /** float32 `[4, layer]`: held-out score, training score, control held-out, control training. */
  _scores: EncodedArray;
  /** float32 `[2, layer]`: held-out AUC of the probe and of the control; `{}` without AUC. */
  _auc: EncodedArray | Record<string, never>;
  /** float32 `[2, layer, n]`: along the probe direction, along the top other component. */
  _points: EncodedArray;
  /** float32 `[n]`: class index or target value. */
  _labels: EncodedArray;
  /** uint8 `[n]`: 1 = held out. */
  _test: EncodedArray;
  _slices: Record<string, EncodedArray>;
};
