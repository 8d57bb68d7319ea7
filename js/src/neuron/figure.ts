/**
 * "Save PNG" of the neuron view: title, legend, activation bar, the coloured text and the
 * examples shown, drawn onto one canvas.
 */

import { downloadCanvas, safeFilename } from "../lib/png";
import type { ThemeColors } from "../lib/theme";
import { tokenDisplay } from "../lib/tokens";
import { divergingIndex, divergingPalette, formatValue } from "./colormap";
import type { ExampleRow } from "./examples";

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
const LINE = 20;
/** Tokens drawn at most (a long text is cut, with a note). */
const MAX_TOKENS = 4000;

/** Compose the figure on a canvas (2x when small, so text stays sharp). */
export function composeNeuronFigure(figure: NeuronFigure, doc: Document = document): HTMLCanvasElement {
  const canvas = doc.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const mono = "12px ui-monospace, Menlo, Consolas, monospace";
  const sans = (size: number, bold = false) => `${bold ? "bold " : ""}${size}px system-ui, -apple-system, sans-serif`;
  const palette = divergingPalette(figure.dark);
  ctx.font = mono;
  // lay the text out first to know the height
  type Piece = { x: number; y: number; w: number; text: string; value: number };
  const pieces: Piece[] = [];
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
      const text = token.length === 0 ? "∅" : part ? tokenDisplay(part).text : "";
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
  ctx.font = sans(14, true);
  ctx.fillText(`${figure.title} — layer ${figure.layer}, neuron ${figure.neuron}`, PAD, PAD, WIDTH - 2 * PAD);
  // legend
  ctx.imageSmoothingEnabled = false;
  const ly = PAD + 26;
  ctx.drawImage(figure.legend, PAD, ly, 256, 10);
  ctx.font = sans(11);
  ctx.fillStyle = figure.colors.muted;
  ctx.fillText(formatValue(-figure.scale), PAD, ly + 12);
  ctx.textAlign = "center";
  ctx.fillText("0", PAD + 128, ly + 12);
  ctx.textAlign = "right";
  ctx.fillText(formatValue(figure.scale), PAD + 256, ly + 12);
  ctx.textAlign = "left";
  ctx.drawImage(figure.bar, PAD, PAD + 24 + 30, Math.min(figure.bar.width, WIDTH - 2 * PAD), figure.bar.height);

  const drawToken = (p: Piece, dy: number) => {
    const index = divergingIndex(p.value, figure.scale);
    ctx.fillStyle = palette.background[index];
    ctx.fillRect(p.x, dy + p.y, p.w, LINE - 2);
    ctx.fillStyle = palette.text[index];
    ctx.fillText(p.text, p.x, dy + p.y + 3);
  };
  ctx.font = mono;
  for (const piece of pieces) drawToken(piece, top);
  if (count < figure.tokens.length) {
    ctx.fillStyle = figure.colors.muted;
    ctx.fillText(`… ${figure.tokens.length - count} more tokens`, PAD, top + textHeight);
  }
  if (figure.examples.length) {
    ctx.font = sans(12, true);
    ctx.fillStyle = figure.colors.fg;
    ctx.fillText("Top corpus examples", PAD, examplesTop);
    figure.examples.forEach((row, j) => {
      const ry = examplesTop + LINE * (j + 1);
      ctx.font = mono;
      ctx.fillStyle = figure.colors.muted;
      const meta = `${formatValue(row.value)} d${row.doc}:${row.position}`;
      ctx.fillText(meta, PAD, ry + 3);
      let rx = PAD + 170;
      row.tokens.forEach((token, i) => {
        const text = tokenDisplay(token).text;
        const w = ctx.measureText(text).width;
        if (rx + w > WIDTH - PAD) return;
        drawToken({ x: rx, y: 0, w, text, value: row.values[i] }, ry);
        if (i === row.center) {
          ctx.strokeStyle = figure.colors.accent;
          ctx.lineWidth = 2;
          ctx.strokeRect(rx, ry, w, LINE - 2);
        }
        rx += w;
      });
    });
  }
  return canvas;
}

/** Compose and download as `neuron-L<layer>-N<neuron>.png`. */
export function saveNeuronPng(figure: NeuronFigure): Promise<void> {
  const canvas = composeNeuronFigure(figure, figure.bar.ownerDocument);
  return downloadCanvas(canvas, safeFilename(`neuron-L${figure.layer}-N${figure.neuron}`));
}
