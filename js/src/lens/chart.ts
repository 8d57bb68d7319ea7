/**
 * The target's probability per row as a line chart on a canvas: rows along x (as in the
 * grid, top row first), probability 0 to 1 along y, the selected row ringed.
 */

import type { ThemeColors } from "../lib/theme";

export const CHART_WIDTH = 420;
export const CHART_HEIGHT = 220;
const LEFT = 44;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 34;
export const Y_TICKS = [0, 0.25, 0.5, 0.75, 1];

/** Canvas point of row `i` of `n` at probability `value`. */
export function chartPoint(i: number, n: number, value: number): { x: number; y: number } {
  const plotW = CHART_WIDTH - LEFT - RIGHT;
  const plotH = CHART_HEIGHT - TOP - BOTTOM;
  const x = LEFT + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const clamped = Math.min(1, Math.max(0, value));
  return { x, y: TOP + (1 - clamped) * plotH };
}

/** The row whose point is nearest to canvas x, or -1 when there are no rows. */
export function rowAtX(x: number, n: number): number {
  if (n <= 0) return -1;
  if (n === 1) return 0;
  const plotW = CHART_WIDTH - LEFT - RIGHT;
  return Math.min(n - 1, Math.max(0, Math.round(((x - LEFT) / plotW) * (n - 1))));
}

/** Draw axes, ticks, row labels and (when `values` is given) the line with its points. */
export function drawChart(
  canvas: HTMLCanvasElement,
  values: Float32Array | null,
  rows: readonly string[],
  selected: number,
  colors: ThemeColors,
): void {
  canvas.width = CHART_WIDTH;
  canvas.height = CHART_HEIGHT;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const n = rows.length;
  ctx.clearRect(0, 0, CHART_WIDTH, CHART_HEIGHT); // the panel shows through
  ctx.font = "10px system-ui, sans-serif";
  ctx.lineWidth = 1;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  for (const tick of Y_TICKS) {
    const { y } = chartPoint(0, n, tick);
    ctx.strokeStyle = colors.muted;
    ctx.globalAlpha = tick === 0 ? 0.9 : 0.25;
    ctx.beginPath();
    ctx.moveTo(LEFT, Math.round(y) + 0.5);
    ctx.lineTo(CHART_WIDTH - RIGHT, Math.round(y) + 0.5);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillStyle = colors.muted;
    ctx.fillText(tick.toFixed(2), LEFT - 5, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const every = Math.max(1, Math.ceil((n * 26) / (CHART_WIDTH - LEFT - RIGHT)));
  rows.forEach((label, i) => {
    if (i % every !== 0 && i !== selected) return;
    const { x } = chartPoint(i, n, 0);
    ctx.fillStyle = i === selected ? colors.accent : colors.muted;
    ctx.fillText(label, x, CHART_HEIGHT - BOTTOM + 6);
  });
  if (!values) return;
  ctx.strokeStyle = colors.fg;
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => {
    const { x, y } = chartPoint(i, n, v);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = colors.fg;
  values.forEach((v, i) => {
    const { x, y } = chartPoint(i, n, v);
    ctx.beginPath();
    ctx.arc(x, y, 3, 0, 2 * Math.PI);
    ctx.fill();
  });
  if (selected >= 0 && selected < values.length) {
    const { x, y } = chartPoint(selected, n, values[selected]);
    ctx.strokeStyle = colors.accent;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.stroke();
  }
}
