/** Reading DOM events delegated to a container. */

/** The element under `event` (or its closest ancestor) that matches `selector`. */
export function closestTarget(event: Event, selector: string): HTMLElement | null {
  return ((event.target as Element | null)?.closest?.(selector) as HTMLElement | null) ?? null;
}

/** The number in `data-<name>` of the element under `event` that matches `selector`, else null. */
export function dataIndex(event: Event, selector: string, name = "index"): number | null {
  const value = closestTarget(event, selector)?.dataset[name];
  return value === undefined ? null : Number(value);
}
