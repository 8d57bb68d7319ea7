/**
 * Which features the list shows, in which order: filtered by the search text and the
 * hide-dead toggle, sorted by index, density or maximum activation. Pure functions.
 */

import type { Sort } from "./model";
import { isDead, type Summary } from "./summary";

export interface ListOptions {
  sort: Sort;
  descending: boolean;
  query: string;
  hideDead: boolean;
}

/** A parsed search: a feature index (`42` or `#42`) and/or text to find in max tokens. */
export interface Query {
  index: number | null;
  /** Lower-cased text to find in tokens; null when the query is an explicit index or empty. */
  text: string | null;
}

/** `#42` is an index only; `42` is index 42 or a token containing "42"; other text is token text. */
export function parseQuery(query: string): Query {
  const trimmed = query.trim();
  const explicit = /^#\d+$/.test(trimmed);
  const digits = /^\d+$/.test(trimmed);
  const index = explicit ? Number(trimmed.slice(1)) : digits ? Number(trimmed) : null;
  const text = explicit || query.length === 0 ? null : (trimmed || query).toLowerCase();
  return { index, text };
}

const lowered = new WeakMap<readonly string[], string[]>();

/** `matches[i] = 1` when vocab entry `i` contains `text` (case-insensitive). */
export function tokenMatches(vocab: readonly string[], text: string): Uint8Array {
  let lower = lowered.get(vocab);
  if (!lower) {
    lower = vocab.map((token) => token.toLowerCase());
    lowered.set(vocab, lower);
  }
  const out = new Uint8Array(vocab.length);
  for (let i = 0; i < lower.length; i++) if (lower[i].includes(text)) out[i] = 1;
  return out;
}

/** True when one of feature `f`'s max tokens is marked in `matches`. */
function hasToken(s: Summary, f: number, matches: Uint8Array): boolean {
  for (let i = s.starts[f]; i < s.starts[f + 1]; i++) if (matches[s.tokens[i]] === 1) return true;
  return false;
}

/**
 * The features to list, in order. A feature whose index is searched comes first (even when
 * dead); then the features whose max tokens match, or all features without a search, sorted
 * by `sort` (ties: lower index first), dead ones left out when `hideDead`.
 */
export function listOrder(s: Summary, vocab: readonly string[], options: ListOptions): Int32Array {
  const query = parseQuery(options.query);
  const matches = query.text === null ? null : tokenMatches(vocab, query.text);
  const exact = query.index !== null && query.index < s.n ? query.index : -1;
  const keep = new Int32Array(s.n);
  let count = 0;
  for (let f = 0; f < s.n; f++) {
    if (f === exact) continue;
    if (options.hideDead && isDead(s, f)) continue;
    if (query.index !== null && matches === null) continue;
    if (matches !== null && !hasToken(s, f, matches)) continue;
    keep[count++] = f;
  }
  const listed = keep.subarray(0, count);
  if (options.sort !== "index" || options.descending) {
    const key = options.sort === "density" ? s.density : options.sort === "max" ? s.max : null;
    const sign = options.descending ? -1 : 1;
    listed.sort((a, b) => (key ? sign * (key[a] - key[b]) : sign * (a - b)) || a - b);
  }
  if (exact < 0) return listed.slice();
  const out = new Int32Array(count + 1);
  out[0] = exact;
  out.set(listed, 1);
  return out;
}
