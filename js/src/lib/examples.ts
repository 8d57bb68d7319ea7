/**
 * Corpus examples: top-activating tokens with their context windows, one row each (the
 * example token marked, its document and position shown), coloured on a diverging scale.
 * Used for a neuron's top examples and an SAE feature's top and interval examples.
 */

import type { Decoded } from "./binary";
import { formatValue } from "./diverging";
import { make } from "./dom";
import type { Loaded } from "./loader";
import { notEmbedded } from "./loader";
import { setTokenSpan, SpanPainter, tokenSpan } from "./spans";

/** The windows of `k` examples: activations `[k, W]` and ids `[k, 2 + W]` (doc, position, tokens). */
export interface ExampleData {
  values: Decoded;
  ids: Decoded;
}

/** One example read from the two arrays. */
export interface ExampleRow {
  doc: number;
  position: number;
  value: number;
  /** Window tokens (strings) and the activation at each. */
  tokens: string[];
  values: number[];
  /** Index of the example token in `tokens`. */
  center: number;
}

/** The examples of the arrays, in order (rows without an example, doc -1, are skipped). */
export function exampleRows(data: ExampleData, vocab: readonly string[]): ExampleRow[] {
  const { values, ids } = data;
  const [k, window] = values.shape;
  const context = (window - 1) / 2;
  const stride = window + 2;
  const rows: ExampleRow[] = [];
  for (let j = 0; j < k; j++) {
    const doc = ids.data[j * stride];
    if (doc < 0) continue;
    const row: ExampleRow = { doc, position: ids.data[j * stride + 1], value: NaN, tokens: [], values: [], center: 0 };
    for (let w = 0; w < window; w++) {
      const index = ids.data[j * stride + 2 + w];
      if (index < 0) continue;
      const value = values.offset + values.scale * values.data[j * window + w];
      if (w === context) {
        row.center = row.tokens.length;
        row.value = value;
      }
      row.tokens.push(vocab[index] ?? "");
      row.values.push(value);
    }
    rows.push(row);
  }
  return rows;
}

/** Characters of context shown before the example token (earlier ones are clipped). */
export const CONTEXT_BEFORE_CHARS = 28;

/**
 * Rows aligned on their example token: the left edge of each token of a row, relative to the
 * example token's (`center`), from the tokens' widths. The tokens before it end where it starts
 * (negative offsets), the others follow it. The page gets the same layout from its CSS (a
 * right-aligned part of `CONTEXT_BEFORE_CHARS` characters); "save PNG" draws with these.
 */
export function offsetsFromExample(widths: readonly number[], center: number): number[] {
  const offsets = new Array<number>(widths.length);
  let x = 0;
  for (let i = center - 1; i >= 0; i--) {
    x -= widths[i];
    offsets[i] = x;
  }
  x = 0;
  for (let i = center; i < widths.length; i++) {
    offsets[i] = x;
    x += widths[i];
  }
  return offsets;
}

/** Largest |activation| over the rows' windows. */
export function rowsPeak(rows: readonly ExampleRow[]): number {
  let peak = 0;
  for (const row of rows) for (const v of row.values) if (Math.abs(v) > peak) peak = Math.abs(v);
  return peak;
}

/**
 * Make `el` (a `div.mi-example`, built on first use) show `row`; returns its token spans. The
 * tokens before the example token sit in a fixed-width part, right-aligned (clipped on the
 * left), so the example tokens of all rows line up.
 */
function fillExample(el: HTMLElement, row: ExampleRow, rank: number): HTMLSpanElement[] {
  const doc = el.ownerDocument;
  if (!el.firstChild) {
    el.className = "mi-example";
    make(doc, "span", "mi-example-meta", el);
    const tokens = make(doc, "span", "mi-example-tokens", el);
    make(doc, "span", "mi-example-before", tokens);
    make(doc, "span", "mi-example-after", tokens);
  }
  el.dataset.rank = String(rank);
  el.dataset.doc = String(row.doc);
  el.dataset.position = String(row.position);
  el.dataset.value = String(row.value);
  (el.firstChild as HTMLElement).textContent = `${formatValue(row.value)} · doc ${row.doc} · pos ${row.position}`;
  const [before, after] = [...(el.lastChild as HTMLElement).children] as HTMLElement[];
  const spans = [...before.children, ...after.children] as HTMLSpanElement[];
  for (const extra of spans.splice(row.tokens.length)) extra.remove();
  row.tokens.forEach((token, i) => {
    let span = spans[i];
    if (span) setTokenSpan(span, token, i, false);
    else {
      span = tokenSpan(doc, token, i, false);
      spans[i] = span;
    }
    span.dataset.value = String(row.values[i]);
    if (i === row.center) span.classList.add("mi-example-max");
  });
  before.replaceChildren(...spans.slice(0, row.center));
  after.replaceChildren(...spans.slice(row.center));
  return spans;
}

