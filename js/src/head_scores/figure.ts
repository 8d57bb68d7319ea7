/**
 * "Save PNG" of the head-scores view: title, the grid with its selection and labels, legend.
 */

import { composeFigure, downloadCanvas, safeFilename } from "../lib/png";
import type { ThemeColors } from "../lib/theme";
import { scoreLabel } from "./format";

export interface ScoresFigure {
  title: string;
  score: string;
  layerLabel: number;
  head: number;
  value: string;
  layerLabels: readonly number[];
  heads: number;
  cell: number;
  grid: HTMLCanvasElement;
  overlay: HTMLCanvasElement;
  legend: HTMLCanvasElement;
  colors: ThemeColors;
}

/** Compose the figure and download it as `head-scores-<score>-L<layer>-H<head>.png`. */
export function saveScoresPng(figure: ScoresFigure): Promise<void> {
  const { score, layerLabel, head } = figure;
  const canvas = composeFigure(
    {
      title: `${figure.title}: ${scoreLabel(score)} — layer ${layerLabel}, head ${head} = ${figure.value}`,
      colors: figure.colors,
      thumbs: [],
      main: figure.grid,
      overlay: figure.overlay,
      footer: figure.legend,
      rowLabels: figure.layerLabels.map((l) => `L${l}`),
      colLabels: Array.from({ length: figure.heads }, (_, h) => `H${h}`),
      cell: figure.cell,
    },
    figure.grid.ownerDocument,
  );
  return downloadCanvas(canvas, safeFilename(`head-scores-${score}-L${layerLabel}-H${head}`));
}
