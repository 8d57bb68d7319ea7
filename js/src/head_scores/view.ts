/**
 * HeadScoresView: a layer × head grid coloured by one head score (previous-token,
 * induction, duplicate-token, first-token); click or use the arrow keys to select a head.
 *
 * Bundle `head_scores.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The head-scores view controller: keeps the page in step with the model and the user.
 *
 * Trait changes are collected as dirty flags and applied once per microtask.
 */

import type { AnyModel } from "@anywidget/types";
import { Controller } from "../lib/controller";
import { decode, type Decoded, type EncodedArray } from "../lib/binary";
import { probabilityLut } from "../lib/colormap";
import { fromFormControl, keyAction } from "../lib/keyboard";
import { themeColors } from "../lib/theme";
import { buildAxisLabels, buildDom, markAxisLabels, setScoreOptions, type HeadScoresDom } from "./dom";
import { saveScoresPng } from "./figure";
import { clampIndex, cycleScore, formatScore, headValues, scoreLabel, tooltipText, valuesJson } from "./format";
import { cellAtPixel, fillScorePixels, gridShape, hasNaN, labelStep, nanColors, scoreCellSize, type GridShape } from "./grid";
import { legendFigure, paintBar, paintSwatch } from "./legend";
import type { Model } from "./model";
import { GridOverlay } from "./overlay";
import { sourceForKey, updateSourceSwitch } from "./source_switch";

const META = 1;
const DATA = 2;
const SCORE = 4;
const SELECTION = 8;
const HOVER = 16;
const THEME = 32;
const ALL = META | DATA | SCORE | SELECTION | THEME;

type Cell = { layer: number; head: number };

export class HeadScoresController extends Controller<Model> {
  readonly dom: HeadScoresDom;
  private readonly overlay: GridOverlay;
  private data: Decoded | null = null;
  private shape: GridShape = { scores: 0, layers: 0, heads: 0 };
  private cell = 0;
  private hover: Cell | null = null;
  /** The tooltip is pinned to the selected head (opened with Enter). */
  private pinned = false;

  constructor(
    model: AnyModel<Model>,
    el: HTMLElement,
  ) {
    super(model);
    this.dom = buildDom(el.ownerDocument, () => void this.savePng());
    this.overlay = new GridOverlay(this.dom.overlay);
    this.mount(el, this.dom.root);
    this.listen("change:_values", DATA | SCORE | SELECTION);
    this.listen("change:_text_values", META | DATA | SCORE | SELECTION);
    this.listen("change:scores_on", META | DATA | SCORE | SELECTION);
    this.listen("change:source_labels", META);
    this.listen("change:text_title", META);
    this.listen("change:n_layers", DATA | SCORE | SELECTION);
    this.listen("change:n_heads", DATA | SCORE | SELECTION);
    this.listen("change:layer_labels", DATA | SELECTION);
    this.listen("change:names", META | SCORE | SELECTION);
    this.listen("change:score", META | SCORE | SELECTION);
    this.listen("change:layer", SELECTION);
    this.listen("change:head", SELECTION);
    this.listen("change:title", META);
    this.followTheme(this.dom.root, THEME | SCORE | SELECTION);
    this.bindEvents();
    this.invalidate(ALL);
  }

  dispose(): void {
    super.dispose();
    this.dom.tooltip.dispose();
  }

  private get names(): string[] {
    return this.model.get("names") ?? [];
  }

  /** The shown score's index in `names` (0 when unknown). */
  private get scoreIndex(): number {
    return Math.max(0, this.names.indexOf(this.model.get("score") ?? ""));
  }

  private get selected(): Cell {
    return {
      layer: clampIndex(this.model.get("layer") ?? 0, this.shape.layers),
      head: clampIndex(this.model.get("head") ?? 0, this.shape.heads),
    };
  }

  /** The scores on the linked text (`_text_values`), or null when there are none. */
  private get textValues(): EncodedArray | null {
    const text = this.model.get("_text_values");
    return text && "data" in text ? (text as EncodedArray) : null;
  }

  /** Whether the grid shows the linked text's scores (`scores_on` is "text" and they came). */
  private get onText(): boolean {
    return this.model.get("scores_on") === "text" && this.textValues !== null;
  }

  /** The heading of the shown scores. */
  private get heading(): string {
    return (this.onText ? this.model.get("text_title") : this.model.get("title")) || "Head scores";
  }

