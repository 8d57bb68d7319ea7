/**
 * How the dashboard writes its numbers.
 */

/** Density (a fraction) as a short percentage; 0 is `dead`. */
export function formatDensity(density: number): string {
  if (!(density > 0)) return "dead";
  const pct = 100 * density;
  if (pct >= 1) return `${pct.toFixed(2)}%`;
  if (pct >= 0.001) return `${pct.toPrecision(3)}%`;
  return `${pct.toExponential(1)}%`;
}

/** An integer with thousands separators (`12,345`; faster than `toLocaleString`). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
