/**
 * The bar chart of contributions: one horizontal bar per component around a zero line, the
 * label (canvas text, never HTML) on the left and the value on the right.
 */

import { DARK_DIVERGING, LIGHT_DIVERGING } from "../lib/diverging";
import { rgb } from "../lib/colormap";
import type { ThemeColors } from "../lib/theme";
import type { Sort } from "./model";

export const BAR_HEIGHT = 16;
const LABEL_WIDTH = 92;
const VALUE_WIDTH = 70;
export const BARS_WIDTH = 440;

/** Component indices in display order. `model` keeps the given order. */
export function barOrder(values: Float32Array, sort: Sort): number[] {
  const order = Array.from(values, (_, i) => i);
  if (sort === "abs") order.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
  if (sort === "value") order.sort((a, b) => values[b] - values[a] || a - b);
  return order;
}

/** How many bars `show` asks for (0: all). */
export function barCount(show: number, total: number): number {
  return show > 0 ? Math.min(show, total) : total;
}

/** Draw `order` bars onto `canvas` (sized here); `selected` is outlined. */
export function drawBars(
  canvas: HTMLCanvasElement,
  values: Float32Array,
  labels: readonly string[],
  order: readonly number[],
  selected: number,
  colors: ThemeColors,
  dark: boolean,
): void {
  canvas.width = BARS_WIDTH;
  canvas.height = Math.max(1, order.length) * BAR_HEIGHT;
  canvas.style.width = `${canvas.width}px`;
  canvas.style.height = `${canvas.height}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  let peak = 0;
  for (const i of order) peak = Math.max(peak, Math.abs(values[i]));
  peak = peak > 0 ? peak : 1;
  const plot = BARS_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const zero = LABEL_WIDTH + plot / 2;
  const ramp = dark ? DARK_DIVERGING : LIGHT_DIVERGING;
  ctx.font = "11px ui-monospace, Menlo, Consolas, monospace";
  ctx.textBaseline = "middle";
  order.forEach((i, row) => {
    const y = row * BAR_HEIGHT;
    const value = values[i];
    const width = (Math.abs(value) / peak) * (plot / 2);
    ctx.fillStyle = rgb(ramp[value >= 0 ? 220 : 35]);
    ctx.fillRect(value >= 0 ? zero : zero - width, y + 2, width, BAR_HEIGHT - 4);
    if (i === selected) {
      ctx.strokeStyle = colors.accent;
      ctx.lineWidth = 2;
      ctx.strokeRect(1, y + 1, BARS_WIDTH - 2, BAR_HEIGHT - 2);
    }
    ctx.fillStyle = colors.fg;
    ctx.textAlign = "right";
    ctx.fillText(labels[i] ?? "", LABEL_WIDTH - 6, y + BAR_HEIGHT / 2, LABEL_WIDTH - 8);
    ctx.textAlign = "left";
    ctx.fillText(value.toFixed(4), LABEL_WIDTH + plot + 6, y + BAR_HEIGHT / 2, VALUE_WIDTH - 8);
  });
  ctx.strokeStyle = colors.muted;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(zero + 0.5, 0);
  ctx.lineTo(zero + 0.5, canvas.height);
  ctx.stroke();
}

/** The bar row under a pointer event (null outside). */
export function barAt(canvas: HTMLCanvasElement, event: MouseEvent, count: number): number | null {
  const box = canvas.getBoundingClientRect();
  if (box.height === 0) return null;
  const row = Math.floor(((event.clientY - box.top) / box.height) * count);
  return row >= 0 && row < count ? row : null;
}
