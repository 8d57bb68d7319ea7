/** A small FeatureDashboard model state built the way `mi_widgets/widgets/feature.py` encodes it. */

import type { FeatureInfo } from "../src/feature/model";
import { encodeStored } from "./helpers";

/** k = 2 top examples of 3 tokens, 2 intervals of 1 example, 4 bins, 2 raised, 1 lowered, 2 nearest. */
export const INFO: FeatureInfo = {
  hook: "blocks.0.hook_resid_post", source: "test", n_tokens: 1000, n_docs: 10, k: 2, context: 1,
  n_intervals: 2, per_interval: 1, n_bins: 4, n_raised: 2, n_lowered: 1, n_nearest: 2,
};

export const VOCAB = ["<script>alert(1)</script>", " the", "\n", "", " cat", "שלום", " dog", " The"];

/** Feature f: density f / 100 (feature 2 dead), max 1 + f. */
export function summaryState(n: number, dead: number[] = [2]) {
  const density = Array.from({ length: n }, (_, f) => (dead.includes(f) ? 0 : (f + 1) / 100));
  const max = Array.from({ length: n }, (_, f) => (dead.includes(f) ? 0 : 1 + f));
  // feature f's max tokens: f % 8 then (f + 4) % 8 (none for dead features)
  const tokens: number[] = [];
  const starts = [0];
  for (let f = 0; f < n; f++) {
    if (!dead.includes(f)) tokens.push(f % 8, (f + 4) % 8);
    starts.push(tokens.length);
  }
  return {
    stats: encodeStored("float32", [...density, ...max], [2, n], { pad: 1 }),
    max_tokens: encodeStored("int32", tokens, [tokens.length]),
    max_token_starts: encodeStored("int32", starts, [n + 1], { pad: 2 }),
    edges: encodeStored("float32", [0.25, 0.5, 1, 2, 4], [5]),
  };
}

/** The two slices of feature `f` (layout of `src/feature/layout.ts`). */
export function featureSlices(f: number, n: number) {
  const m = 1 + f;
  const values = [
    // top [2, 3]: example 0 at the start of its document (first token outside: NaN)
    NaN, m, m / 2,
    m / 4, m / 2, m / 4,
    // intervals [2, 1, 3]
    0.1, 0.2, 0.1,
    m / 8, m * 0.75, m / 8,
    // edges [3], raised [2], lowered [1], cosine [2], mean
    0, m / 2, m, 2.5, 1.5, -0.5, 0.9, 0.8, m / 3,
  ];
  const ids = [
    // top [2, 5]: doc, position, tokens
    4, 0, -1, 0, 1,
    5, 7, 2, 3, 4,
    // intervals [2, 1, 5]: the low interval drew nothing
    -1, -1, -1, -1, -1,
    6, 2, 5, 6, 7,
    // interval counts [2], histogram counts [4], raised [2], lowered [1], nearest [2], n_firing
    0, 9, 0, 3, 12, 0, 1, 0, 6, (f + 1) % n, (f + 2) % n, 15,
  ];
  return {
    [`feature:${f}`]: encodeStored("float32", values, [values.length], { pad: 3 }),
    [`feature-ids:${f}`]: encodeStored("int32", ids, [ids.length], { pad: 1 }),
  };
}

export function dashboardState(n: number, options: { embedded?: number[]; textNote?: string; slices?: number[] } = {}) {
  const _slices = Object.assign({}, ...(options.slices ?? [0]).map((f) => featureSlices(f, n)));
  return {
    title: "Test SAE", n_features: n, info: INFO, vocab: VOCAB, feature: 0, sort: "index", descending: false,
    query: "", hide_dead: true, text_note: options.textNote ?? "", embedded: options.embedded ?? [],
    _summary: summaryState(n), _slices,
  };
}
