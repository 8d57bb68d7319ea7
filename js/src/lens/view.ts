/**
 * LogitLensView: what every layer would predict at every position (a row × position grid of
 * top-1 tokens coloured by probability), and one token's probability per layer as a line.
 *
 * Bundle `lens.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The lens view controller: keeps the page in step with the model and the user. Hover,
 * click, arrow keys, Enter and Escape on the grid come from `GridController`; cells are
 * `{row, column}` with the column the position.
 *
 * Trait changes are collected as dirty flags and applied once per microtask.
 */

import type { AnyModel } from "@anywidget/types";
import { probabilityLut } from "../lib/colormap";
import type { Decoded } from "../lib/binary";
import { clampIndex } from "../lib/clamp";
import { buildFrame } from "../lib/frame";
import { GridController } from "../lib/grid_controller";
import { themeColors } from "../lib/theme";
import type { Cell } from "../lib/value_grid";
import { paintBar } from "../head_scores/legend";
import { drawChart } from "./chart";
import { decodeLens, lineAt, rowValues, topEntries, topEntry, type LensData } from "./data";
import { buildDom, setTargetOptions, type LensDom } from "./dom";
import { saveLensPng } from "./figure";
import { entriesJson, formatProb, LENS_KEY_HELP, positionLabel, quoted, targetChoices, tooltipText } from "./format";
import { CELL_HEIGHT, LensGrid } from "./grid";
import type { Model } from "./model";
import { LENS_CSS } from "./styles";

const DATA = 1;
const META = 2;
const CELLS = 4;
const SELECTION = 8;
const CHART = 16;
const THEME = 32;
const ALL = DATA | META | CELLS | SELECTION | CHART | THEME;

/** The chart's data: the line, or why there is none (`loading`, `missing`). */
type Line = { values: Float32Array | null; state: "ready" | "loading" | "missing"; reason?: string };

