/**
 * "Save PNG" of the lens view: title, the grid with its labels and selection, the colour
 * legend, and the target's line chart under it.
 */

import { composeFigure, downloadCanvas, figureFont, safeFilename } from "../lib/png";
import type { ThemeColors } from "../lib/theme";
import { legendFigure } from "../head_scores/legend";

export interface LensFigure {
  title: string;
  filename: string;
  rows: string[];
  positions: string[];
  cellWidth: number;
  cellHeight: number;
  grid: HTMLCanvasElement;
  overlay: HTMLCanvasElement;
  legendBar: HTMLCanvasElement;
  chartTitle: string;
  chart: HTMLCanvasElement;
  colors: ThemeColors;
}

/** Legend, chart title and chart stacked on one canvas (the figure's footer). */
function footer(figure: LensFigure, doc: Document): HTMLCanvasElement {
  const legend = legendFigure(doc, { bar: figure.legendBar, swatch: null, caption: "top-1 probability", colors: figure.colors });
  const canvas = doc.createElement("canvas");
  canvas.width = Math.max(legend.width, figure.chart.width);
  canvas.height = legend.height + 26 + figure.chart.height;
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  ctx.fillStyle = figure.colors.bg;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(legend, 0, 0);
  ctx.fillStyle = figure.colors.fg;
  ctx.font = figureFont(12, true);
  ctx.textBaseline = "top";
  ctx.fillText(figure.chartTitle, 0, legend.height + 8, canvas.width);
  ctx.drawImage(figure.chart, 0, legend.height + 26);
  return canvas;
}

/** Compose the figure and download it as `<filename>.png`. */
export function saveLensPng(figure: LensFigure): Promise<void> {
  const doc = figure.grid.ownerDocument;
  const canvas = composeFigure(
    {
      title: figure.title,
      colors: figure.colors,
      thumbs: [],
      main: figure.grid,
      overlay: figure.overlay,
      footer: footer(figure, doc),
      rowLabels: figure.rows,
      colLabels: figure.positions,
      cell: figure.cellWidth,
      rowCell: figure.cellHeight,
    },
    doc,
  );
  return downloadCanvas(canvas, safeFilename(figure.filename));
}
