/**
 * The transparent canvas over the score grid: the hovered head and the selected head.
 */

import type { ThemeColors } from "../lib/theme";

export interface GridMarks {
  cell: number;
  hover: { layer: number; head: number } | null;
  selected: { layer: number; head: number };
}

export class GridOverlay {
  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Match the grid's size (clears everything). */
  resize(width: number, height: number): void {
    this.canvas.width = width;
    this.canvas.height = height;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
  }

  /** Redraw the marks (the canvas is small: clear it all). */
  draw(marks: GridMarks, colors: ThemeColors): void {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const { cell, hover, selected } = marks;
    if (hover && (hover.layer !== selected.layer || hover.head !== selected.head)) {
      ctx.strokeStyle = colors.fg;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 2]);
      ctx.strokeRect(hover.head * cell + 0.5, hover.layer * cell + 0.5, cell - 1, cell - 1);
    }
    ctx.setLineDash([]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = colors.bg;
    ctx.strokeRect(selected.head * cell + 1.5, selected.layer * cell + 1.5, cell - 3, cell - 3);
    ctx.lineWidth = 2;
    ctx.strokeStyle = colors.accent;
    ctx.strokeRect(selected.head * cell + 1, selected.layer * cell + 1, cell - 2, cell - 2);
  }

  /** Canvas pixel coordinates of a pointer event (handles CSS scaling). */
  pixelAt(event: MouseEvent): { x: number; y: number } | null {
    const box = this.canvas.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return null;
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / box.width,
      y: ((event.clientY - box.top) * this.canvas.height) / box.height,
    };
  }

  /** Viewport point near the bottom-right of a cell (where a keyboard tooltip goes). */
  cellPoint(layer: number, head: number, cell: number): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    const sx = box.width / Math.max(1, this.canvas.width);
    const sy = box.height / Math.max(1, this.canvas.height);
    return { x: box.left + (head + 0.8) * cell * sx, y: box.top + (layer + 0.8) * cell * sy };
  }
}
