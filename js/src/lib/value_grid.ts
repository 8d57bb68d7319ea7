/**
 * A labelled heatmap of signed values (`rows × columns`) in the diverging colours: one canvas
 * painted with one `putImageData`, an overlay canvas for the hovered and selected cell, row
 * and column labels as text (`textContent`), and a legend bar from −scale to +scale.
 *
 * Used by the patching view (layer × position / head) and the attribution view (layer × head).
 */

import { composeFigure } from "./png";
import { divergingIndex, divergingLut, formatValue, scaleFor } from "./diverging";
import { make } from "./dom";
import { cellUnder, drawCellMarks, markSelectedLabels, type GridCell } from "./marks";
import { visibleToken } from "./tokens";
import type { ThemeColors } from "./theme";

export type Cell = GridCell;

export interface GridSpec {
  values: Float32Array;
  rows: number;
  columns: number;
  rowLabels: readonly string[];
  columnLabels: readonly string[];
  /** Column labels are written top to bottom (long token labels). */
  verticalColumns: boolean;
}

/** Largest square cell (px) that keeps the grid within `maxWidth`, between 6 and 28 px. */
export function cellSize(columns: number, maxWidth = 760): number {
  return Math.max(6, Math.min(28, Math.floor(maxWidth / Math.max(1, columns))));
}

/** Show every `step`-th label so labels stay at least 12 px apart. */
export function labelEvery(cell: number): number {
  return Math.max(1, Math.ceil(12 / cell));
}

/** The symmetric colour scale of `values`: their largest magnitude (NaN ignored), at least `floor`. */
export function symmetricScale(values: Float32Array, floor = 0): number {
  let peak = floor;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > peak) peak = Math.abs(v);
  return scaleFor(peak);
}

/** Fill `pixels` (grid `rows*cell × columns*cell`) with the colour of each value. */
export function fillGrid(
  pixels: Uint32Array,
  values: Float32Array,
  rows: number,
  columns: number,
  cell: number,
  scale: number,
  lut: Uint32Array,
): void {
  const width = columns * cell;
  const nan = lut[128];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const v = values[r * columns + c];
      const color = Number.isFinite(v) ? lut[divergingIndex(v, scale)] : nan;
      for (let y = r * cell; y < (r + 1) * cell; y++) pixels.fill(color, y * width + c * cell, y * width + (c + 1) * cell);
    }
  }
}

export const VALUE_GRID_CSS = `
.mi-vgrid { display: grid; grid-template-columns: auto auto; width: max-content; max-width: 100%; overflow: auto; }
.mi-vgrid-corner { color: var(--mi-muted); font-size: 11px; align-self: end; justify-self: end; padding: 0 4px 2px 0; white-space: nowrap; }
.mi-vgrid-columns { display: flex; align-items: flex-end; }
.mi-vgrid-rows { display: flex; flex-direction: column; align-items: flex-end; }
.mi-vgrid-label {
  flex: none; box-sizing: border-box; overflow: hidden; white-space: pre; font-size: 11px;
  color: var(--mi-muted); font-family: var(--mi-mono); unicode-bidi: isolate; text-overflow: ellipsis;
}
.mi-vgrid-columns .mi-vgrid-label { text-align: center; padding-bottom: 2px; }
.mi-vgrid-columns.mi-vertical .mi-vgrid-label { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; max-height: 110px; padding: 0 0 2px; }
.mi-vgrid-rows .mi-vgrid-label { text-align: right; padding-right: 5px; }
.mi-vgrid-label.mi-selected { color: var(--mi-accent); font-weight: 700; }
.mi-vgrid-stack { position: relative; line-height: 0; }
.mi-vgrid-cells { display: block; image-rendering: pixelated; max-width: none; }
.mi-vgrid-overlay { position: absolute; left: 0; top: 0; cursor: pointer; max-width: none; }
.mi-vgrid-legend { display: flex; align-items: center; gap: 6px; font-size: 11.5px; margin-top: 6px; font-variant-numeric: tabular-nums; }
.mi-vgrid-legend canvas { width: 200px; height: 12px; image-rendering: pixelated; border: 1px solid var(--mi-border); }
.mi-vgrid-legend .mi-vgrid-caption { color: var(--mi-muted); }
`;

/** The grid's elements and its current geometry. */
export class ValueGrid {
  readonly el: HTMLDivElement;
  readonly cells: HTMLCanvasElement;
  readonly overlay: HTMLCanvasElement;
  readonly legend: HTMLDivElement;
  readonly legendBar: HTMLCanvasElement;
  private readonly corner: HTMLDivElement;
  private readonly columnBox: HTMLDivElement;
  private readonly rowBox: HTMLDivElement;
  private readonly legendLow: HTMLSpanElement;
  private readonly legendHigh: HTMLSpanElement;
  private readonly legendCaption: HTMLSpanElement;
  spec: GridSpec | null = null;
  cell = 12;
  scale = 1;

