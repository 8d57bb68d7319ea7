/**
 * The histogram of a feature's non-zero activations: one bar per bin (log-2 bins: each bin
 * doubles the activation), bins from the first to the last non-empty one, bar heights
 * proportional to the count. Geometry is pure; painting is one canvas.
 */

/** Bar colours (the diverging map's strong positive colour of each theme). */
export const BAR_LIGHT = "#d2492f";
export const BAR_DARK = "#d9702a";
export const HISTOGRAM_WIDTH = 360;
export const HISTOGRAM_HEIGHT = 96;

export interface Bar {
  bin: number;
  /** Left edge and width of its slot, px (the bar is 1 px narrower when there is room). */
  x: number;
  width: number;
  /** Bar height, px from the bottom (0 for an empty bin). */
  height: number;
  count: number;
  low: number;
  high: number;
}

export interface HistogramGeometry {
  width: number;
  height: number;
  bars: Bar[];
  /** Largest count. */
  peak: number;
}

/** The bars of `counts [bins]` on `edges [bins + 1]` in a `width x height` canvas. */
export function histogramGeometry(counts: ArrayLike<number>, edges: ArrayLike<number>, width: number, height: number): HistogramGeometry {
  let first = -1;
  let last = -1;
  let peak = 0;
  for (let b = 0; b < counts.length; b++) {
    if (counts[b] <= 0) continue;
    if (first < 0) first = b;
    last = b;
    peak = Math.max(peak, counts[b]);
  }
  const bars: Bar[] = [];
  if (first < 0) return { width, height, bars, peak };
  const shown = last - first + 1;
  const slot = width / shown;
  for (let b = first; b <= last; b++) {
    const x = Math.floor((b - first) * slot);
    const next = Math.floor((b - first + 1) * slot);
    const count = counts[b];
    bars.push({
      bin: b,
      x,
      width: Math.max(1, next - x),
      height: count > 0 ? Math.max(1, Math.round((count / peak) * height)) : 0,
      count,
      low: edges[b],
      high: edges[b + 1],
    });
  }
  return { width, height, bars, peak };
}

/** The bar whose slot contains canvas x-coordinate `x`, or null. */
export function barAt(geometry: HistogramGeometry, x: number): Bar | null {
  for (const bar of geometry.bars) if (x >= bar.x && x < bar.x + bar.width) return bar;
  return null;
}

/** Draw the bars onto `canvas` (cleared first); the hovered bin gets the accent colour. */
export function paintHistogram(canvas: HTMLCanvasElement, geometry: HistogramGeometry, dark: boolean, hovered: number | null, accent: string): void {
  if (canvas.width !== geometry.width) canvas.width = geometry.width;
  if (canvas.height !== geometry.height) canvas.height = geometry.height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, geometry.width, geometry.height);
  for (const bar of geometry.bars) {
    if (bar.height === 0) continue;
    ctx.fillStyle = bar.bin === hovered ? accent : dark ? BAR_DARK : BAR_LIGHT;
    const inset = bar.width > 2 ? 1 : 0;
    ctx.fillRect(bar.x, geometry.height - bar.height, bar.width - inset, bar.height);
  }
}
