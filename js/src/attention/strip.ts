/**
 * The token strip: one span per token, coloured by the attention the displayed query
 * token pays to each key.
 */

import { cssPalette, lutIndex } from "../lib/colormap";
import { renderToken } from "../lib/tokens";

/** Tokens per chunk of a long strip. */
const CHUNK = 256;

export class TokenStrip {
  private spans: HTMLSpanElement[] = [];
  /** LUT index each span is painted with (-1: uncoloured), and the theme it used. */
  private painted = new Int16Array(0);
  private values = new Float64Array(0);
  private paintedDark = false;
  private coloured = false;
  private marks = { query: -1, hover: -1, locked: false };

  constructor(private readonly container: HTMLDivElement) {}

  /**
   * Replace the spans (`span.mi-token[data-index]`). Long strips are split into chunks that
   * the browser skips while they are scrolled out of view (`content-visibility: auto`).
   */
  build(tokens: readonly string[]): void {
    const doc = this.container.ownerDocument;
    const spans = tokens.map((token, i) => {
      const span = doc.createElement("span");
      span.className = "mi-token";
      span.dataset.index = String(i);
      renderToken(span, token, i);
      return span;
    });
    if (spans.length <= CHUNK) {
      this.container.replaceChildren(...spans);
    } else {
      const chunks: HTMLDivElement[] = [];
      for (let start = 0; start < spans.length; start += CHUNK) {
        const chunk = doc.createElement("div");
        chunk.className = "mi-token-chunk";
        chunk.append(...spans.slice(start, start + CHUNK));
        chunks.push(chunk);
      }
      this.container.replaceChildren(...chunks);
    }
    this.spans = spans;
    this.painted = new Int16Array(spans.length).fill(-1);
    this.values = new Float64Array(spans.length).fill(NaN);
    this.coloured = false;
    this.marks = { query: -1, hover: -1, locked: false };
  }

  /** Colour span k by `value(k)`; with `value` null the strip is uncoloured. */
  colour(value: ((k: number) => number) | null, count: number, dark: boolean): void {
    const painted = this.painted;
    if (!value) {
      if (!this.coloured) return;
      this.spans.forEach((span, k) => {
        if (painted[k] < 0) return;
        span.style.removeProperty("background-color");
        span.style.removeProperty("color");
        delete span.dataset.value;
        painted[k] = -1;
        this.values[k] = NaN;
      });
      this.coloured = false;
      return;
    }
    if (dark !== this.paintedDark) painted.fill(-1);
    this.paintedDark = dark;
    const palette = cssPalette(dark);
    const n = Math.min(count, this.spans.length);
    for (let k = 0; k < n; k++) {
      const v = value(k);
      const span = this.spans[k];
      if (this.values[k] !== v) {
        this.values[k] = v;
        span.dataset.value = v.toFixed(4);
      }
      const index = lutIndex(v);
      if (painted[k] === index) continue;
      painted[k] = index;
      span.style.backgroundColor = palette.background[index];
      span.style.color = palette.text[index];
    }
    this.coloured = true;
  }

  /** Outline the displayed query token, and the hovered one. */
  mark(query: number | null, hover: number | null, locked: boolean): void {
    const q = query ?? -1;
    const h = hover ?? -1;
    const old = this.marks;
    if (old.query !== q || old.locked !== locked) {
      this.spans[old.query]?.classList.remove("mi-query", "mi-locked");
      this.spans[q]?.classList.add("mi-query");
      this.spans[q]?.classList.toggle("mi-locked", locked);
    }
    if (old.hover !== h) {
      this.spans[old.hover]?.classList.remove("mi-hover");
      this.spans[h]?.classList.add("mi-hover");
    }
    this.marks = { query: q, hover: h, locked };
  }
}
