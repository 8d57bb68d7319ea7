/**
 * The transparent canvas over the main heatmap: hovered row/column and the locked row.
 */

import type { ThemeColors } from "../lib/theme";

export interface OverlayState {
  n: number;
  cell: number;
  hoverRow: number | null;
  hoverCol: number | null;
  /** The selected query row, and whether it is locked (solid) or not (dashed). */
  queryRow: number | null;
  locked: boolean;
}

type Rect = [number, number, number, number];

export class Overlay {
  private drawn: Rect[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Match the main heatmap's size (clears everything). */
  resize(side: number): void {
    this.canvas.width = this.canvas.height = side;
    this.canvas.style.width = this.canvas.style.height = `${side}px`;
    this.drawn = [];
  }

  /** Redraw the highlights; only the previously drawn areas are cleared. */
  draw(state: OverlayState, colors: ThemeColors): void {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    for (const [x, y, w, h] of this.drawn) ctx.clearRect(x, y, w, h);
    this.drawn = [];
    const { n, cell } = state;
    const side = n * cell;
    const row = (q: number): Rect => [0, q * cell, side, cell];
    const col = (k: number): Rect => [k * cell, 0, cell, side];
    const band = ([x, y, w, h]: Rect) => {
      ctx.fillStyle = colors.hover;
      ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = colors.accent;
      ctx.lineWidth = 1;
      ctx.setLineDash([]);
      ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
      this.drawn.push([x - 2, y - 2, w + 4, h + 4]);
    };
    if (state.hoverRow !== null && state.hoverRow < n) band(row(state.hoverRow));
    if (state.hoverCol !== null && state.hoverCol < n) band(col(state.hoverCol));
    if (state.queryRow !== null && state.queryRow < n) {
      const [x, y, w, h] = row(state.queryRow);
      ctx.strokeStyle = colors.accent;
      ctx.lineWidth = 2;
      ctx.setLineDash(state.locked ? [] : [4, 3]);
      ctx.strokeRect(x + 1, y - 1, w - 2, h + 2);
      this.drawn.push([x - 2, y - 3, w + 4, h + 6]);
    }
  }

  /** The (query, key) cell under a pointer event, or null outside the matrix. */
  cellAt(event: MouseEvent, n: number, cell: number): { q: number; k: number } | null {
    const box = this.canvas.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return null;
    const x = ((event.clientX - box.left) * this.canvas.width) / box.width;
    const y = ((event.clientY - box.top) * this.canvas.height) / box.height;
    const k = Math.floor(x / cell);
    const q = Math.floor(y / cell);
    if (q < 0 || k < 0 || q >= n || k >= n) return null;
    return { q, k };
  }
}
