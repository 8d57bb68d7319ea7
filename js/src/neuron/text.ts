/**
 * Token spans coloured by one neuron: the running text (whitespace and newlines kept as in
 * the text) and the rows of corpus examples (one line each). Tokens are set as text only.
 */

import { EMPTY_MARK, tokenDisplay, tokenTitle } from "../lib/tokens";
import { divergingIndex, divergingPalette } from "./colormap";

/** Tokens per chunk of a long text (chunks off screen are skipped by the browser). */
const CHUNK = 256;

/**
 * How a token reads in running text: newlines stay line breaks (after a `↵` mark, so the
 * token can be seen and hovered), tabs stay tabs, other control characters become their
 * Unicode control pictures, the empty token shows `∅`.
 */
export function runningText(token: string): string {
  if (token.length === 0) return EMPTY_MARK;
  return token.replace(/[\x00-\x1f\x7f]/g, (ch) => {
    if (ch === "\n") return "↵\n";
    if (ch === "\t") return "\t";
    return tokenDisplay(ch).text;
  });
}

/** One token span (`span.mi-ntok[data-index]`), its text set with textContent. */
export function tokenSpan(doc: Document, token: string, index: number, running: boolean): HTMLSpanElement {
  const span = doc.createElement("span");
  span.className = "mi-ntok";
  span.dataset.index = String(index);
  span.textContent = running ? runningText(token) : tokenDisplay(token).text;
  if (token.length === 0) span.classList.add("mi-token-empty");
  span.dir = "auto";
  span.title = tokenTitle(token, running ? index : undefined);
  return span;
}

/** Colour `spans` by `values` on `scale`, touching only spans whose colour changed. */
export class SpanPainter {
  private painted = new Int16Array(0);
  /** The text colour each span has (index into the palette's two text colours), or -1. */
  private inked: string[] = [];
  private dark = false;

  constructor(private spans: HTMLSpanElement[] = []) {
    this.reset(spans);
  }

  reset(spans: HTMLSpanElement[]): void {
    this.spans = spans;
    this.painted = new Int16Array(spans.length).fill(-1);
    this.inked = new Array<string>(spans.length).fill("");
  }

  paint(values: ArrayLike<number>, scale: number, dark: boolean): void {
    if (dark !== this.dark) {
      this.painted.fill(-1);
      this.inked.fill("");
    }
    this.dark = dark;
    const palette = divergingPalette(dark);
    const { spans, painted, inked } = this;
    const n = Math.min(spans.length, values.length);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const span = spans[i];
      if (Number.isNaN(v)) continue;
      const index = divergingIndex(v, scale);
      if (painted[i] === index) continue;
      painted[i] = index;
      span.style.backgroundColor = palette.background[index];
      const ink = palette.text[index];
      if (inked[i] !== ink) {
        inked[i] = ink;
        span.style.color = ink;
      }
    }
  }
}

/** The running text: spans in chunks, coloured and marked (hovered / selected token). */
export class TextPanel {
  spans: HTMLSpanElement[] = [];
  private readonly painter = new SpanPainter();
  private marks = { hover: -1, selected: -1 };

  constructor(private readonly container: HTMLDivElement) {}

  build(tokens: readonly string[]): void {
    const doc = this.container.ownerDocument;
    const spans = tokens.map((token, i) => tokenSpan(doc, token, i, true));
    if (spans.length <= CHUNK) {
      this.container.replaceChildren(...spans);
    } else {
      const chunks: HTMLSpanElement[] = [];
      for (let start = 0; start < spans.length; start += CHUNK) {
        const chunk = doc.createElement("span");
        chunk.className = "mi-ntext-chunk";
        chunk.append(...spans.slice(start, start + CHUNK));
        chunks.push(chunk);
      }
      this.container.replaceChildren(...chunks);
    }
    this.spans = spans;
    this.painter.reset(spans);
    this.marks = { hover: -1, selected: -1 };
  }

  paint(values: ArrayLike<number>, scale: number, dark: boolean): void {
    this.painter.paint(values, scale, dark);
  }

  mark(hover: number | null, selected: number | null): void {
    const h = hover ?? -1;
    const s = selected ?? -1;
    if (h !== this.marks.hover) {
      this.spans[this.marks.hover]?.classList.remove("mi-hover");
      this.spans[h]?.classList.add("mi-hover");
    }
    if (s !== this.marks.selected) {
      this.spans[this.marks.selected]?.classList.remove("mi-selected");
      this.spans[s]?.classList.add("mi-selected");
    }
    this.marks = { hover: h, selected: s };
  }
}
