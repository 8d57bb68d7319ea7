/**
 * "Save PNG" of the attention view: title, head thumbnails and the main heatmap with labels.
 */

import { composeFigure, downloadCanvas, safeFilename } from "../lib/png";
import type { ThemeColors } from "../lib/theme";
import { shortToken } from "../lib/tokens";
import { MIN_LABEL_CELL } from "./axes";

export interface AttentionFigure {
  title: string;
  layer: number;
  head: number;
  tokens: readonly string[];
  n: number;
  cell: number;
  main: HTMLCanvasElement;
  thumbs: HTMLCanvasElement[];
  colors: ThemeColors;
}

/** Compose the figure and download it as `attention-L<layer>-H<head>.png`. */
export function saveAttentionPng(figure: AttentionFigure): Promise<void> {
  const { layer, head, cell } = figure;
  const labels = cell >= MIN_LABEL_CELL ? figure.tokens.slice(0, figure.n).map((t) => shortToken(t, 14)) : [];
  const canvas = composeFigure(
    {
      title: `${figure.title} — layer ${layer}, head ${head}`,
      colors: figure.colors,
      thumbs: figure.thumbs.map((thumb, h) => ({ canvas: thumb, label: `H${h}`, selected: h === head })),
      main: figure.main,
      rowLabels: labels,
      colLabels: labels,
      cell,
    },
    figure.main.ownerDocument,
  );
  return downloadCanvas(canvas, safeFilename(`attention-L${layer}-H${head}`));
}
