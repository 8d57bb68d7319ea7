/**
 * AttributionView: each head's, MLP's and the embeddings' direct contribution to a logit
 * difference, as a sorted bar chart and a layer × head heatmap.
 *
 * Bundle `attribution.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The attribution view: bars of every component's contribution (sortable, top N) and the
 * heads' contributions as a layer × head heatmap; a click on a bar or a cell selects it.
 */

import type { AnyModel } from "@anywidget/types";
import { decode } from "../lib/binary";
import { formatValue } from "../lib/diverging";
import { make } from "../lib/dom";
import { buildFrame, frameCss, frameLine } from "../lib/frame";
import { GridController } from "../lib/grid_controller";
import { downloadCanvas, safeFilename } from "../lib/png";
import { themeColors } from "../lib/theme";
import { TOKEN_CSS } from "../lib/tokens";
import { symmetricScale, VALUE_GRID_CSS, ValueGrid, type Cell } from "../lib/value_grid";
import { barAt, barCount, barOrder, drawBars } from "./bars";
import type { Model, Sort } from "./model";

const DATA = 1;
const SELECTION = 2;
const HOVER = 4;
const THEME = 8;
const META = 16;
const BARS = 32;

export const ATTRIBUTION_CSS = frameCss(
  "mi-attribution-view",
  `.mi-attribution-view .mi-body { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
.mi-attribution-view .mi-bars { display: block; cursor: pointer; max-width: none; }
.mi-attribution-view .mi-bars-box { max-height: 420px; overflow: auto; }
.mi-attribution-view .mi-caption { color: var(--mi-muted); font-size: 11px; margin: 4px 0; }`,
  { parts: [TOKEN_CSS, VALUE_GRID_CSS] },
);

export const ATTRIBUTION_HELP =
  "click a bar or a head · ←/→ head · ↑/↓ layer · Enter: values · Esc: hide";

const SORTS: [Sort, string][] = [
  ["abs", "largest |value|"],
  ["value", "most positive"],
  ["model", "model order"],
];
const SHOWS = [10, 20, 50, 0];

