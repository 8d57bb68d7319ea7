/**
 * PatchingView: the effect of patching each (layer, position) or (layer, head) cell as a
 * diverging heatmap; click a cell for the patched run's predictions.
 *
 * Bundle `patching.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The patching view: a heatmap of the normalised effect of every patched cell and, for the
 * selected cell, the patched run's top predictions next to the clean and corrupted runs'.
 */

import type { AnyModel } from "@anywidget/types";
import { decode, type Decoded } from "../lib/binary";
import { formatValue } from "../lib/diverging";
import { clampIndex } from "../lib/clamp";
import { make } from "../lib/dom";
import { buildFrame, frameCss, frameLine } from "../lib/frame";
import { GridController } from "../lib/grid_controller";
import { downloadCanvas, safeFilename } from "../lib/png";
import { themeColors } from "../lib/theme";
import { renderToken, TOKEN_CSS } from "../lib/tokens";
import { symmetricScale, VALUE_GRID_CSS, ValueGrid, type Cell } from "../lib/value_grid";
import { componentName } from "./component";
import type { Model, Prediction } from "./model";

const DATA = 1;
const SELECTION = 2;
const HOVER = 4;
const THEME = 8;
const META = 16;

export const PATCHING_CSS = frameCss(
  "mi-patching-view",
  `.mi-patching-view .mi-body { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
.mi-patching-view .mi-predictions { display: grid; grid-template-columns: repeat(3, auto); gap: 2px 14px; }
.mi-patching-view .mi-predictions .mi-pred-head { font-weight: 600; color: var(--mi-muted); }
.mi-patching-view .mi-predictions .mi-pred { display: flex; gap: 6px; justify-content: space-between; font-variant-numeric: tabular-nums; }
.mi-patching-view .mi-predictions .mi-pred .mi-prob { color: var(--mi-muted); }`,
  { parts: [TOKEN_CSS, VALUE_GRID_CSS] },
);

export const PATCHING_HELP = "click a cell · ←/→ ↑/↓ move (Shift: 10 columns) · Enter: values · Esc: hide";

