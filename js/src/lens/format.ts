/**
 * Text of the lens view (pure): labels, probabilities, the tooltip and the target choices.
 */

import { visibleToken } from "../lib/tokens";
import type { Entry } from "./data";

/** A position's label: the token as shown, suffixed with its position (`key_18`). */
export function positionLabel(token: string, position: number): string {
  return `${visibleToken(token).text}_${position}`;
}

/** A token quoted so spaces and escapes are visible (`" value"`). */
export function quoted(token: string): string {
  return JSON.stringify(token);
}

/** A probability as shown: four decimals. */
export function formatProb(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : "n/a";
}

/** Tooltip text: the cell, then its top k, one per line. */
export function tooltipText(row: string, position: string, entries: readonly Entry[], tokens: readonly string[]): string {
  const lines = entries.map((e, j) => `${String(j + 1).padStart(2)}. ${formatProb(e.prob)}  ${quoted(tokens[e.candidate] ?? "")}`);
  return [`${row} · ${position}`, ...lines].join("\n");
}

/** `[[token, probability], …]` as JSON, for `data-values`. */
export function entriesJson(entries: readonly Entry[], tokens: readonly string[]): string {
  return JSON.stringify(entries.map((e) => [tokens[e.candidate] ?? "", e.prob]));
}

/** A choice of the target select: a candidate and why it is offered. */
export interface Choice {
  candidate: number;
  why: string;
}

/**
 * The targets offered: the lens's targets, the next input token, the selected cell's top k,
 * and the current target (so it is always listed); each candidate once, in that order.
 */
export function targetChoices(targets: readonly number[], next: number, top: readonly Entry[], current: number): Choice[] {
  const choices: Choice[] = [];
  const seen = new Set<number>();
  const add = (candidate: number, why: string) => {
    if (candidate < 0 || seen.has(candidate)) return;
    seen.add(candidate);
    choices.push({ candidate, why });
  };
  for (const t of targets) add(t, "target");
  add(next, "next input");
  for (const [j, e] of top.entries()) add(e.candidate, `top ${j + 1}`);
  add(current, "chosen");
  return choices;
}

export const LENS_KEY_HELP =
  "←/→ position · ↑/↓ row · Shift+←/→ ten positions · click a cell · Enter: top tokens · Esc: hide";
