/**
 * The examples panel: the selected neuron's top corpus examples, one row each (the example
 * token marked, its document and position shown), coloured on the view's scale.
 */

import { formatValue } from "./colormap";
import type { ExampleData, Loaded } from "./loader";
import { notEmbedded } from "./loader";
import type { ExamplesInfo } from "./model";
import { SpanPainter, tokenSpan } from "./text";

/** One example read from the two slices. */
export interface ExampleRow {
  doc: number;
  position: number;
  value: number;
  /** Window tokens (strings) and the neuron's activation at each. */
  tokens: string[];
  values: number[];
  /** Index of the example token in `tokens`. */
  center: number;
}

/** The examples of the slices, in order (rows without an example are skipped). */
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

/** Largest |activation| over the rows' windows. */
export function rowsPeak(rows: readonly ExampleRow[]): number {
  let peak = 0;
  for (const row of rows) for (const v of row.values) peak = Math.max(peak, Math.abs(v));
  return peak;
}

/** What the panel says about the examples of (layer, neuron). */
export function examplesTitle(layer: number, neuron: number, info: ExamplesInfo, density: number | null): string {
  const docs = (info.n_docs ?? 0).toLocaleString("en-US");
  const tokens = (info.n_tokens ?? 0).toLocaleString("en-US");
  const fires = density === null ? "" : ` · active (> 0) on ${(100 * density).toFixed(2)}% of tokens`;
  return `Top corpus examples of layer ${layer}, neuron ${neuron} (${tokens} tokens in ${docs} documents${fires})`;
}

export class ExamplesPanel {
  rows: ExampleRow[] = [];
  private painters: SpanPainter[] = [];

  constructor(
    private readonly el: HTMLDivElement,
    private readonly title: HTMLDivElement,
    private readonly status: HTMLDivElement,
    private readonly list: HTMLDivElement,
  ) {}

  /** Hide the panel (the view has no examples). */
  hide(): void {
    this.el.hidden = true;
    this.el.dataset.state = "none";
    this.rows = [];
  }

  /** Show a message instead of rows (`absent`: the examples are not in this report). */
  message(title: string, text: string, state: string, absent = false): void {
    this.el.hidden = false;
    this.title.textContent = title;
    this.status.textContent = text;
    this.status.hidden = false;
    this.status.classList.toggle("mi-absent", absent);
    this.list.replaceChildren();
    this.rows = [];
    this.painters = [];
    this.el.dataset.state = state;
  }

  /** Show the state of the (layer, neuron) examples. */
  show(title: string, layer: number, neuron: number, state: Loaded<ExampleRow[]>): void {
    if (state.kind === "loading") {
      this.message(title, "loading examples…", "loading");
      return;
    }
    if (state.kind === "missing") {
      const text = notEmbedded(state.reason)
        ? `The examples of neuron ${neuron} (layer ${layer}) are not embedded in this report`
        : `The examples of neuron ${neuron} (layer ${layer}) are not available: ${state.reason}`;
      this.message(title, text, "missing", true);
      return;
    }
    this.el.hidden = false;
    this.title.textContent = title;
    this.status.classList.remove("mi-absent");
    this.status.hidden = state.data.length > 0;
    this.status.textContent = state.data.length ? "" : "no examples";
    this.rows = state.data;
    const doc = this.el.ownerDocument;
    this.painters = [];
    const rows = state.data.map((row, j) => {
      const el = doc.createElement("div");
      el.className = "mi-example";
      el.dataset.rank = String(j);
      el.dataset.doc = String(row.doc);
      el.dataset.position = String(row.position);
      el.dataset.value = String(row.value);
      const meta = doc.createElement("span");
      meta.className = "mi-example-meta";
      meta.textContent = `${formatValue(row.value)} · doc ${row.doc} · pos ${row.position}`;
      const tokens = doc.createElement("span");
      tokens.className = "mi-example-tokens";
      const spans = row.tokens.map((token, i) => {
        const span = tokenSpan(doc, token, i, false);
        span.dataset.value = String(row.values[i]);
        if (i === row.center) span.classList.add("mi-example-max");
        return span;
      });
      tokens.append(...spans);
      this.painters.push(new SpanPainter(spans));
      el.append(meta, tokens);
      return el;
    });
    this.list.replaceChildren(...rows);
    this.el.dataset.state = "ready";
  }

  /** Colour every row on `scale`. */
  paint(scale: number, dark: boolean): void {
    this.painters.forEach((painter, j) => painter.paint(this.rows[j].values, scale, dark));
  }
}
