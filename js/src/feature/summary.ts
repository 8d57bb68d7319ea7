/**
 * The numbers of the feature list, decoded from `_summary`: density and maximum activation of
 * every feature, the distinct maximum tokens of its top examples, and the histogram edges.
 */

import { decode, type Decoded } from "../lib/binary";
import type { SummaryTrait } from "./model";

export interface Summary {
  n: number;
  /** Fraction of tokens where the feature is non-zero, `[feature]` (0: dead). */
  density: Float32Array;
  /** Highest activation seen, `[feature]` (0 for a dead feature). */
  max: Float32Array;
  /** Feature `f`'s max tokens are `tokens[starts[f]]` .. `tokens[starts[f + 1] - 1]`, top example's first. */
  starts: Int32Array;
  tokens: Int32Array;
  /** Histogram bin edges `[bins + 1]`, shared by all features. */
  edges: Float64Array;
}

function values(d: Decoded): Float64Array {
  return Float64Array.from(d.data, (v) => d.offset + d.scale * v);
}

/** Decode `_summary` for `n` features; throws when a part has the wrong size. */
export function readSummary(trait: SummaryTrait, n: number): Summary {
  const stats = decode(trait.stats);
  const starts = decode(trait.max_token_starts);
  const tokens = decode(trait.max_tokens);
  const edges = decode(trait.edges);
  if (stats.data.length !== 2 * n) throw new Error(`summary stats has ${stats.data.length} values, expected 2 x ${n}`);
  if (starts.data.length !== n + 1 || !(starts.data instanceof Int32Array) || !(tokens.data instanceof Int32Array)) {
    throw new Error(`summary max tokens do not cover ${n} features`);
  }
  if (starts.data[n] !== tokens.data.length) throw new Error("summary max token offsets do not match the tokens");
  const numbers = values(stats);
  return {
    n,
    density: Float32Array.from(numbers.subarray(0, n)),
    max: Float32Array.from(numbers.subarray(n)),
    starts: starts.data,
    tokens: tokens.data,
    edges: values(edges),
  };
}

/** Vocab index of feature `f`'s top token (the maximum of its top example), or -1. */
export function topToken(s: Summary, f: number): number {
  return s.starts[f] < s.starts[f + 1] ? s.tokens[s.starts[f]] : -1;
}

/** True when feature `f` never fired on the corpus. */
export function isDead(s: Summary, f: number): boolean {
  return !(s.density[f] > 0);
}
