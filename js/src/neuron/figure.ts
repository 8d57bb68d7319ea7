/**
 * "Save PNG" of the neuron view: title, legend, activation bar, the coloured text and the
 * examples shown, drawn onto one canvas.
 */

import { formatValue } from "../lib/diverging";
import type { ExampleRow } from "../lib/examples";
import { drawExampleRows, drawToken, FIGURE_LINE as LINE, FIGURE_MONO, type TokenPiece } from "../lib/figure_tokens";
import { downloadCanvas, figureFont, safeFilename } from "../lib/png";
import type { ThemeColors } from "../lib/theme";
import { EMPTY_MARK, visibleToken } from "../lib/tokens";

export interface NeuronFigure {
  title: string;
  layer: number;
  neuron: number;
  tokens: readonly string[];
  values: ArrayLike<number>;
  scale: number;
  dark: boolean;
  legend: HTMLCanvasElement;
  bar: HTMLCanvasElement;
  examples: readonly ExampleRow[];
  colors: ThemeColors;
}

const WIDTH = 900;
const PAD = 12;
/** Tokens drawn at most (a long text is cut, with a note). */
const MAX_TOKENS = 4000;

/** Compose the figure on a canvas (2x when small, so text stays sharp). */
export function composeNeuronFigure(figure: NeuronFigure, doc: Document = document): HTMLCanvasElement {
  const canvas = doc.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const mono = FIGURE_MONO;
  ctx.font = mono;
  // lay the text out first to know the height
  const pieces: TokenPiece[] = [];
  let x = PAD;
  let y = 0;
  const count = Math.min(figure.tokens.length, MAX_TOKENS);
  for (let t = 0; t < count; t++) {
    const token = figure.tokens[t];
    const lines = token.length ? token.split("\n") : [""];
    lines.forEach((part, i) => {
      if (i > 0) {
        pieces.push({ x, y, w: ctx.measureText("↵").width, text: "↵", value: figure.values[t] });
        x = PAD;
        y += LINE;
      }
      const text = token.length === 0 ? EMPTY_MARK : part ? visibleToken(part).text : "";
      if (!text) return;
      const w = ctx.measureText(text).width;
      if (x + w > WIDTH - PAD && x > PAD) {
        x = PAD;
        y += LINE;
      }
      pieces.push({ x, y, w, text, value: figure.values[t] });
      x += w;
    });
  }
  const textHeight = y + LINE;
  const top = PAD + 24 + 30 + figure.bar.height + 10;
  const examplesTop = top + textHeight + (count < figure.tokens.length ? LINE : 0) + 16;
  const height = examplesTop + (figure.examples.length ? LINE * (figure.examples.length + 1) : 0) + PAD;
  const scale = height <= 3000 ? 2 : 1;
  canvas.width = WIDTH * scale;
  canvas.height = Math.ceil(height * scale);
  ctx.scale(scale, scale);
  ctx.fillStyle = figure.colors.bg;
  ctx.fillRect(0, 0, WIDTH, height);
  ctx.textBaseline = "top";
  ctx.fillStyle = figure.colors.fg;
  ctx.font = figureFont(14, true);
  ctx.fillText(`${figure.title} — layer ${figure.layer}, neuron ${figure.neuron}`, PAD, PAD, WIDTH - 2 * PAD);
  // legend
  ctx.imageSmoothingEnabled = false;
  const ly = PAD + 26;
  ctx.drawImage(figure.legend, PAD, ly, 256, 10);
  ctx.font = figureFont(11);
  ctx.fillStyle = figure.colors.muted;
  ctx.fillText(formatValue(-figure.scale), PAD, ly + 12);
  ctx.textAlign = "center";
  ctx.fillText("0", PAD + 128, ly + 12);
  ctx.textAlign = "right";
  ctx.fillText(formatValue(figure.scale), PAD + 256, ly + 12);
  ctx.textAlign = "left";
  ctx.drawImage(figure.bar, PAD, PAD + 24 + 30, Math.min(figure.bar.width, WIDTH - 2 * PAD), figure.bar.height);

  ctx.font = mono;
  for (const piece of pieces) drawToken(ctx, piece, top, figure.scale, figure.dark);
  if (count < figure.tokens.length) {
    ctx.fillStyle = figure.colors.muted;
    ctx.fillText(`… ${figure.tokens.length - count} more tokens`, PAD, top + textHeight);
  }
  if (figure.examples.length) {
    ctx.font = figureFont(12, true);
    ctx.fillStyle = figure.colors.fg;
    ctx.fillText("Top corpus examples", PAD, examplesTop);
    const { dark, colors } = figure;
    const at = { x: PAD, y: examplesTop + LINE, right: WIDTH - PAD, scale: figure.scale, dark, colors };
    drawExampleRows(ctx, figure.examples, at);
  }
  return canvas;
}

/** Compose and download as `neuron-L<layer>-N<neuron>.png`. */
export function saveNeuronPng(figure: NeuronFigure): Promise<void> {
  const canvas = composeNeuronFigure(figure, figure.bar.ownerDocument);
  return downloadCanvas(canvas, safeFilename(`neuron-L${figure.layer}-N${figure.neuron}`));
}
