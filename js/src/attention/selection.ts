/**
 * Query-token selection semantics (pure).
 *
 * The displayed query token is the locked `query_token` when `locked`, else the hovered
 * token, else `query_token`. Clicking a token locks it; clicking the locked token again
 * unlocks and clears it.
 */

import { clampIndex } from "../lib/clamp";

export interface Selection {
  query_token: number | null;
  locked: boolean;
}

/** The query row whose attention is shown. */
export function displayedQuery(selection: Selection, hovered: number | null): number | null {
  if (selection.locked && selection.query_token !== null) return selection.query_token;
  if (hovered !== null) return hovered;
  return selection.query_token;
}

/** New selection after a click on token (or query row) `q`. */
export function clickQuery(selection: Selection, q: number): Selection {
  if (selection.locked && selection.query_token === q) return unlocked();
  return { query_token: q, locked: true };
}

/** The cleared selection (Escape). */
export function unlocked(): Selection {
  return { query_token: null, locked: false };
}

/** Move the query token by `delta` (clamped to `[0, n)`) and lock it. */
export function moveQuery(selection: Selection, hovered: number | null, delta: number, n: number): Selection {
  if (n <= 0) return selection;
  const from = displayedQuery(selection, hovered);
  const start = from ?? (delta > 0 ? -1 : n);
  return { query_token: clampIndex(start + delta, n), locked: true };
}
