/**
 * CompositionView: Q-, K- or V-composition between every pair of heads as a reader × writer
 * heatmap; the selected head's strongest partners (its row: heads it reads from; its column:
 * heads that read it) are outlined and listed.
 *
 * Bundle `composition.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 */

import type { AnyModel } from "@anywidget/types";
import { decode } from "../lib/binary";
import { formatValue } from "../lib/diverging";
import { clampIndex } from "../lib/clamp";
import { make } from "../lib/dom";
import { buildFrame, frameCss, frameLine } from "../lib/frame";
import { fromFormControl } from "../lib/keyboard";
import { GridController } from "../lib/grid_controller";
import { downloadCanvas, safeFilename } from "../lib/png";
import { themeColors, type ThemeColors } from "../lib/theme";
import { symmetricScale, VALUE_GRID_CSS, ValueGrid, type Cell } from "../lib/value_grid";
import type { Kind, Model } from "./model";
import { partnersOf, type Partner } from "./partners";

const DATA = 1;
const SELECTION = 2;
const HOVER = 4;
const THEME = 8;
const META = 16;

export const KINDS: readonly Kind[] = ["Q", "K", "V"];

const KIND_NAMES: Record<Kind, string> = {
  Q: "Q-composition (writer feeds the reader's queries)",
  K: "K-composition (writer feeds the reader's keys)",
  V: "V-composition (writer feeds the reader's values)",
};

export const COMPOSITION_CSS = frameCss(
  "mi-composition-view",
  `.mi-composition-view .mi-kinds { display: flex; gap: 8px; align-items: center; font-size: 12px; }
.mi-composition-view .mi-kinds label { display: flex; gap: 3px; align-items: center; cursor: pointer; }
.mi-composition-view .mi-partners { font-size: 12px; margin: 4px 0; font-variant-numeric: tabular-nums; }
.mi-composition-view .mi-axes { color: var(--mi-muted); font-size: 11px; margin: 4px 0; }`,
  { parts: [VALUE_GRID_CSS] },
);

export const COMPOSITION_HELP =
  "click a cell · ↑/↓ reader head · ←/→ writer head (Shift: 10) · Q/K/V: kind · Enter: values · Esc: hide";

