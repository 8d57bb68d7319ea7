/**
 * The transparent canvas over the score grid: the hovered head and the selected head.
 */

import { drawCellMarks } from "../lib/marks";
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
    const { cell, hover, selected } = marks;
    const hovered = hover && { row: hover.layer, column: hover.head };
    drawCellMarks(this.canvas, cell, hovered, { row: selected.layer, column: selected.head }, colors);
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