  private layerLabel(layer: number): number {
    return (this.model.get("layer_labels") ?? [])[layer] ?? layer;
  }

  // ---- painting -------------------------------------------------------------------------

  protected render(flags: number): void {
    const root = this.dom.root;
    if (flags & DATA) this.loadData();
    if (flags & META) this.renderMeta();
    const data = this.data;
    if (!data) {
      root.dataset.state = "missing";
      return;
    }
    if (flags & (DATA | SCORE | THEME)) this.paintGrid(data);
    if (flags & (DATA | SCORE | THEME)) this.paintLegend(data);
    this.renderSelection(data);
    const { layer, head } = this.selected;
    root.dataset.state = "ready";
    root.dataset.ready = "true";
    root.dataset.score = this.model.get("score") ?? "";
    root.dataset.selected = `${layer},${head}`;
  }

  private loadData(): void {
    const encoded = (this.onText ? this.textValues : null) ?? this.model.get("_values");
    try {
      this.data = encoded ? decode(encoded) : null;
      this.shape = this.data ? gridShape(this.data) : { scores: 0, layers: 0, heads: 0 };
    } catch (error) {
      this.data = null;
      this.dom.selection.textContent = `The scores cannot be decoded: ${String(error)}`;
      return;
    }
    const { layers, heads } = this.shape;
    const cell = scoreCellSize(layers, heads);
    this.cell = cell;
    const { grid } = this.dom;
    grid.width = heads * cell;
    grid.height = layers * cell;
    grid.style.width = `${heads * cell}px`;
    grid.style.height = `${layers * cell}px`;
    this.overlay.resize(heads * cell, layers * cell);
    const labels = Array.from({ length: layers }, (_, l) => this.layerLabel(l));
    buildAxisLabels(this.dom, labels, heads, cell, labelStep(cell));
  }

  private renderMeta(): void {
    const { title, select, root, sources } = this.dom;
    const name = this.heading;
    title.textContent = name;
    root.setAttribute("aria-label", name);
    setScoreOptions(select, this.names, this.model.get("score") ?? "");
    const titles = { given: this.model.get("title") ?? "", text: this.model.get("text_title") ?? "" };
    const shown = this.onText ? "text" : "given";
    updateSourceSwitch(sources, this.model.get("source_labels") ?? {}, titles, shown);
    root.dataset.scoresOn = shown;
  }

  /** The grid of the shown score: one putImageData. */
  private paintGrid(data: Decoded): void {
    const { grid } = this.dom;
    const ctx = grid.getContext("2d");
    const score = this.model.get("score") ?? "";
    grid.setAttribute("aria-label", `${scoreLabel(score)} score of every head (rows: layers, columns: heads)`);
    if (!ctx || grid.width === 0 || grid.height === 0) return;
    const image = ctx.createImageData(grid.width, grid.height);
    const pixels = new Uint32Array(image.data.buffer);
    fillScorePixels(pixels, data, this.scoreIndex, this.cell, probabilityLut(this.dark), nanColors(this.dark));
    ctx.putImageData(image, 0, 0);
    this.dom.root.dataset.paintedScore = score;
    this.dom.root.dataset.paintedSource = this.onText ? "text" : "given";
  }

  private paintLegend(data: Decoded): void {
    const { legend } = this.dom;
    legend.caption.textContent = `${scoreLabel(this.model.get("score") ?? "")} score (mean attention)`;
    paintBar(legend.bar, probabilityLut(this.dark));
    paintSwatch(legend.swatch, nanColors(this.dark));
    legend.na.hidden = !hasNaN(data, this.scoreIndex);
  }

  private renderSelection(data: Decoded): void {
    const selected = this.selected;
    const value = headValues(data, this.names, selected.layer, selected.head)[this.scoreIndex]?.[1] ?? NaN;
    const score = this.model.get("score") ?? "";
    this.dom.selection.textContent =
      `selected: layer ${this.layerLabel(selected.layer)}, head ${selected.head} · ${scoreLabel(score)} ${formatScore(value)}`;
    markAxisLabels(this.dom, selected.layer, selected.head);
    this.overlay.draw({ cell: this.cell, hover: this.hover, selected }, this.colors(this.dom.root));
    if (this.pinned) this.showTooltip(selected);
  }

  // ---- tooltip --------------------------------------------------------------------------

