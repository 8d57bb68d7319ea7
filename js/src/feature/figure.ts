/**
 * "Save PNG" of the feature dashboard: the selected feature's numbers, histogram, logit
 * effects, nearest features, top examples and interval examples on one canvas.
 */

import { formatValue } from "../lib/diverging";
import type { ExampleRow } from "../lib/examples";
import { drawExampleRows, FIGURE_LINE as LINE, FIGURE_MONO } from "../lib/figure_tokens";
import { downloadCanvas, figureFont, safeFilename } from "../lib/png";
import type { ThemeColors } from "../lib/theme";
import { shortToken } from "../lib/tokens";
import { intervalLabel } from "./intervals";
import type { FeatureData } from "./layout";

export interface FeatureFigure {
  title: string;
  stats: string;
  data: FeatureData;
  histogram: HTMLCanvasElement;
  /** Labels under the histogram's left and right ends. */
  axis: [string, string];
  scale: number;
  dark: boolean;
  colors: ThemeColors;
}

const WIDTH = 1000;
const PAD = 12;

/** Compose the figure on a canvas (2x when small, so text stays sharp). */
export function composeFeatureFigure(figure: FeatureFigure, doc: Document = document): HTMLCanvasElement {
  const canvas = doc.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const { data, colors } = figure;
  const groups = data.intervals.filter((group) => group.rows.length > 0);
  const tableRows = Math.max(data.raised.length, data.lowered.length, data.nearest.length) + 1;
  const top = PAD + 44;
  const panelHeight = Math.max(figure.histogram.height + 20, tableRows * 16);
  const examplesTop = top + panelHeight + 16;
  /** Height of a block: its heading, its rows and a gap. */
  const rows = (list: readonly ExampleRow[]) => (list.length + 1) * LINE + 8;
  const height = examplesTop + rows(data.top) + groups.reduce((h, g) => h + rows(g.rows), 0) + 2 * PAD;
  const scale = height <= 3000 ? 2 : 1;
  canvas.width = WIDTH * scale;
  canvas.height = Math.ceil(height * scale);
  ctx.scale(scale, scale);
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, WIDTH, height);
  ctx.textBaseline = "top";
  ctx.fillStyle = colors.fg;
  ctx.font = figureFont(14, true);
  ctx.fillText(`${figure.title} — feature ${data.feature}`, PAD, PAD, WIDTH - 2 * PAD);
  ctx.font = figureFont(12);
  ctx.fillStyle = colors.muted;
  ctx.fillText(figure.stats, PAD, PAD + 22, WIDTH - 2 * PAD);

  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(figure.histogram, PAD, top);
  ctx.font = figureFont(11);
  ctx.fillText(figure.axis[0], PAD, top + figure.histogram.height + 4);
  ctx.textAlign = "right";
  ctx.fillText(figure.axis[1], PAD + figure.histogram.width, top + figure.histogram.height + 4);
  ctx.textAlign = "left";

  const column = (x: number, heading: string, lines: [string, string][]) => {
    ctx.font = figureFont(12, true);
    ctx.fillStyle = colors.fg;
    ctx.fillText(heading, x, top);
    ctx.font = FIGURE_MONO;
    lines.forEach(([left, right], i) => {
      ctx.fillStyle = colors.fg;
      ctx.fillText(left, x, top + 16 * (i + 1), 120);
      ctx.fillStyle = colors.muted;
      ctx.fillText(right, x + 125, top + 16 * (i + 1));
    });
  };
  const effect = (e: { token: string; value: number }): [string, string] => [shortToken(e.token, 14), formatValue(e.value)];
  column(PAD + 390, "raises", data.raised.map(effect));
  column(PAD + 590, "lowers", data.lowered.map(effect));
  column(PAD + 790, "nearest (cosine)", data.nearest.map((n) => [`#${n.feature}`, n.cosine.toFixed(3)]));

  const placement = { x: PAD, right: WIDTH - PAD, scale: figure.scale, dark: figure.dark, colors };
  let y = examplesTop;
  const block = (heading: string, list: readonly ExampleRow[]) => {
    ctx.font = figureFont(12, true);
    ctx.fillStyle = colors.fg;
    ctx.fillText(heading, PAD, y);
    drawExampleRows(ctx, list, { ...placement, y: y + LINE });
    y += rows(list);
  };
  block("Top examples", data.top);
  for (const group of groups) block(`Interval ${intervalLabel(group)}`, group.rows);
  return canvas;
}

/** Compose and download as `feature-<f>.png`. */
export function saveFeaturePng(figure: FeatureFigure): Promise<void> {
  const canvas = composeFeatureFigure(figure, figure.histogram.ownerDocument);
  return downloadCanvas(canvas, safeFilename(`feature-${figure.data.feature}`));
}
