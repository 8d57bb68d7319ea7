/**
 * Text of the score view (pure): score labels, values, the tooltip and keyboard moves.
 */

import type { Decoded } from "../lib/binary";
import { gridShape, scoreAt } from "./grid";

const LABELS: Record<string, string> = {
  previous_token: "previous token",
  induction: "induction",
  duplicate_token: "duplicate token",
  first_token: "first token (sink)",
};

/** Human label of a score name (`previous_token` → `previous token`). */
export function scoreLabel(name: string): string {
  return Object.hasOwn(LABELS, name) ? LABELS[name] : name.replace(/_/g, " ");
}

/** A score as shown: four decimals, or `n/a` for NaN. */
export function formatScore(value: number): string {
  return Number.isNaN(value) ? "n/a" : value.toFixed(4);
}

/** Every score of one head, in the order of `names`. */
export function headValues(d: Decoded, names: readonly string[], layer: number, head: number): [string, number][] {
  const count = Math.min(names.length, gridShape(d).scores);
  return names.slice(0, count).map((name, s) => [name, scoreAt(d, s, layer, head)]);
}

/**
 * Tooltip text: the head, then one line per score (the shown score marked with `▸`).
 * `layerLabel` is the model layer of the row.
 */
export function tooltipText(
  values: readonly [string, number][],
  layerLabel: number,
  head: number,
  current: string,
): string {
  const width = Math.max(0, ...values.map(([name]) => scoreLabel(name).length));
  const lines = values.map(([name, value]) => {
    const mark = name === current ? "▸" : " ";
    return `${mark} ${scoreLabel(name).padEnd(width)}  ${formatScore(value)}`;
  });
  return [`layer ${layerLabel} · head ${head}`, ...lines].join("\n");
}

/** The values as JSON for `data-values` (NaN as null). */
export function valuesJson(values: readonly [string, number][]): string {
  const out: Record<string, number | null> = {};
  for (const [name, value] of values) out[name] = Number.isNaN(value) ? null : value;
  return JSON.stringify(out);
}

/** `value` clamped to `[0, size)`. */
export function clampIndex(value: number, size: number): number {
  return Math.min(Math.max(0, size - 1), Math.max(0, value));
}

/** The next score name `delta` steps away (wrapping). */
export function cycleScore(names: readonly string[], current: string, delta: number): string {
  if (names.length === 0) return current;
  const at = Math.max(0, names.indexOf(current));
  return names[(((at + delta) % names.length) + names.length) % names.length];
}

export const SCORE_KEY_HELP =
  "←/→ head · ↑/↓ layer · Shift+←/→ score · click to select · Enter values · Esc hide";
