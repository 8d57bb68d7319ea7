/**
 * The arithmetic of the virtualised feature list: rows of a fixed height in a scrolled
 * viewport; only the rows in view (plus a margin) exist in the DOM.
 */

/** Height of one list row, px. */
export const ROW_HEIGHT = 24;
/** Rows rendered above and below the viewport. */
export const OVERSCAN = 6;

/** Rows `[start, end)` to render for a viewport of `height` px scrolled to `scrollTop`. */
export function visibleRange(scrollTop: number, height: number, count: number, row = ROW_HEIGHT, overscan = OVERSCAN): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / row);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, height)) / row);
  return { start: Math.max(0, first - overscan), end: Math.min(count, last + overscan) };
}

/**
 * The scrollTop that shows row `index` whole: unchanged when it is in view, else moved as
 * little as possible, or (`center`) so that the row is in the middle.
 */
export function revealScroll(index: number, scrollTop: number, height: number, row = ROW_HEIGHT, center = false): number {
  const top = index * row;
  if (top >= scrollTop && top + row <= scrollTop + height) return scrollTop;
  if (center) return Math.max(0, Math.round(top - (height - row) / 2));
  return top < scrollTop ? top : Math.max(0, top + row - height);
}

/** Rows in one page of the viewport (at least 1). */
export function pageRows(height: number, row = ROW_HEIGHT): number {
  return Math.max(1, Math.floor(height / row) - 1);
}
