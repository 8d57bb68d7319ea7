/**
 * Token labels along the main heatmap: queries on the left, keys on top (rotated).
 * Only drawn when cells are at least `MIN_LABEL_CELL` pixels.
 */

import { renderToken, visibleToken } from "../lib/tokens";

export const MIN_LABEL_CELL = 10;

/** Height of the rotated key labels: fits the longest label (monospace estimate), 24..100 px. */
export function keyLabelHeight(tokens: readonly string[], fontPx: number): number {
  const longest = Math.max(1, ...tokens.map((t) => Array.from(visibleToken(t).text).length));
  return Math.round(Math.min(100, Math.max(24, longest * fontPx * 0.7 + 10)));
}

export class AxisLabels {
  private rows: HTMLDivElement[] = [];
  private cols: HTMLDivElement[] = [];
  private marked: HTMLElement[] = [];

  constructor(
    private readonly left: HTMLDivElement,
    private readonly top: HTMLDivElement,
  ) {}

  /** True when labels are shown. */
  get shown(): boolean {
    return this.rows.length > 0;
  }

  /** Rebuild the labels for `n` cells of `cell` px (none when cells are too small). */
  build(tokens: readonly string[], n: number, cell: number): void {
    this.marked = [];
    if (cell < MIN_LABEL_CELL) {
      this.left.replaceChildren();
      this.top.replaceChildren();
      this.rows = [];
      this.cols = [];
      this.top.style.removeProperty("height");
      return;
    }
    const font = `${Math.min(12, cell - 2)}px`;
    const make = (i: number, axis: "query" | "key") => {
      const label = this.left.ownerDocument.createElement("div");
      label.className = `mi-axis-label mi-${axis}-label`;
      label.dataset.index = String(i);
      label.style.fontSize = font;
      if (axis === "query") {
        label.style.height = label.style.lineHeight = `${cell}px`;
      } else {
        label.style.width = label.style.lineHeight = `${cell}px`;
      }
      const text = label.ownerDocument.createElement("span");
      renderToken(text, tokens[i] ?? "", i);
      label.appendChild(text);
      return label;
    };
    this.rows = Array.from({ length: n }, (_, i) => make(i, "query"));
    this.cols = Array.from({ length: n }, (_, i) => make(i, "key"));
    this.top.style.height = `${keyLabelHeight(tokens.slice(0, n), Math.min(12, cell - 2))}px`;
    this.left.replaceChildren(...this.rows);
    this.top.replaceChildren(...this.cols);
  }

  /** Highlight the hovered row/column and the locked query row. */
  mark(hoverRow: number | null, hoverCol: number | null, lockedRow: number | null): void {
    for (const el of this.marked) el.classList.remove("mi-hover", "mi-locked");
    this.marked = [];
    if (!this.shown) return;
    const add = (el: HTMLElement | undefined, cls: string) => {
      if (!el) return;
      el.classList.add(cls);
      this.marked.push(el);
    };
    if (hoverRow !== null) add(this.rows[hoverRow], "mi-hover");
    if (hoverCol !== null) add(this.cols[hoverCol], "mi-hover");
    if (lockedRow !== null) add(this.rows[lockedRow], "mi-locked");
  }
}
