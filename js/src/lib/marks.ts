/**
 * The marks drawn over a grid of square cells: the hovered cell dashed, the selected one in
 * the accent colour with a background-coloured halo (visible on any cell colour).
 */

import type { ThemeColors } from "./theme";

export interface GridCell {
  row: number;
  column: number;
}

/** Clear `canvas` and draw the hover and selection marks for cells of `cell` px (or `[width, height]`). */
export function drawCellMarks(
  canvas: HTMLCanvasElement,
  cell: number | readonly [number, number],
  hover: GridCell | null,
  selected: GridCell,
  colors: ThemeColors,
): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const [w, h] = typeof cell === "number" ? [cell, cell] : cell;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (hover && (hover.row !== selected.row || hover.column !== selected.column)) {
    ctx.strokeStyle = colors.fg;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 2]);
    ctx.strokeRect(hover.column * w + 0.5, hover.row * h + 0.5, w - 1, h - 1);
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 3;
  ctx.strokeStyle = colors.bg;
  ctx.strokeRect(selected.column * w + 1.5, selected.row * h + 1.5, w - 3, h - 3);
  ctx.lineWidth = 2;
  ctx.strokeStyle = colors.accent;
  ctx.strokeRect(selected.column * w + 1, selected.row * h + 1, w - 2, h - 2);
}

/** The cell of a `rows × columns` grid drawn on `element` under a pointer event, or null outside. */
export function cellUnder(element: Element, event: MouseEvent, rows: number, columns: number): GridCell | null {
  const box = element.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return null;
  const column = Math.floor(((event.clientX - box.left) / box.width) * columns);
  const row = Math.floor(((event.clientY - box.top) / box.height) * rows);
  if (row < 0 || column < 0 || row >= rows || column >= columns) return null;
  return { row, column };
}

/** Mark the label of the selected row (a child of `rows`) and column (of `columns`). */
export function markSelectedLabels(rows: Element, columns: Element, selected: GridCell): void {
  for (const [r, el] of [...rows.children].entries()) el.classList.toggle("mi-selected", r === selected.row);
  for (const [c, el] of [...columns.children].entries()) el.classList.toggle("mi-selected", c === selected.column);
}
