/** Clamping numbers and selection indices, shared by every view's key and selection code. */

/** `value` clamped to `[low, high]`. */
export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** `value` clamped to an index of `size` items, `[0, size)` (0 when there are none). */
export function clampIndex(value: number, size: number): number {
  return clamp(value, 0, Math.max(0, size - 1));
}