export class PatchingController extends GridController<Model> {
  private readonly title: HTMLSpanElement;
  private readonly subtitle: HTMLDivElement;
  private readonly selection: HTMLDivElement;
  private readonly predictions: HTMLDivElement;
  private raw: Decoded | null = null;
  private ids: Decoded | null = null;
  private probs: Decoded | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    const doc = el.ownerDocument;
    const frame = buildFrame(doc, { className: "mi-patching-view", css: PATCHING_CSS, help: PATCHING_HELP });
    const root = frame.root;
    super(model, root, new ValueGrid(doc, "", "effect (0 = corrupted, 1 = clean)"), HOVER);
    this.title = frame.title;
    this.on(frame.save, "click", () => void this.savePng());
    this.subtitle = frameLine(frame, "mi-subtitle");
    this.selection = frameLine(frame, "mi-selection", true);
    const body = make(doc, "div", "mi-body", root);
    const left = make(doc, "div", "", body);
    left.append(this.grid.el, this.grid.legend);
    const panel = make(doc, "div", "mi-panel", body);
    make(doc, "h4", "", panel).textContent = "Top predictions";
    this.predictions = make(doc, "div", "mi-predictions", panel);
    this.mount(el, root);
    for (const name of ["_values", "_raw", "_predictions", "row_labels", "column_labels", "column_axis"] as const) {
      this.listen(`change:${name}`, DATA | SELECTION);
    }
    this.listen("change:row", SELECTION);
    this.listen("change:column", SELECTION);
    this.listen("change:title", META);
    this.listen("change:subtitle", META);
    this.followTheme(root, THEME | SELECTION);
    this.bindGrid();
    this.invalidate(DATA | SELECTION | THEME | META);
  }

  protected selected(): Cell {
    const spec = this.grid.spec;
    return {
      row: clampIndex((this.model.get("row") ?? 0) | 0, spec?.rows ?? 1),
      column: clampIndex((this.model.get("column") ?? 0) | 0, spec?.columns ?? 1),
    };
  }

  protected select(cell: Cell): void {
    this.commit({ row: cell.row, column: cell.column });
  }

  private where(cell: Cell): string {
    const rows = this.model.get("row_labels") ?? [];
    const columns = this.model.get("column_labels") ?? [];
    const axis = this.model.get("column_axis");
    const column = axis === "all positions" ? "all positions" : `${axis} ${JSON.stringify(columns[cell.column] ?? "")}`;
    return `${rows[cell.row] ?? ""} · ${column}`;
  }

  /** The component the cell patched, named fully (layer and head, or layer and position). */
  private component(cell: Cell): string {
    const row = this.model.get("row_labels")?.[cell.row] ?? "";
    const column = this.model.get("column_labels")?.[cell.column] ?? "";
    return componentName(row, column, this.model.get("column_axis"));
  }

  private rawAt(cell: Cell): number {
    const raw = this.raw;
    const columns = this.grid.spec?.columns ?? 1;
    return raw ? raw.data[cell.row * columns + cell.column] : NaN;
  }

  protected describe(cell: Cell): { text: string; data: Record<string, string> } {
    const value = this.grid.value(cell);
    const text = `${this.where(cell)}\neffect ${formatValue(value)}\nmetric ${formatValue(this.rawAt(cell))}`;
    return { text, data: { row: String(cell.row), column: String(cell.column), value: String(value) } };
  }

  protected render(flags: number): void {
    const root = this.root;
    if (flags & META) {
      this.title.textContent = this.model.get("title") || "Activation patching";
      this.subtitle.textContent = this.model.get("subtitle") ?? "";
      root.setAttribute("aria-label", this.title.textContent);
    }
    if (flags & DATA && !this.loadData()) {
      root.dataset.state = "missing";
      return;
    }
    if (flags & (DATA | THEME)) this.grid.paint(this.dark);
    const cell = this.selected();
    this.grid.mark(this.hover, cell, themeColors(root, this.dark));
    if (flags & (DATA | SELECTION)) this.renderSelection(cell);
    if (this.pinned) this.showTooltip(cell);
    root.dataset.state = "ready";
    root.dataset.ready = "true";
    root.dataset.selected = `${cell.row},${cell.column}`;
  }

  private loadData(): boolean {
    try {
      const values = decode(this.model.get("_values"));
      this.raw = decode(this.model.get("_raw"));
      const predictions = this.model.get("_predictions");
      this.ids = decode(predictions.ids);
      this.probs = decode(predictions.probs);
      const [rows, columns] = values.shape;
      this.grid.setSpec(
        {
          values: values.data as Float32Array,
          rows,
          columns,
          rowLabels: this.model.get("row_labels") ?? [],
          columnLabels: this.model.get("column_labels") ?? [],
          verticalColumns: this.model.get("column_axis") === "position",
        },
        symmetricScale(values.data as Float32Array, 1),
      );
      const axis = this.model.get("column_axis");
      this.grid.setCorner(`layer \\ ${axis === "all positions" ? "" : axis}`);
      this.grid.cells.setAttribute("aria-label", `patching effect, rows: layers, columns: ${axis}`);
      return true;
    } catch (error) {
      this.selection.textContent = `The patching result cannot be decoded: ${String(error)}`;
      return false;
    }
  }

  /** The selected cell's patched predictions (token strings), most likely first; none for a
   * cell that was estimated, not run (NaN probabilities). */
  private patched(cell: Cell): Prediction[] {
    const { ids, probs } = this;
    const vocabulary = this.model.get("_predictions").vocabulary;
    if (!ids || !probs) return [];
    const k = ids.shape[ids.shape.length - 1];
    const start = (cell.row * (this.grid.spec?.columns ?? 1) + cell.column) * k;
    if (Number.isNaN(probs.data[start])) return [];
    return Array.from({ length: k }, (_, i) => [vocabulary[ids.data[start + i]] ?? "", probs.data[start + i]]);
  }

  private renderSelection(cell: Cell): void {
    const value = this.grid.value(cell);
    this.selection.textContent = `selected: ${this.where(cell)} · effect ${formatValue(value)} · metric ${formatValue(this.rawAt(cell))}`;
    const predictions = this.model.get("_predictions");
    const doc = this.root.ownerDocument;
    const columns: [string, Prediction[]][] = [
      ["clean", predictions.clean],
      ["corrupted", predictions.corrupted],
      [`patched ${this.component(cell)}`, this.patched(cell)],
    ];
    if (!columns[2][1].length) columns[2][0] = `${this.component(cell)}: estimated, not run`;
    const cells: HTMLElement[] = columns.map(([label]) => {
      const head = doc.createElement("div");
      head.className = "mi-pred-head";
      head.textContent = label;
      return head;
    });
    const k = Math.max(...columns.map(([, list]) => list.length));
    for (let i = 0; i < k; i++) {
      for (const [, list] of columns) {
        const row = doc.createElement("div");
        row.className = "mi-pred";
        const entry = list[i];
        if (entry) {
          renderToken(make(doc, "span", "", row), entry[0]);
          make(doc, "span", "mi-prob", row).textContent = entry[1].toFixed(4);
        }
        cells.push(row);
      }
    }
    this.predictions.replaceChildren(...cells);
    this.predictions.dataset.position = predictions.position_label;
  }

  private savePng(): Promise<void> {
    const colors = themeColors(this.root, this.dark);
    const title = `${this.model.get("title")} — selected ${this.where(this.selected())}`;
    return downloadCanvas(this.grid.figure(title, colors), safeFilename(this.model.get("title") || "patching"));
  }
}
