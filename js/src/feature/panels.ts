/**
 * The small panels of the selected feature: its numbers, the logit table (tokens whose
 * logits it raises and lowers) and its nearest features by decoder cosine. Tokens are text.
 */

import { formatValue } from "../lib/diverging";
import { make } from "../lib/dom";
import { renderToken, shortToken } from "../lib/tokens";
import { formatCount, formatDensity } from "./format";
import type { FeatureInfo } from "./model";
import type { LogitEffect, Neighbour } from "./layout";
import { isDead, topToken, type Summary } from "./summary";

/** One line about feature `f`: density (with token counts), maximum, mean where non-zero. */
export function statsLine(s: Summary, f: number, info: FeatureInfo, mean: number | null): string {
  if (isDead(s, f)) return `dead: never non-zero on ${formatCount(info.n_tokens)} tokens of ${info.source || "the corpus"}`;
  const tokens = formatCount(s.density[f] * info.n_tokens);
  const meanText = mean === null ? "" : ` · mean ${formatValue(mean)} where non-zero`;
  return `density ${formatDensity(s.density[f])} (${tokens} of ${formatCount(info.n_tokens)} tokens) · max ${formatValue(s.max[f])}${meanText}`;
}

/** The logit table: raised on the left, lowered on the right, one effect per row. */
export function fillLogits(table: HTMLTableElement, raised: readonly LogitEffect[], lowered: readonly LogitEffect[]): void {
  const doc = table.ownerDocument;
  if (!raised.length && !lowered.length) {
    const row = doc.createElement("tr");
    make(doc, "td", "mi-box-note", row).textContent =
      "none: this site does not write to the residual stream (or the model has no linear unembedding)";
    table.replaceChildren(row);
    return;
  }
  const head = doc.createElement("tr");
  for (const text of ["raises", "", "lowers", ""]) make(doc, "th", "", head).textContent = text;
  const rows = [head];
  for (let i = 0; i < Math.max(raised.length, lowered.length); i++) {
    const tr = doc.createElement("tr");
    for (const [effect, kind] of [[raised[i], "raised"], [lowered[i], "lowered"]] as const) {
      const token = make(doc, "td", `mi-logit-token mi-${kind}`, tr);
      const value = make(doc, "td", `mi-logit-value mi-${kind}`, tr);
      if (!effect) continue;
      const span = make(doc, "span", "", token);
      renderToken(span, effect.token);
      value.textContent = formatValue(effect.value);
      value.dataset.value = String(effect.value);
      value.dataset.tip = `${kind} logit of ${JSON.stringify(effect.token)}: ${effect.value}`;
    }
    rows.push(tr);
  }
  table.replaceChildren(...rows);
}

/** Buttons for the nearest features: index, cosine and top token; `data-feature` for clicks. */
export function fillNearest(list: HTMLElement, nearest: readonly Neighbour[], s: Summary, vocab: readonly string[]): void {
  const doc = list.ownerDocument;
  const buttons = nearest.map(({ feature, cosine }) => {
    const button = doc.createElement("button");
    button.type = "button";
    button.className = "mi-neighbour";
    button.dataset.feature = String(feature);
    button.dataset.cosine = String(cosine);
    button.dataset.tip = `feature ${feature}: decoder cosine ${cosine}`;
    make(doc, "span", "mi-nb-index", button).textContent = `#${feature}`;
    make(doc, "span", "mi-nb-cosine", button).textContent = cosine.toFixed(3);
    const top = topToken(s, feature);
    make(doc, "span", "mi-nb-token mi-tok", button).textContent = top >= 0 ? shortToken(vocab[top] ?? "", 14) : "";
    return button;
  });
  list.replaceChildren(...buttons);
}