  /** Show the values of `cell` near the pointer (or, without one, near the cell). */
  private showTooltip(cell: Cell, at?: { x: number; y: number }): void {
    const data = this.data;
    if (!data) return;
    const values = headValues(data, this.names, cell.layer, cell.head);
    const point = at ?? this.overlay.cellPoint(cell.layer, cell.head, this.cell);
    this.dom.tooltip.show(
      tooltipText(values, this.layerLabel(cell.layer), cell.head, this.model.get("score") ?? ""),
      point.x,
      point.y,
      { layer: String(cell.layer), head: String(cell.head), values: valuesJson(values) },
    );
  }

  private hideTooltip(): void {
    this.pinned = false;
    this.dom.tooltip.hide();
  }

  // ---- interaction ----------------------------------------------------------------------

  private cellAt(event: MouseEvent): Cell | null {
    const point = this.overlay.pixelAt(event);
    if (!point || !this.data) return null;
    return cellAtPixel(point.x, point.y, this.cell, this.shape.layers, this.shape.heads);
  }

  private setHover(cell: Cell | null): void {
    if (cell?.layer === this.hover?.layer && cell?.head === this.hover?.head) return;
    this.hover = cell;
    this.invalidate(HOVER | SELECTION);
  }

  private bindEvents(): void {
    const { root, stack, select, tooltip } = this.dom;
    this.on(stack, "mousemove", (event) => {
      const cell = this.cellAt(event);
      this.setHover(cell);
      if (!cell) {
        if (!this.pinned) tooltip.hide();
        return;
      }
      this.pinned = false;
      this.showTooltip(cell, { x: event.clientX, y: event.clientY });
    });
    this.on(stack, "mouseleave", () => {
      this.setHover(null);
      if (!this.pinned) tooltip.hide();
    });
    this.on(stack, "click", (event) => {
      const cell = this.cellAt(event);
      if (cell) this.commit({ layer: cell.layer, head: cell.head });
      root.focus({ preventScroll: true });
    });
    this.on(select, "change", () => this.commit({ score: select.value }));
    const { el: sourceSwitch, radios } = this.dom.sources;
    for (const radio of radios) {
      this.on(radio, "change", () => {
        if (radio.checked) this.commit({ scores_on: radio.value });
      });
    }
    this.on(sourceSwitch, "keydown", (event) => {
      const source = sourceForKey(event);
      if (!source) return;
      event.preventDefault();
      event.stopPropagation();
      radios.find((radio) => radio.value === source)?.focus();
      this.commit({ scores_on: source });
    });
    this.on(root, "keydown", (event) => this.onKey(event));
  }

  private onKey(event: KeyboardEvent): void {
    if (fromFormControl(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      event.stopPropagation();
      this.pinned = true;
      this.showTooltip(this.selected);
      return;
    }
    const action = keyAction(event);
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    const { layer, head } = this.selected;
    switch (action.kind) {
      case "head":
        this.commit({ head: clampIndex(head + action.delta, this.shape.heads) });
        break;
      case "layer":
        this.commit({ layer: clampIndex(layer + action.delta, this.shape.layers) });
        break;
      case "query":
        this.commit({ score: cycleScore(this.names, this.model.get("score") ?? "", action.delta) });
        break;
      case "unlock":
        this.hideTooltip();
        break;
    }
  }

  private savePng(): Promise<void> {
    const data = this.data;
    if (!data) return Promise.resolve();
    const colors = themeColors(this.dom.root, this.dark);
    const { layer, head } = this.selected;
    const score = this.model.get("score") ?? "";
    const value = headValues(data, this.names, layer, head)[this.scoreIndex]?.[1] ?? NaN;
    const doc = this.dom.root.ownerDocument;
    const legend = legendFigure(doc, {
      bar: this.dom.legend.bar,
      swatch: hasNaN(data, this.scoreIndex) ? this.dom.legend.swatch : null,
      caption: `${scoreLabel(score)} score`,
      colors,
    });
    const label = this.model.get("source_labels")?.[this.onText ? "text" : "given"];
    return saveScoresPng({
      title: label ? `Head scores on ${label}` : "Head scores",
      score,
      layerLabel: this.layerLabel(layer),
      head,
      value: formatScore(value),
      layerLabels: Array.from({ length: this.shape.layers }, (_, l) => this.layerLabel(l)),
      heads: this.shape.heads,
      cell: this.cell,
      grid: this.dom.grid,
      overlay: this.dom.overlay,
      legend,
      colors,
    });
  }
}