export class CompositionController extends GridController<Model> {
  private readonly title: HTMLSpanElement;
  private readonly selection: HTMLDivElement;
  private readonly partnersLine: HTMLDivElement;
  private readonly radios: HTMLInputElement[] = [];
  private scores: Float32Array = new Float32Array(0);
  private baseline: Float32Array = new Float32Array(3);
  private heads = 1;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    const doc = el.ownerDocument;
    const frame = buildFrame(doc, { className: "mi-composition-view", css: COMPOSITION_CSS, help: COMPOSITION_HELP });
    const root = frame.root;
    super(model, root, new ValueGrid(doc, "reader \\ writer", "score − random baseline"), HOVER);
    this.title = frame.title;
    const kinds = make(doc, "div", "mi-kinds");
    kinds.setAttribute("role", "radiogroup");
    kinds.setAttribute("aria-label", "Composition kind");
    make(doc, "span", "", kinds).textContent = "composition:";
    for (const kind of KINDS) {
      const option = make(doc, "label", "", kinds);
      const radio = make(doc, "input", "mi-kind", option);
      radio.type = "radio";
      radio.name = `mi-composition-kind-${Math.random().toString(36).slice(2)}`;
      radio.value = kind;
      radio.setAttribute("aria-label", KIND_NAMES[kind]);
      make(doc, "span", "", option).textContent = kind;
      this.on(radio, "change", () => {
        if (radio.checked) this.commit({ kind });
      });
      this.radios.push(radio);
    }
    for (const radio of this.radios) radio.name = this.radios[0].name;
    frame.save.before(kinds);
    this.on(frame.save, "click", () => void this.savePng());
    this.selection = frameLine(frame, "mi-selection", true);
    this.partnersLine = frameLine(frame, "mi-partners", true);
    const body = make(doc, "div", "mi-body", root);
    make(doc, "div", "mi-axes", body).textContent =
      "rows: the head that reads · columns: the earlier head that writes · outlined: the selected head's strongest partners";
    body.append(this.grid.el, this.grid.legend);
    this.mount(el, root);
    for (const name of ["_values", "_baseline", "n_layers", "n_heads", "kind"] as const) {
      this.listen(`change:${name}`, DATA | SELECTION | META);
    }
    for (const name of ["layer", "head", "partner_layer", "partner_head", "top_k"] as const) {
      this.listen(`change:${name}`, SELECTION);
    }
    this.listen("change:title", META);
    this.followTheme(root, THEME | SELECTION);
    this.bindGrid();
    this.on(root, "keydown", (event) => this.onKindKey(event));
    this.invalidate(DATA | SELECTION | THEME | META);
  }

  private get kindIndex(): number {
    return Math.max(0, KINDS.indexOf(this.model.get("kind")));
  }

  private label(index: number): string {
    return `L${Math.floor(index / this.heads)}H${index % this.heads}`;
  }

  private get count(): number {
    return this.grid.spec?.rows ?? 1;
  }

  protected selected(): Cell {
    const n = this.count;
    const h = this.heads;
    return {
      row: clampIndex((this.model.get("layer") ?? 0) * h + (this.model.get("head") ?? 0), n),
      column: clampIndex((this.model.get("partner_layer") ?? 0) * h + (this.model.get("partner_head") ?? 0), n),
    };
  }

  protected select(cell: Cell): void {
    const h = this.heads;
    this.commit({
      layer: Math.floor(cell.row / h),
      head: cell.row % h,
      partner_layer: Math.floor(cell.column / h),
      partner_head: cell.column % h,
    });
  }

  /** The score of a cell (writer = column, reader = row) in the shown kind; NaN when undefined. */
  private score(cell: Cell): number {
    const n = this.count;
    return this.scores[this.kindIndex * n * n + cell.row * n + cell.column];
  }

  protected describe(cell: Cell): { text: string; data: Record<string, string> } {
    const kind = this.model.get("kind");
    const score = this.score(cell);
    const base = this.baseline[this.kindIndex];
    const pair = `${this.label(cell.column)} → ${this.label(cell.row)} (writer → reader)`;
    const text = Number.isFinite(score)
      ? `${pair}\n${kind}-composition ${formatValue(score)}\nrandom baseline ${formatValue(base)} · excess ${formatValue(score - base)}`
      : `${pair}\nnot defined: the writer's layer must come before the reader's`;
    return {
      text,
      data: { row: String(cell.row), column: String(cell.column), value: String(score), excess: String(score - base) },
    };
  }

  protected render(flags: number): void {
    const root = this.root;
    if (flags & DATA && !this.loadData()) {
      root.dataset.state = "missing";
      return;
    }
    if (flags & META) this.renderMeta();
    if (flags & (DATA | THEME)) this.grid.paint(this.dark);
    const cell = this.selected();
    const colors = themeColors(root, this.dark);
    this.grid.mark(this.hover, cell, colors);
    const partners = partnersOf(this.grid.spec?.values ?? new Float32Array(0), this.count, cell.row, this.model.get("top_k") ?? 3);
    this.markPartners(partners, cell.row, colors);
    if (flags & (DATA | SELECTION)) this.renderSelection(cell, partners);
    if (this.pinned) this.showTooltip(cell);
    root.dataset.state = "ready";
    root.dataset.ready = "true";
    root.dataset.kind = this.model.get("kind");
    root.dataset.selected = `${cell.row},${cell.column}`;
    root.dataset.writers = partners.writers.map((p) => this.label(p.index)).join(",");
    root.dataset.readers = partners.readers.map((p) => this.label(p.index)).join(",");
  }

  private loadData(): boolean {
    try {
      const values = decode(this.model.get("_values"));
      this.baseline = decode(this.model.get("_baseline")).data as Float32Array;
      this.scores = values.data as Float32Array;
      const [, n] = values.shape;
      this.heads = Math.max(1, this.model.get("n_heads") ?? 1);
      const k = this.kindIndex;
      const base = this.baseline[k];
      const excess = this.scores.slice(k * n * n, (k + 1) * n * n).map((v) => v - base);
      const labels = Array.from({ length: n }, (_, i) => this.label(i));
      this.grid.setSpec(
        { values: excess, rows: n, columns: n, rowLabels: labels, columnLabels: labels, verticalColumns: true },
        symmetricScale(excess),
      );
      this.grid.cells.setAttribute(
        "aria-label",
        `${KIND_NAMES[this.model.get("kind")] ?? ""} minus the random baseline, rows: reading heads, columns: writing heads`,
      );
      return true;
    } catch (error) {
      this.selection.textContent = `The composition scores cannot be decoded: ${String(error)}`;
      return false;
    }
  }

  private renderMeta(): void {
    const kind = this.model.get("kind");
    this.title.textContent = this.model.get("title") || "Head composition";
    this.root.setAttribute("aria-label", `${this.title.textContent}, ${KIND_NAMES[kind] ?? kind}`);
    for (const radio of this.radios) radio.checked = radio.value === kind;
  }

  /** Outline the strongest writers in the selected row and readers in its column. */
  private markPartners(partners: { writers: Partner[]; readers: Partner[] }, head: number, colors: ThemeColors): void {
    const ctx = this.grid.overlay.getContext("2d");
    if (!ctx) return;
    const size = this.grid.cell;
    ctx.setLineDash([4, 2]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = colors.fg;
    for (const p of partners.writers) ctx.strokeRect(p.index * size + 1, head * size + 1, size - 2, size - 2);
    for (const p of partners.readers) ctx.strokeRect(head * size + 1, p.index * size + 1, size - 2, size - 2);
    ctx.setLineDash([]);
  }

  private renderSelection(cell: Cell, partners: { writers: Partner[]; readers: Partner[] }): void {
    const kind = this.model.get("kind");
    const score = this.score(cell);
    const base = this.baseline[this.kindIndex];
    const value = Number.isFinite(score)
      ? `${kind} ${formatValue(score)} (baseline ${formatValue(base)}, excess ${formatValue(score - base)})`
      : "not defined (the writer must be in an earlier layer)";
    this.selection.textContent = `selected: ${this.label(cell.row)} reading from ${this.label(cell.column)} · ${value}`;
    const list = (found: Partner[]) =>
      found.length ? found.map((p) => `${this.label(p.index)} ${formatValue(p.value)}`).join(", ") : "none";
    this.partnersLine.textContent = `${this.label(cell.row)}, ${kind}-composition minus baseline · reads most from: ${list(partners.writers)} · read most by: ${list(partners.readers)}`;
  }

  private onKindKey(event: KeyboardEvent): void {
    if (fromFormControl(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const kind = event.key.toUpperCase() as Kind;
    if (event.key.length !== 1 || !KINDS.includes(kind)) return;
    event.preventDefault();
    event.stopPropagation();
    this.commit({ kind });
  }

  private savePng(): Promise<void> {
    const colors = themeColors(this.root, this.dark);
    const cell = this.selected();
    const title = `${this.title.textContent} — ${this.model.get("kind")}-composition, selected ${this.label(cell.row)} ← ${this.label(cell.column)}`;
    return downloadCanvas(this.grid.figure(title, colors), safeFilename(this.model.get("title") || "composition"));
  }
}
