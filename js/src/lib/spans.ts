/**
 * Token spans coloured by activations on the diverging map: the running text (whitespace and
 * newlines kept as in the text) and the rows of corpus examples (one line each). Tokens are
 * set as text only.
 */

import { CONTROL_CHARS, EMPTY_MARK, markInvisible, tokenTitle, truncateToken, visibleToken } from "./tokens";
import { divergingIndex, divergingPalette } from "./diverging";

/** Tokens per chunk of a long text (chunks off screen are skipped by the browser). */
const CHUNK = 256;

/**
 * How a token reads in running text: newlines stay line breaks (after a `↵` mark, so the
 * token can be seen and hovered), tabs stay tabs, other control characters become their
 * Unicode control pictures, other invisible characters `⟨U+XXXX⟩`, the empty token shows `∅`;
 * long tokens are cut like `visibleToken`.
 */
export function runningText(token: string): string {
  if (token.length === 0) return EMPTY_MARK;
  const controls = truncateToken(token).replace(CONTROL_CHARS, (ch) => {
    if (ch === "\n") return "↵\n";
    if (ch === "\t") return "\t";
    return visibleToken(ch).text;
  });
  return markInvisible(controls);
}

/** One token span (`span.mi-ntok[data-index]`), its text set with textContent. */
export function tokenSpan(doc: Document, token: string, index: number, running: boolean): HTMLSpanElement {
  const span = doc.createElement("span");
  span.dir = "auto";
  setTokenSpan(span, token, index, running);
  return span;
}

/** Make `span` show `token` (a recycled span gets the classes and title of a new one). */
export function setTokenSpan(span: HTMLSpanElement, token: string, index: number, running: boolean): void {
  span.className = token.length === 0 ? "mi-ntok mi-token-empty" : "mi-ntok";
  span.dataset.index = String(index);
  span.textContent = running ? runningText(token) : visibleToken(token).text;
  span.title = tokenTitle(token, running ? index : undefined);
}

/** Colour `spans` by `values` on `scale`, touching only spans whose colour changed. */
export class SpanPainter {
  private spans: HTMLSpanElement[] = [];
  /** The LUT entry each span is painted with, or -1. */
  private painted = new Int16Array(0);
  /** The text colour each span has, or "". */
  private inked: string[] = [];
  private dark = false;

  constructor(spans: HTMLSpanElement[] = []) {
    this.reset(spans);
  }

  /** Paint `spans` from now on; a span that was already here keeps what it knows of its colour. */
  reset(spans: HTMLSpanElement[]): void {
    const painted = new Int16Array(spans.length).fill(-1);
    const inked = new Array<string>(spans.length).fill("");
    for (let i = 0; i < Math.min(spans.length, this.spans.length); i++) {
      if (spans[i] !== this.spans[i]) continue;
      painted[i] = this.painted[i];
      inked[i] = this.inked[i];
    }
    this.spans = spans;
    this.painted = painted;
    this.inked = inked;
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

export const SPANS_CSS = `
.mi-root .mi-ntext-chunk { content-visibility: auto; contain-intrinsic-size: auto 300px; }
.mi-root .mi-ntok { white-space: pre-wrap; unicode-bidi: isolate; border-radius: 2px; cursor: pointer; }
.mi-root .mi-ntok.mi-hover { box-shadow: 0 0 0 1px var(--mi-accent); }
.mi-root .mi-ntok.mi-selected { outline: 2px solid var(--mi-accent); }
`;
