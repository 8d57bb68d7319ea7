/**
 * Coloured tokens and example rows drawn onto a canvas, for the views' "Save PNG" figures.
 */

import { divergingIndex, divergingPalette, formatValue } from "./diverging";
import { CONTEXT_BEFORE_CHARS, type ExampleRow, offsetsFromExample } from "./examples";
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

/** Where the tokens of the example rows start, px right of `RowsPlacement.x`. */
export const FIGURE_TOKENS_X = 170;

/**
 * Draw one line per example (value, doc:position, coloured window, example token boxed), the
 * rows aligned on their example token as in the page: it starts `CONTEXT_BEFORE_CHARS`
 * characters into the token column; context that does not fit on either side is left out.
 */
export function drawExampleRows(ctx: CanvasRenderingContext2D, rows: readonly ExampleRow[], at: RowsPlacement): void {
  ctx.font = FIGURE_MONO;
  const left = at.x + FIGURE_TOKENS_X;
  const anchor = left + CONTEXT_BEFORE_CHARS * ctx.measureText("0").width;
  rows.forEach((row, j) => {
    const ry = at.y + FIGURE_LINE * j;
    ctx.font = FIGURE_MONO;
    ctx.fillStyle = at.colors.muted;
    ctx.fillText(`${formatValue(row.value)} d${row.doc}:${row.position}`, at.x, ry + 3);
    const texts = row.tokens.map((token) => visibleToken(token).text);
    const widths = texts.map((text) => ctx.measureText(text).width);
    const offsets = offsetsFromExample(widths, row.center);
    texts.forEach((text, i) => {
      const rx = anchor + offsets[i];
      const w = widths[i];
      if (rx < left || rx + w > at.right) return;
      drawToken(ctx, { x: rx, y: 0, w, text, value: row.values[i] }, ry, at.scale, at.dark);
      if (i === row.center) {
        ctx.strokeStyle = at.colors.accent;
        ctx.lineWidth = 2;
        ctx.strokeRect(rx, ry, w, FIGURE_LINE - 2);
      }
    });
  });
}