  constructor(doc: Document, corner: string, caption: string) {
    this.el = make(doc, "div", "mi-vgrid");
    this.corner = make(doc, "div", "mi-vgrid-corner", this.el);
    this.corner.textContent = corner;
    this.columnBox = make(doc, "div", "mi-vgrid-columns", this.el);
    this.rowBox = make(doc, "div", "mi-vgrid-rows", this.el);
    const stack = make(doc, "div", "mi-vgrid-stack", this.el);
    this.cells = make(doc, "canvas", "mi-vgrid-cells", stack);
    this.cells.setAttribute("role", "img");
    this.overlay = make(doc, "canvas", "mi-vgrid-overlay", stack);
    this.legend = make(doc, "div", "mi-vgrid-legend");
    this.legendCaption = make(doc, "span", "mi-vgrid-caption", this.legend);
    this.legendCaption.textContent = caption;
    this.legendLow = make(doc, "span", "", this.legend);
    this.legendBar = make(doc, "canvas", "", this.legend);
    this.legendHigh = make(doc, "span", "", this.legend);
  }

  /** The axis names shown in the corner, e.g. `layer \\ head`. */
  setCorner(text: string): void {
    this.corner.textContent = text;
  }

  /** New data: size the canvases, rebuild the labels. */
  setSpec(spec: GridSpec, scale: number): void {
    this.spec = spec;
    this.scale = scale;
    this.cell = cellSize(spec.columns);
    const width = spec.columns * this.cell;
    const height = spec.rows * this.cell;
    for (const canvas of [this.cells, this.overlay]) {
      canvas.width = width;
      canvas.height = height;
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const step = labelEvery(this.cell);
    const doc = this.el.ownerDocument;
    this.columnBox.classList.toggle("mi-vertical", spec.verticalColumns);
    this.columnBox.replaceChildren(
      ...spec.columnLabels.map((label, c) => this.label(doc, label, c % step === 0, "width")),
    );
    this.rowBox.replaceChildren(...spec.rowLabels.map((label, r) => this.label(doc, label, r % step === 0, "height")));
    this.legendLow.textContent = formatValue(-scale);
    this.legendHigh.textContent = `${formatValue(scale)}`;
  }

  private label(doc: Document, text: string, shown: boolean, side: "width" | "height"): HTMLElement {
    const el = make(doc, "div", "mi-vgrid-label");
    el.style[side] = `${this.cell}px`;
    if (side === "height") el.style.lineHeight = `${this.cell}px`;
    el.textContent = shown ? visibleToken(text).text : "";
    el.title = text;
    return el;
  }

  /** Paint every cell and the legend bar. */
  paint(dark: boolean): void {
    const spec = this.spec;
    const ctx = this.cells.getContext("2d");
    if (!spec || !ctx || this.cells.width === 0 || this.cells.height === 0) return;
    const lut = divergingLut(dark);
    const image = ctx.createImageData(this.cells.width, this.cells.height);
    fillGrid(new Uint32Array(image.data.buffer), spec.values, spec.rows, spec.columns, this.cell, this.scale, lut);
    ctx.putImageData(image, 0, 0);
    this.legendBar.width = lut.length;
    this.legendBar.height = 1;
    const bar = this.legendBar.getContext("2d");
    if (!bar) return;
    const row = bar.createImageData(lut.length, 1);
    new Uint32Array(row.data.buffer).set(lut);
    bar.putImageData(row, 0, 0);
  }

  /** Outline the hovered cell (dashed) and the selected one; mark their labels. */
  mark(hover: Cell | null, selected: Cell, colors: ThemeColors): void {
    drawCellMarks(this.overlay, this.cell, hover, selected, colors);
    markSelectedLabels(this.rowBox, this.columnBox, selected);
  }

  /** The cell under a pointer event, or null outside the grid. */
  cellAt(event: MouseEvent): Cell | null {
    return this.spec && cellUnder(this.overlay, event, this.spec.rows, this.spec.columns);
  }

  /** Viewport point at the lower right of a cell (where its tooltip goes without a pointer). */
  cellPoint(cell: Cell): { x: number; y: number } {
    const box = this.overlay.getBoundingClientRect();
    return { x: box.left + (cell.column + 1) * this.cell, y: box.top + (cell.row + 1) * this.cell };
  }

  /** The value of a cell (NaN outside). */
  value(cell: Cell): number {
    const spec = this.spec;
    if (!spec || cell.row >= spec.rows || cell.column >= spec.columns) return NaN;
    return spec.values[cell.row * spec.columns + cell.column];
  }

  /** The grid drawn for "Save PNG": title, labels, cells, marks and the legend. */
  figure(title: string, colors: ThemeColors): HTMLCanvasElement {
    const doc = this.el.ownerDocument;
    const footer = doc.createElement("canvas");
    footer.width = 320;
    footer.height = 18;
    const ctx = footer.getContext("2d");
    if (ctx) {
      ctx.imageSmoothingEnabled = false;
      ctx.fillStyle = colors.bg;
      ctx.fillRect(0, 0, footer.width, footer.height);
      ctx.font = "11px system-ui, sans-serif";
      ctx.textBaseline = "middle";
      ctx.fillStyle = colors.fg;
      ctx.fillText(formatValue(-this.scale), 0, 9);
      ctx.drawImage(this.legendBar, 60, 3, 200, 12);
      ctx.fillText(formatValue(this.scale), 266, 9);
    }
    const spec = this.spec;
    const step = labelEvery(this.cell);
    const shown = (labels: readonly string[]) => labels.map((l, i) => (i % step === 0 ? visibleToken(l).text : ""));
    return composeFigure(
      {
        title,
        colors,
        thumbs: [],
        main: this.cells,
        overlay: this.overlay,
        footer,
        rowLabels: shown(spec?.rowLabels ?? []),
        colLabels: shown(spec?.columnLabels ?? []),
        cell: this.cell,
      },
      doc,
    );
  }
}