export class AttributionController extends GridController<Model> {
  private readonly title: HTMLSpanElement;
  private readonly subtitle: HTMLDivElement;
  private readonly selection: HTMLDivElement;
  private readonly sortSelect: HTMLSelectElement;
  private readonly showSelect: HTMLSelectElement;
  private readonly bars: HTMLCanvasElement;
  private readonly barsCaption: HTMLDivElement;
  private values: Float32Array = new Float32Array(0);
  private order: number[] = [];

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    const doc = el.ownerDocument;
    const frame = buildFrame(doc, { className: "mi-attribution-view", css: ATTRIBUTION_CSS, help: ATTRIBUTION_HELP });
    const root = frame.root;
    super(model, root, new ValueGrid(doc, "layer \\ head", "head contribution"), HOVER);
    this.title = frame.title;
    this.sortSelect = make(doc, "select", "mi-sort");
    this.sortSelect.setAttribute("aria-label", "Sort bars by");
    for (const [value, label] of SORTS) {
      const option = make(doc, "option", "", this.sortSelect);
      option.value = value;
      option.textContent = `sort: ${label}`;
    }
    this.showSelect = make(doc, "select", "mi-show");
    frame.save.before(this.sortSelect, this.showSelect);
    this.showSelect.setAttribute("aria-label", "Bars shown");
    this.on(frame.save, "click", () => void this.savePng());
    this.subtitle = frameLine(frame, "mi-subtitle");
    this.selection = frameLine(frame, "mi-selection", true);
    const body = make(doc, "div", "mi-body", root);
    const left = make(doc, "div", "", body);
    this.barsCaption = make(doc, "div", "mi-caption", left);
    const box = make(doc, "div", "mi-bars-box", left);
    this.bars = make(doc, "canvas", "mi-bars", box);
    this.bars.setAttribute("role", "img");
    const right = make(doc, "div", "", body);
    make(doc, "div", "mi-caption", right).textContent = "heads (rows: layer, columns: head)";
    right.append(this.grid.el, this.grid.legend);
    this.mount(el, root);
    this.listen("change:_values", DATA | BARS | SELECTION);
    this.listen("change:labels", DATA | BARS | SELECTION);
    this.listen("change:n_layers", DATA | BARS | SELECTION);
    this.listen("change:n_heads", DATA | BARS | SELECTION);
    this.listen("change:component", BARS | SELECTION);
    this.listen("change:layer", SELECTION);
    this.listen("change:head", SELECTION);
    // a linked view moves layer/head alone: the selected component follows (as in Python)
    const followHead = () => {
      const label = `L${this.model.get("layer")}H${this.model.get("head")}`;
      if (this.model.get("component") !== label) this.commit({ component: label });
    };
    this.watch(["layer", "head"], followHead);
    this.listen("change:sort", BARS | META);
    this.listen("change:show", BARS | META);
    for (const name of ["title", "subtitle", "total", "constant"] as const) this.listen(`change:${name}`, META);
    this.followTheme(root, THEME | BARS | SELECTION);
    this.bindGrid();
    this.bindBars();
    this.invalidate(DATA | BARS | SELECTION | THEME | META);
  }

  private get labels(): string[] {
    return this.model.get("labels") ?? [];
  }

  protected selected(): Cell {
    return { row: this.model.get("layer") ?? 0, column: this.model.get("head") ?? 0 };
  }

  protected select(cell: Cell): void {
    this.commit({ layer: cell.row, head: cell.column, component: `L${cell.row}H${cell.column}` });
  }

  protected describe(cell: Cell): { text: string; data: Record<string, string> } {
    const label = `L${cell.row}H${cell.column}`;
    const value = this.grid.value(cell);
    return { text: `${label}\ncontribution ${formatValue(value)}`, data: { label, value: String(value) } };
  }

  protected render(flags: number): void {
    const root = this.root;
    if (flags & DATA && !this.loadData()) {
      root.dataset.state = "missing";
      return;
    }
    if (flags & META) this.renderMeta();
    const colors = themeColors(root, this.dark);
    if (flags & (DATA | THEME)) this.grid.paint(this.dark);
    if (flags & BARS) this.paintBars();
    const cell = this.selected();
    this.grid.mark(this.hover, cell, colors);
    this.renderSelection();
    if (this.pinned) this.showTooltip(cell);
    root.dataset.state = "ready";
    root.dataset.ready = "true";
    root.dataset.selected = this.model.get("component") ?? "";
    root.dataset.order = this.order.slice(0, barCount(this.model.get("show") ?? 0, this.order.length)).map((i) => this.labels[i]).join(",");
  }

  private loadData(): boolean {
    try {
      this.values = decode(this.model.get("_values")).data as Float32Array;
    } catch (error) {
      this.selection.textContent = `The attribution cannot be decoded: ${String(error)}`;
      return false;
    }
    const layers = this.model.get("n_layers") ?? 0;
    const heads = this.model.get("n_heads") ?? 0;
    const headValues = this.values.subarray(1, 1 + layers * heads);
    this.grid.setSpec(
      {
        values: headValues,
        rows: layers,
        columns: heads,
        rowLabels: Array.from({ length: layers }, (_, l) => `L${l}`),
        columnLabels: Array.from({ length: heads }, (_, h) => `H${h}`),
        verticalColumns: false,
      },
      symmetricScale(headValues),
    );
    this.grid.cells.setAttribute("aria-label", "contribution of every head (rows: layers, columns: heads)");
    return true;
  }

  private renderMeta(): void {
    const title = this.model.get("title") || "Direct logit attribution";
    this.title.textContent = title;
    this.root.setAttribute("aria-label", title);
    this.subtitle.textContent = this.model.get("subtitle") ?? "";
    this.sortSelect.value = this.model.get("sort") ?? "abs";
    const show = this.model.get("show") ?? 20;
    const choices = SHOWS.includes(show) ? SHOWS : [...SHOWS, show].sort((a, b) => (a || 1e9) - (b || 1e9));
    if ([...this.showSelect.options].map((o) => o.value).join(",") !== choices.join(",")) {
      this.showSelect.replaceChildren(
        ...choices.map((n) => {
          const option = this.root.ownerDocument.createElement("option");
          option.value = String(n);
          option.textContent = n === 0 ? "all bars" : `top ${n}`;
          return option;
        }),
      );
    }
    this.showSelect.value = String(show);
  }

  private paintBars(): void {
    const sort = this.model.get("sort") ?? "abs";
    const all = barOrder(this.values, sort);
    this.order = all;
    const shown = all.slice(0, barCount(this.model.get("show") ?? 0, all.length));
    const selected = this.labels.indexOf(this.model.get("component") ?? "");
    drawBars(this.bars, this.values, this.labels, shown, selected, themeColors(this.root, this.dark), this.dark);
    this.bars.setAttribute("aria-label", `contributions, ${shown.length} of ${all.length} components`);
    this.barsCaption.textContent = `${shown.length} of ${all.length} components · total ${formatValue(this.model.get("total"))} = parts + constant ${formatValue(this.model.get("constant"))}`;
  }

  private renderSelection(): void {
    const component = this.model.get("component") ?? "";
    const index = this.labels.indexOf(component);
    const value = index >= 0 ? this.values[index] : NaN;
    const total = this.model.get("total");
    const share = total !== 0 ? ` (${((100 * value) / total).toFixed(1)} % of the total)` : "";
    this.selection.textContent = `selected: ${component} · ${formatValue(value)}${share}`;
  }

  private bindBars(): void {
    const shownCount = () => barCount(this.model.get("show") ?? 0, this.order.length);
    const componentAt = (event: MouseEvent): number | null => {
      const row = barAt(this.bars, event, shownCount());
      return row === null ? null : this.order[row];
    };
    this.on(this.bars, "mousemove", (event) => {
      const i = componentAt(event);
      if (i === null) return this.tooltip.hide();
      const label = this.labels[i];
      this.tooltip.show(`${label}\ncontribution ${formatValue(this.values[i])}`, event.clientX, event.clientY, {
        label,
        value: String(this.values[i]),
      });
    });
    this.on(this.bars, "mouseleave", () => {
      if (!this.pinned) this.tooltip.hide();
    });
    this.on(this.bars, "click", (event) => {
      const i = componentAt(event);
      if (i === null) return;
      const label = this.labels[i];
      const head = /^L(\d+)H(\d+)$/.exec(label);
      this.commit(head ? { component: label, layer: Number(head[1]), head: Number(head[2]) } : { component: label });
      this.root.focus({ preventScroll: true });
    });
    this.on(this.sortSelect, "change", () => this.commit({ sort: this.sortSelect.value as Sort }));
    this.on(this.showSelect, "change", () => this.commit({ show: Number(this.showSelect.value) }));
  }

  private savePng(): Promise<void> {
    const colors = themeColors(this.root, this.dark);
    const doc = this.root.ownerDocument;
    const title = this.model.get("title") || "Direct logit attribution";
    const heat = this.grid.figure(`heads · selected ${this.model.get("component")}`, colors);
    const pad = 12;
    const canvas = doc.createElement("canvas");
    canvas.width = pad * 3 + this.bars.width * 2 + heat.width;
    canvas.height = pad * 2 + 24 + Math.max(this.bars.height * 2, heat.height);
    const ctx = canvas.getContext("2d");
    if (ctx) {
      ctx.fillStyle = colors.bg;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = colors.fg;
      ctx.font = "bold 28px system-ui, sans-serif";
      ctx.textBaseline = "top";
      ctx.fillText(title, pad, pad, canvas.width - 2 * pad);
      ctx.drawImage(this.bars, pad, pad + 40, this.bars.width * 2, this.bars.height * 2);
      ctx.drawImage(heat, pad * 2 + this.bars.width * 2, pad + 40);
    }
    return downloadCanvas(canvas, safeFilename(title));
  }
}
