/**
 * The synced traits of `PatchingView` (mirror of `mi_widgets/widgets/patching.py`).
 */

import type { EncodedArray } from "../lib/binary";

export type Prediction = [token: string, probability: number];

export type Model = {
  title: string;
  /** The metric and its clean / corrupted values. */
  subtitle: string;
  /** One label per row (`L3`, or `L3H1`) and per column (`token_7`, `H0`, or one column). */
  row_labels: string[];
  column_labels: string[];
  /** What the columns are: "position", "head" or "all positions". */
  column_axis: string;
  /** The selected cell. */
  row: number;
  column: number;
  /** float32 `[row, column]`: normalised effect (0 corrupted, 1 clean) and the raw metric. */
  _values: EncodedArray;
  _raw: EncodedArray;
  /** Top predictions of every patched run (`ids` index `vocabulary`) and of the two inputs. */
  _predictions: {
    vocabulary: string[];
    ids: EncodedArray;
    probs: EncodedArray;
    clean: Prediction[];
    corrupted: Prediction[];
    position_label: string;
  };
  _slices: Record<string, EncodedArray>;
};