/** Example rows inside a container element, coloured on one scale; row elements are reused. */
export class ExampleList {
  rows: ExampleRow[] = [];
  private painters: SpanPainter[] = [];

  constructor(readonly el: HTMLElement) {}

  /** Replace the rows shown. */
  set(rows: ExampleRow[]): void {
    const doc = this.el.ownerDocument;
    const elements = [...this.el.children] as HTMLElement[];
    for (const extra of elements.splice(rows.length)) extra.remove();
    this.rows = rows;
    this.painters = rows.map((row, j) => {
      const el = elements[j] ?? this.el.appendChild(doc.createElement("div"));
      const painter = this.painters[j] ?? new SpanPainter();
      painter.reset(fillExample(el, row, j));
      return painter;
    });
  }

  /** Colour every row on `scale`. */
  paint(scale: number, dark: boolean): void {
    this.painters.forEach((painter, j) => {
      painter.paint(this.rows[j].values, scale, dark);
    });
  }
}

/** A titled panel of examples with a status line (loading, missing, none). */
export class ExamplesPanel {
  private readonly list: ExampleList;

  private readonly title: HTMLElement;
  private readonly status: HTMLElement;

  /** Fill `el` with the panel's title (extra class `titleClass`), status line and rows. */
  constructor(
    private readonly el: HTMLElement,
    titleClass = "",
  ) {
    const doc = el.ownerDocument;
    this.title = make(doc, "div", `mi-examples-title ${titleClass}`.trim(), el);
    this.status = make(doc, "div", "mi-examples-status", el);
    this.status.setAttribute("role", "status");
    this.list = new ExampleList(make(doc, "div", "mi-examples-rows", el));
  }

  get rows(): ExampleRow[] {
    return this.list.rows;
  }

  /** Hide the panel (the view has no examples). */
  hide(): void {
    this.el.hidden = true;
    this.el.dataset.state = "none";
    this.list.set([]);
  }

  /** Show a message instead of rows (`absent`: the examples are not in this report). */
  message(title: string, text: string, state: string, absent = false): void {
    this.el.hidden = false;
    this.title.textContent = title;
    this.status.textContent = text;
    this.status.hidden = false;
    this.status.classList.toggle("mi-absent", absent);
    this.list.set([]);
    this.el.dataset.state = state;
  }

  /** Show the state of the examples of `what` (e.g. `neuron 3 (layer 1)`, `feature 42`). */
  show(title: string, what: string, state: Loaded<ExampleRow[]>, empty = "no examples"): void {
    if (state.kind === "loading") {
      this.message(title, "loading examples…", "loading");
      return;
    }
    if (state.kind === "missing") {
      const text = notEmbedded(state.reason)
        ? `The examples of ${what} are not embedded in this report`
        : `The examples of ${what} are not available: ${state.reason}`;
      this.message(title, text, "missing", true);
      return;
    }
    this.el.hidden = false;
    this.title.textContent = title;
    this.status.classList.remove("mi-absent");
    this.status.hidden = state.data.length > 0;
    this.status.textContent = state.data.length ? "" : empty;
    this.list.set(state.data);
    this.el.dataset.state = "ready";
  }

  /** Colour every row on `scale`. */
  paint(scale: number, dark: boolean): void {
    this.list.paint(scale, dark);
  }
}

export const EXAMPLES_CSS = `
.mi-root .mi-examples-title { font-weight: 600; margin-bottom: 4px; }
.mi-root .mi-examples-status { color: var(--mi-muted); font-style: italic; }
.mi-root .mi-examples-status.mi-absent {
  font-style: normal; color: var(--mi-fg); padding: 8px 10px; border: 1px dashed var(--mi-border); border-radius: 4px;
}
.mi-root .mi-examples-rows { display: flex; flex-direction: column; gap: 3px; max-height: 420px; overflow: auto; }
.mi-root .mi-example { display: flex; gap: 10px; align-items: baseline; }
.mi-root .mi-example-meta { flex: none; width: 18em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: var(--mi-muted); font-family: var(--mi-mono); font-size: 11.5px; }
.mi-root .mi-example-tokens { display: flex; min-width: 0; white-space: pre; overflow: hidden; font-family: var(--mi-mono); font-size: 12px; }
.mi-root .mi-example-before { flex: none; width: ${CONTEXT_BEFORE_CHARS}ch; display: flex; justify-content: flex-end; overflow: hidden; }
.mi-root .mi-example-after { flex: 1 1 auto; min-width: 0; display: flex; overflow: hidden; }
.mi-root .mi-example-tokens .mi-ntok { white-space: pre; cursor: default; }
.mi-root .mi-example-max { outline: 2px solid var(--mi-accent); font-weight: 700; }
`;
