/**
 * The feature dashboard's tooltip texts (with the `data-*` values tests and readers use): a
 * list row, a token of the user's text, a histogram bar.
 */

import { tokenTitle } from "../lib/tokens";
import { formatCount, formatDensity } from "./format";
import type { Bar } from "./histogram";
import type { FeatureInfo } from "./model";
import type { ProbeState } from "./probe";
import { topToken, type Summary } from "./summary";

export interface Tip {
  text: string;
  data: Record<string, string>;
}

/** Feature `f`'s row: density (with the token count behind it), max, top token. */
export function rowTip(s: Summary, f: number, info: FeatureInfo | undefined, vocab: readonly string[]): Tip {
  const top = topToken(s, f);
  const token = top >= 0 ? `\ntop token ${tokenTitle(vocab[top] ?? "")}` : "";
  const tokens = `${formatCount(s.density[f] * (info?.n_tokens ?? 0))} of ${formatCount(info?.n_tokens ?? 0)} tokens`;
  return {
    text: `feature ${f}\ndensity ${formatDensity(s.density[f])} (${tokens})\nmax ${s.max[f]}${token}`,
    data: { feature: String(f), density: String(s.density[f]), max: String(s.max[f]) },
  };
}

/** Token `t` of the user's text, or null when the probe has no such token. */
export function probeTip(state: ProbeState, t: number): Tip | null {
  if (state.kind !== "ready" || !(t < state.tokens.length)) return null;
  const value = state.values[t];
  return {
    text: `token ${t}: ${tokenTitle(state.tokens[t])}\nfeature ${state.feature}: ${value}`,
    data: { value: String(value), token: String(t) },
  };
}

/** A histogram bar: its activation interval and count. */
export function histogramTip(bar: Bar): Tip {
  return {
    text: `activation in [${bar.low}, ${bar.high})\n${formatCount(bar.count)} tokens`,
    data: { bin: String(bar.bin), count: String(bar.count), low: String(bar.low), high: String(bar.high) },
  };
}
