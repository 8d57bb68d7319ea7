/**
 * "Save PNG": compose what a view shows (title, thumbnails, main heatmap with its token
 * labels) onto one canvas and download it.
 */

import type { ThemeColors } from "./theme";

export interface FigureThumb {
  canvas: HTMLCanvasElement;
  label: string;
  selected: boolean;
}

export interface FigureSpec {
  title: string;
  colors: ThemeColors;
  thumbs: FigureThumb[];
  main: HTMLCanvasElement;
  /** Drawn over `main` at the same place (e.g. selection marks); optional. */
  overlay?: HTMLCanvasElement;
  /** Drawn under `main` (e.g. a colour legend); optional. */
  footer?: HTMLCanvasElement;
  /** Query labels (left) and key labels (top), one per cell; empty to leave them out. */
  rowLabels: string[];
  colLabels: string[];
  cell: number;
  /** Height of a row when cells are not square (default `cell`). */
  rowCell?: number;
}

/** The sans-serif font of figure text, `size` px, optionally bold (a canvas `font`). */
export function figureFont(size: number, bold = false): string {
  return `${bold ? "bold " : ""}${size}px system-ui, -apple-system, "Segoe UI", sans-serif`;
}

const PAD = 12;
const THUMB = 48;
const GAP = 8;
const LABEL_MAX = 120;

/** Draw the figure onto a new canvas (2x for small figures so text stays sharp). */
export function composeFigure(spec: FigureSpec, doc: Document = document): HTMLCanvasElement {
  const canvas = doc.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const labelFont = `${Math.min(12, Math.max(8, spec.cell - 2))}px ui-monospace, Menlo, Consolas, monospace`;
  ctx.font = labelFont;
  const measure = (labels: string[]) =>
    labels.length ? Math.min(LABEL_MAX, Math.max(...labels.map((l) => ctx.measureText(l).width))) + 6 : 0;
  const left = measure(spec.rowLabels);
  const top = measure(spec.colLabels);
  const mainW = left + spec.main.width;
  const footerW = spec.footer?.width ?? 0;
  const footerH = spec.footer ? spec.footer.height + GAP : 0;
  const width = Math.max(mainW, footerW, 360, Math.min(spec.thumbs.length * (THUMB + GAP), 720)) + 2 * PAD;
  const perRow = Math.max(1, Math.floor((width - 2 * PAD + GAP) / (THUMB + GAP)));
  const thumbRows = Math.ceil(spec.thumbs.length / perRow);
  const thumbsH = thumbRows * (THUMB + 18);
  const titleH = 24;
  const height = PAD + titleH + thumbsH + GAP + top + spec.main.height + footerH + PAD;
  const scale = Math.max(width, height) <= 1400 ? 2 : 1;
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  ctx.scale(scale, scale);
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = spec.colors.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = spec.colors.fg;
  ctx.textBaseline = "top";
  ctx.font = figureFont(14, true);
  ctx.fillText(spec.title, PAD, PAD, width - 2 * PAD);

  let y = PAD + titleH;
  ctx.font = figureFont(11);
  spec.thumbs.forEach((thumb, i) => {
    const x = PAD + (i % perRow) * (THUMB + GAP);
    const ty = y + Math.floor(i / perRow) * (THUMB + 18);
    ctx.drawImage(thumb.canvas, x, ty, THUMB, THUMB);
    if (thumb.selected) {
      ctx.strokeStyle = spec.colors.accent;
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 1, ty - 1, THUMB + 2, THUMB + 2);
    }
    ctx.fillStyle = spec.colors.muted;
    ctx.fillText(thumb.label, x, ty + THUMB + 3);
  });
  y += thumbsH + GAP;

  const mx = PAD + left;
  const my = y + top;
  ctx.drawImage(spec.main, mx, my);
  if (spec.overlay) ctx.drawImage(spec.overlay, mx, my);
  if (spec.footer) ctx.drawImage(spec.footer, PAD, my + spec.main.height + GAP);
  ctx.fillStyle = spec.colors.fg;
  ctx.font = labelFont;
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  for (const [q, label] of spec.rowLabels.entries()) {
    ctx.fillText(label, mx - 4, my + (q + 0.5) * (spec.rowCell ?? spec.cell), LABEL_MAX);
  }
  ctx.textAlign = "left";
  spec.colLabels.forEach((label, k) => {
    ctx.save();
    ctx.translate(mx + (k + 0.5) * spec.cell, my - 4);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(label, 0, 0, LABEL_MAX);
    ctx.restore();
  });
  return canvas;
}

/** Download a canvas as `filename` (PNG) through a Blob URL. */
export function downloadCanvas(canvas: HTMLCanvasElement, filename: string): Promise<void> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) {
        reject(new Error("could not encode the PNG"));
        return;
      }
      const url = URL.createObjectURL(blob);
      const link = canvas.ownerDocument.createElement("a");
      link.href = url;
      link.download = filename;
      link.style.display = "none";
      canvas.ownerDocument.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      resolve();
    }, "image/png");
  });
}

/** Save a figure of canvases without axis labels (`main`, `footer` under it, `thumbs` above) as `<name>.png`. */
export function savePanels(
  panels: { title: string; colors: ThemeColors; main: HTMLCanvasElement; footer?: HTMLCanvasElement; thumbs?: FigureThumb[] },
  name: string,
  doc: Document,
): Promise<void> {
  const figure = composeFigure({ thumbs: [], ...panels, rowLabels: [], colLabels: [], cell: 12 }, doc);
  return downloadCanvas(figure, safeFilename(name));
}

/** The "Save PNG" button (class `mi-save-png`). */
export function saveButton(doc: Document, onClick: () => void): HTMLButtonElement {
  const button = doc.createElement("button");
  button.type = "button";
  button.className = "mi-save-png";
  button.textContent = "Save PNG";
  button.title = "Save what is shown as a PNG image";
  button.addEventListener("click", onClick);
  return button;
}

/** A file name made of safe characters only. */
export function safeFilename(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
  return `${cleaned || "figure"}.png`;
}
