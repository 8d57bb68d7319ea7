/**
 * Coloured tokens and example rows drawn onto a canvas, for the views' "Save PNG" figures.
 */

import { divergingIndex, divergingPalette, formatValue } from "./diverging";
import type { ExampleRow } from "./examples";
import type { ThemeColors } from "./theme";
import { visibleToken } from "./tokens";

/** Height of one line of tokens, px. */
export const FIGURE_LINE = 20;
export const FIGURE_MONO = "12px ui-monospace, Menlo, Consolas, monospace";

/** One token laid out at (x, y), `w` px wide, coloured by `value`. */
export interface TokenPiece {
  x: number;
  y: number;
  w: number;
  text: string;
  value: number;
}

/** Draw `piece` shifted down by `dy`: its box in the value's colour, its text on top. */
export function drawToken(ctx: CanvasRenderingContext2D, piece: TokenPiece, dy: number, scale: number, dark: boolean): void {
  const palette = divergingPalette(dark);
  const index = divergingIndex(piece.value, scale);
  ctx.fillStyle = palette.background[index];
  ctx.fillRect(piece.x, dy + piece.y, piece.w, FIGURE_LINE - 2);
  ctx.fillStyle = palette.text[index];
  ctx.fillText(piece.text, piece.x, dy + piece.y + 3);
}

/** Where and how example rows are drawn. */
export interface RowsPlacement {
  x: number;
  /** Top of the first row. */
  y: number;
  /** Right edge: tokens past it are left out. */
  right: number;
  scale: number;
  dark: boolean;
  colors: ThemeColors;
}

/** Draw one line per example (value, doc:position, coloured window, example token boxed). */
export function drawExampleRows(ctx: CanvasRenderingContext2D, rows: readonly ExampleRow[], at: RowsPlacement): void {
  rows.forEach((row, j) => {
    const ry = at.y + FIGURE_LINE * j;
    ctx.font = FIGURE_MONO;
    ctx.fillStyle = at.colors.muted;
    ctx.fillText(`${formatValue(row.value)} d${row.doc}:${row.position}`, at.x, ry + 3);
    let rx = at.x + 170;
    row.tokens.forEach((token, i) => {
      const text = visibleToken(token).text;
      const w = ctx.measureText(text).width;
      if (rx + w > at.right) return;
      drawToken(ctx, { x: rx, y: 0, w, text, value: row.values[i] }, ry, at.scale, at.dark);
      if (i === row.center) {
        ctx.strokeStyle = at.colors.accent;
        ctx.lineWidth = 2;
        ctx.strokeRect(rx, ry, w, FIGURE_LINE - 2);
      }
      rx += w;
    });
  });
}
