/**
 * The lens grid as pixels and text: one `cellWidth x CELL_HEIGHT` block per (row, position),
 * coloured by the top-1 token's probability (the sequential map of `lib/colormap.ts`, fixed
 * scale [0, 1]), with that token written in it as canvas text (never HTML).
 */

import { cssPalette, lutIndex, probabilityLut } from "../lib/colormap";
import { make } from "../lib/dom";
import { cellUnder, drawCellMarks, markSelectedLabels } from "../lib/marks";
import type { ThemeColors } from "../lib/theme";
import { shortToken } from "../lib/tokens";
import type { Cell } from "../lib/value_grid";
import { topEntry, type LensData } from "./data";

export const CELL_HEIGHT = 22;
/** Widest cell, and the canvas width the grid keeps under (browsers cap canvas sides). */
const MAX_CELL_WIDTH = 48;
const MAX_GRID_WIDTH = 30000;
/** Cells narrower than this carry no text. */
export const MIN_TEXT_WIDTH = 24;

/** Pixels per position: 48 down to 4 so that the grid stays under 30,000 px. */
export function cellWidth(positions: number): number {
  return Math.max(4, Math.min(MAX_CELL_WIDTH, Math.floor(MAX_GRID_WIDTH / Math.max(1, positions))));
}

/** Characters of a token that fit in a cell (about 6.6 px each at 11 px monospace). */
export function charsPerCell(width: number): number {
  return Math.max(1, Math.floor((width - 4) / 6.6));
}

/** Fill `pixels` (width `positions * w`) with each cell's top-1 colour. */
export function fillCells(pixels: Uint32Array, d: LensData, w: number, h: number, lut: Uint32Array): void {
  const width = d.positions * w;
  for (let r = 0; r < d.rows; r++) {
    for (let p = 0; p < d.positions; p++) {
      const color = lut[lutIndex(topEntry(d, r, p).prob)];
      const left = p * w;
      for (let y = r * h; y < (r + 1) * h; y++) pixels.fill(color, y * width + left, y * width + left + w);
    }
  }
}

/** Write each cell's top-1 token, in the text colour that reads best on its background. */
export function drawCellText(ctx: CanvasRenderingContext2D, d: LensData, tokens: readonly string[], w: number, h: number, dark: boolean): void {
  if (w < MIN_TEXT_WIDTH) return;
  const ink = cssPalette(dark).text;
  const chars = charsPerCell(w);
  ctx.font = "11px ui-monospace, Menlo, Consolas, monospace";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let r = 0; r < d.rows; r++) {
    for (let p = 0; p < d.positions; p++) {
      const { candidate, prob } = topEntry(d, r, p);
      ctx.fillStyle = ink[lutIndex(prob)];
      ctx.fillText(shortToken(tokens[candidate] ?? "", chars), (p + 0.5) * w, (r + 0.5) * h, w - 2);
    }
  }
}

/** The grid's elements (labels, cells, overlay) and geometry; the `CellGrid` of the view. */
export class LensGrid {
  readonly el: HTMLDivElement;
  readonly cells: HTMLCanvasElement;
  readonly overlay: HTMLCanvasElement;
  private readonly columnBox: HTMLDivElement;
  private readonly rowBox: HTMLDivElement;
  spec: { rows: number; columns: number } | null = null;
  /** Cell width (px); the height is `CELL_HEIGHT`. */
  w = 0;

  constructor(doc: Document) {
    this.el = make(doc, "div", "mi-lens-grid-box");
    make(doc, "div", "mi-lens-corner", this.el).textContent = "row \\ position";
    this.columnBox = make(doc, "div", "mi-lens-columns", this.el);
    this.rowBox = make(doc, "div", "mi-lens-rows", this.el);
    const stack = make(doc, "div", "mi-lens-stack", this.el);
    this.cells = make(doc, "canvas", "mi-lens-grid", stack);
    this.cells.setAttribute("role", "img");
    this.cells.setAttribute("aria-label", "top-1 token of every row and position, coloured by its probability");
    this.overlay = make(doc, "canvas", "mi-lens-overlay", stack);
  }

  /** New shape: size the canvases, rebuild the labels (text only; position labels thinned when narrow). */
  setShape(rows: readonly string[], positions: readonly string[]): void {
    this.spec = { rows: rows.length, columns: positions.length };
    this.w = cellWidth(positions.length);
    const width = positions.length * this.w;
    const height = rows.length * CELL_HEIGHT;
    for (const canvas of [this.cells, this.overlay]) {
      canvas.width = width;
      canvas.height = height;
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const doc = this.el.ownerDocument;
    const step = Math.max(1, Math.ceil(14 / this.w));
    const label = (text: string, shown: boolean, side: "width" | "height", size: number) => {
      const el = make(doc, "div", "mi-lens-label");
      el.style[side] = `${size}px`;
      if (side === "height") el.style.lineHeight = `${size}px`;
      el.textContent = shown ? text : "";
      el.title = text;
      return el;
    };
    this.rowBox.replaceChildren(...rows.map((text) => label(text, true, "height", CELL_HEIGHT)));
    this.columnBox.replaceChildren(...positions.map((text, p) => label(text, p % step === 0, "width", this.w)));
  }

  /** Paint every cell: one putImageData for the colours, then the top-1 tokens as text. */
  paint(d: LensData, tokens: readonly string[], dark: boolean): void {
    const ctx = this.cells.getContext("2d");
    if (!ctx || this.cells.width === 0 || this.cells.height === 0) return;
    const image = ctx.createImageData(this.cells.width, this.cells.height);
    fillCells(new Uint32Array(image.data.buffer), d, this.w, CELL_HEIGHT, probabilityLut(dark));
    ctx.putImageData(image, 0, 0);
    drawCellText(ctx, d, tokens, this.w, CELL_HEIGHT, dark);
  }

  /** Outline the hovered and selected cells; mark the selected row and position labels. */
  mark(hover: Cell | null, selected: Cell, colors: ThemeColors): void {
    drawCellMarks(this.overlay, [this.w, CELL_HEIGHT], hover, selected, colors);
    markSelectedLabels(this.rowBox, this.columnBox, selected);
  }

  /** The cell under a pointer event, or null outside the grid. */
  cellAt(event: MouseEvent): Cell | null {
    return this.spec && cellUnder(this.overlay, event, this.spec.rows, this.spec.columns);
  }

  /** Viewport point at the lower right of a cell (where its tooltip goes without a pointer). */
  cellPoint(cell: Cell): { x: number; y: number } {
    const box = this.overlay.getBoundingClientRect();
    return { x: box.left + (cell.column + 1) * this.w, y: box.top + (cell.row + 1) * CELL_HEIGHT };
  }
}
