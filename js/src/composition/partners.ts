/**
 * The heads a selected head composes with most: the largest values of its row (the heads it
 * reads from) and of its column (the heads that read it), NaN left out.
 */

export interface Partner {
  /** Flat head index (layer-major). */
  index: number;
  value: number;
}

/** The `k` largest finite values among `count` values `at(i)`, largest first. */
export function strongest(count: number, at: (i: number) => number, k: number): Partner[] {
  const found: Partner[] = [];
  for (let i = 0; i < count; i++) {
    const value = at(i);
    if (Number.isFinite(value)) found.push({ index: i, value });
  }
  found.sort((a, b) => b.value - a.value || a.index - b.index);
  return found.slice(0, Math.max(0, k));
}

/** The strongest writers (row `head`) and readers (column `head`) of a `n × n` row-major grid. */
export function partnersOf(
  values: Float32Array,
  n: number,
  head: number,
  k: number,
): { writers: Partner[]; readers: Partner[] } {
  return {
    writers: strongest(n, (c) => values[head * n + c], k),
    readers: strongest(n, (r) => values[r * n + head], k),
  };
}