export class LensController extends GridController<Model, LensGrid> {
  readonly dom: LensDom;
  /** A target's probabilities `[row, position]` when they are not kept in the traits. */
  private readonly targetLoader = this.sliceLoader<Decoded>(CHART);
  private data: LensData | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    const doc = el.ownerDocument;
    const frame = buildFrame(doc, { className: "mi-lens-view", css: LENS_CSS, help: LENS_KEY_HELP });
    const grid = new LensGrid(doc);
    super(model, frame.root, grid, SELECTION);
    this.dom = buildDom(frame, grid);
    this.on(frame.save, "click", () => void this.savePng());
    frame.root.appendChild(this.tooltip.el);
    this.mount(el, frame.root);
    for (const name of ["_columns", "_column_starts", "_column_probs", "_top", "candidate_tokens", "tokens", "rows"] as const) {
      this.listen(`change:${name}`, ALL);
    }
    this.listen("change:title", META);
    this.listen("change:targets", META);
    this.listen("change:next_tokens", META);
    this.listen("change:row", META | SELECTION | CHART);
    this.listen("change:position", META | SELECTION | CHART);
    this.listen("change:target", META | CHART);
    this.followLink();
    this.followTheme(this.root, THEME | CELLS | SELECTION | CHART);
    this.bindGrid();
    this.on(this.dom.select, "change", () => this.commit({ target: Number(this.dom.select.value) }));
    this.invalidate(ALL);
  }

  /** 1 when the first row is `embed` (it maps to no layer), else 0. */
  private get offset(): number {
    return (this.model.get("rows") ?? [])[0] === "embed" ? 1 : 0;
  }

  protected selected(): Cell {
    const spec = this.grid.spec ?? { rows: 1, columns: 1 };
    return { row: clampIndex(this.model.get("row") ?? 0, spec.rows), column: clampIndex(this.model.get("position") ?? 0, spec.columns) };
  }

  /** Select a cell: row and position, and the link traits that follow them. */
  protected select(cell: Cell): void {
    const changes: Partial<Model> = { row: cell.row, position: cell.column, query_token: cell.column };
    if (cell.row >= this.offset) changes.layer = cell.row - this.offset;
    this.commit(changes);
  }

  protected describe(cell: Cell): { text: string; data: Record<string, string> } {
    const tokens = this.model.get("candidate_tokens") ?? [];
    const entries = this.data ? topEntries(this.data, cell.row, cell.column) : [];
    return {
      text: tooltipText(this.rowLabel(cell.row), this.posLabel(cell.column), entries, tokens),
      data: { row: String(cell.row), position: String(cell.column), values: entriesJson(entries, tokens) },
    };
  }

  private rowLabel(row: number): string {
    return (this.model.get("rows") ?? [])[row] ?? String(row);
  }

  private posLabel(position: number): string {
    return positionLabel((this.model.get("tokens") ?? [])[position] ?? "", position);
  }

  private token(candidate: number): string {
    return (this.model.get("candidate_tokens") ?? [])[candidate] ?? "";
  }

  /** A link sets `layer` / `query_token` (an AttentionView's selection): move the cell. */
  private followLink(): void {
    const onLayer = () => {
      const layer = this.model.get("layer");
      if (typeof layer === "number" && layer + this.offset !== this.model.get("row")) this.commit({ row: layer + this.offset });
    };
    const onQuery = () => {
      const query = this.model.get("query_token");
      if (typeof query === "number" && query !== this.model.get("position")) this.commit({ position: query });
    };
    this.watch(["layer"], onLayer);
    this.watch(["query_token"], onQuery);
  }

  // ---- painting -------------------------------------------------------------------------

  protected render(flags: number): void {
    const root = this.root;
    if (flags & DATA) this.loadData();
    const data = this.data;
    if (!data) {
      root.dataset.state = "missing";
      return;
    }
    if (flags & META) this.renderMeta(data);
    if (flags & (CELLS | THEME)) this.paintCells(data);
    this.renderSelection(data);
    if (flags & CHART) this.renderChart(data);
    const { row, column } = this.selected();
    root.dataset.state = "ready";
    root.dataset.ready = "true";
    root.dataset.selected = `${row},${column}`;
    root.dataset.target = String(this.model.get("target") ?? 0);
  }

  private loadData(): void {
    const m = this.model;
    try {
      this.data = decodeLens({ columns: m.get("_columns"), starts: m.get("_column_starts"), probs: m.get("_column_probs"), top: m.get("_top") });
    } catch (error) {
      this.data = null;
      this.dom.selection.textContent = `The lens cannot be decoded: ${String(error)}`;
      return;
    }
    const d = this.data;
    this.grid.setShape(
      Array.from({ length: d.rows }, (_, r) => this.rowLabel(r)),
      Array.from({ length: d.positions }, (_, p) => this.posLabel(p)),
    );
  }

  private renderMeta(data: LensData): void {
    const name = this.model.get("title") || "Logit lens";
    this.dom.title.textContent = name;
    this.root.setAttribute("aria-label", name);
    const { row, column } = this.selected();
    const target = this.model.get("target") ?? 0;
    const next = (this.model.get("next_tokens") ?? [])[column] ?? -1;
    const choices = targetChoices(this.model.get("targets") ?? [], next, topEntries(data, row, column), target);
    const options = choices.map((c) => ({ value: c.candidate, text: `${quoted(this.token(c.candidate))} (${c.why})` }));
    setTargetOptions(this.dom.select, options, target);
  }

  private paintCells(data: LensData): void {
    this.grid.paint(data, this.model.get("candidate_tokens") ?? [], this.dark);
    paintBar(this.dom.legendBar, probabilityLut(this.dark));
    this.root.dataset.paintedTheme = this.dark ? "dark" : "light";
  }

  private renderSelection(data: LensData): void {
    const selected = this.selected();
    const top = topEntry(data, selected.row, selected.column);
    this.dom.selection.textContent =
      `selected: ${this.rowLabel(selected.row)} at ${this.posLabel(selected.column)} · ` +
      `top ${quoted(this.token(top.candidate))} ${formatProb(top.prob)}`;
    this.grid.mark(this.hover, selected, this.colors(this.root));
    if (this.pinned) this.showTooltip(selected);
  }

  /** The chart of the target at the selected position (fetched when not kept there). */
  private renderChart(data: LensData): void {
    const { row, column: position } = this.selected();
    const target = this.model.get("target") ?? 0;
    const key = `${target}@${position}`;
    const line = this.lineOf(data, target, position);
    const tokenText = quoted(this.token(target));
    const title = `P(${tokenText}) per row at ${this.posLabel(position)}`;
    this.dom.chartTitle.textContent = title;
    this.dom.chart.setAttribute("aria-label", title);
    this.dom.note.textContent =
      line.state === "ready"
        ? `${this.rowLabel(row)}: ${formatProb(line.values?.[row] ?? Number.NaN)}`
        : line.state === "loading"
          ? `${tokenText} is not among the tokens kept at this position: asking the kernel…`
          : `${tokenText} at this position is not available: ${line.reason ?? ""}`;
    drawChart(this.dom.chart, line.values, this.model.get("rows") ?? [], row, this.colors(this.root));
    this.root.dataset.chart = line.state;
    this.root.dataset.paintedLine = key;
    this.root.dataset.line = line.values ? JSON.stringify(Array.from(line.values)) : "";
  }

  /** The target's probability per row at `position`: kept in the traits, or a slice asked for. */
  private lineOf(data: LensData, target: number, position: number): Line {
    const kept = lineAt(data, position, target);
    if (kept) return { values: kept, state: "ready" };
    const state = this.targetLoader.load([`target:${target}`], ([slice]) => slice);
    if (state.kind === "ready") return { values: rowValues(state.data, position, data.positions), state: "ready" };
    return state.kind === "loading" ? { values: null, state: "loading" } : { values: null, state: "missing", reason: state.reason };
  }

  private savePng(): Promise<void> {
    const data = this.data;
    if (!data) return Promise.resolve();
    const { row, column } = this.selected();
    const top = topEntry(data, row, column);
    const target = this.model.get("target") ?? 0;
    return saveLensPng({
      title:
        `${this.model.get("title") || "Logit lens"}: ${this.rowLabel(row)} at ${this.posLabel(column)} → ` +
        `${quoted(this.token(top.candidate))} ${formatProb(top.prob)}`,
      filename: `logit-lens-${this.rowLabel(row)}-${column}`,
      rows: Array.from({ length: data.rows }, (_, r) => this.rowLabel(r)),
      positions: Array.from({ length: data.positions }, (_, p) => this.posLabel(p)),
      cellWidth: this.grid.w,
      cellHeight: CELL_HEIGHT,
      grid: this.grid.cells,
      overlay: this.grid.overlay,
      legendBar: this.dom.legendBar,
      chartTitle: `P(${quoted(this.token(target))}) per row at ${this.posLabel(column)}`,
      chart: this.dom.chart,
      colors: themeColors(this.root, this.dark),
    });
  }
}
