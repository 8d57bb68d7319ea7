/**
 * AttentionView: every head of a layer as thumbnails, the selected head as a large heatmap
 * (query rows × key columns) with token labels, and a token strip coloured by attention.
 *
 * Bundle `attention.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The attention view controller: keeps the page in step with the model and the user.
 *
 * Changes are collected as dirty flags and applied once per microtask, so a burst of
 * trait changes (e.g. `query_token` and `locked`) repaints once.
 */

import type { AnyModel } from "@anywidget/types";
import { Controller } from "../lib/controller";
import { valueAt, type Decoded } from "../lib/binary";
import { probabilityLut } from "../lib/colormap";
import { HeatmapPainter, rowReader, thumbSide } from "../lib/heatmap";
import { showLayerState } from "../lib/layer_state";
import { clampIndex } from "../lib/clamp";
import type { KeyAction } from "../lib/keyboard";
import { themeColors } from "../lib/theme";
import { visibleToken } from "../lib/tokens";
import { AxisLabels } from "./axes";
import { setLayerOptions } from "../lib/dom";
import { buildDom, buildThumbs, type AttentionDom } from "./dom";
import { saveAttentionPng } from "./figure";
import { layerKey, type Model } from "./model";
import { Overlay } from "./overlay";
import { clickQuery, displayedQuery, moveQuery, unlocked, type Selection } from "./selection";
import { TokenStrip } from "./strip";

const META = 1;
const TOKENS = 2;
const LAYER = 4;
const HEAD = 8;
const SELECTION = 16;
const HOVER = 32;
const ALL = META | TOKENS | LAYER | HEAD | SELECTION;

/** Above this many tokens, hovering recolours the strip after a short pause (it is costly to repaint). */
const STRIP_DEFER_TOKENS = 512;
const STRIP_DEFER_MS = 90;

/** Largest thumbnail side in pixels (T = min(N, THUMB_MAX)). */
export const THUMB_MAX = 64;

/** Integer cell size of the main heatmap for `n` tokens. */
export function cellSize(n: number): number {
  return Math.min(24, Math.max(1, Math.floor(480 / Math.max(1, n))));
}

export class AttentionController extends Controller<Model> {
  readonly dom: AttentionDom;
  private readonly painter = new HeatmapPainter();
  private readonly strip: TokenStrip;
  private readonly labels: AxisLabels;
  private readonly overlay: Overlay;
  private thumbs: HTMLCanvasElement[] = [];
  private readonly loader = this.sliceLoader<Decoded>(LAYER | HEAD | SELECTION);
  private data: Decoded | null = null;
  private layout = { n: -1, cell: 0, heads: -1 };
  private hoverRow: number | null = null;
  private hoverCol: number | null = null;
  private stripTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    model: AnyModel<Model>,
    el: HTMLElement,
  ) {
    super(model);
    this.dom = buildDom(el.ownerDocument, () => void this.savePng());
    this.strip = new TokenStrip(this.dom.strip);
    this.labels = new AxisLabels(this.dom.queryLabels, this.dom.keyLabels);
    this.overlay = new Overlay(this.dom.overlay);
    this.mount(el, this.dom.root);
    this.listen("change:layer", LAYER | HEAD | SELECTION | META);
    this.listen("change:head", HEAD | SELECTION | META);
    this.listen("change:query_token", SELECTION);
    this.listen("change:locked", SELECTION);
    this.listen("change:tokens", TOKENS | LAYER | HEAD | SELECTION | META);
    this.listen("change:n_layers", META | LAYER);
    this.listen("change:n_heads", LAYER | HEAD | SELECTION);
    this.listen("change:title", META);
    this.followTheme(this.dom.root, LAYER | HEAD | SELECTION);
    this.bindEvents();
    this.invalidate(ALL);
  }

  dispose(): void {
    super.dispose();
    clearTimeout(this.stripTimer);
  }

  private get selection(): Selection {
    return { query_token: this.model.get("query_token") ?? null, locked: !!this.model.get("locked") };
  }

  private get tokens(): string[] {
    return this.model.get("tokens") ?? [];
  }

  private get head(): number {
    const heads = this.data ? this.data.matrices : this.model.get("n_heads");
    return clampIndex(this.model.get("head") ?? 0, heads);
  }

  // ---- painting -------------------------------------------------------------------------

  protected render(flags: number): void {
    const root = this.dom.root;
    if (flags & META) this.renderMeta();
    if (flags & TOKENS) this.strip.build(this.tokens);
    const data = this.ensureData();
    const hoverOnly = (flags & ~HOVER) === 0;
    if (!data) {
      this.renderSelection(false);
      return;
    }
    const layoutChanged = this.updateLayout(data, (flags & TOKENS) !== 0);
    if (flags & LAYER || layoutChanged) this.paintThumbs(data);
    if (flags & (LAYER | HEAD) || layoutChanged) this.paintMain(data);
    this.renderSelection(hoverOnly && data.n > STRIP_DEFER_TOKENS);
    root.dataset.state = "ready";
    root.dataset.ready = "true";
  }

  private renderMeta(): void {
    const { title, subtitle, layerSelect, root } = this.dom;
    const name = this.model.get("title") || "Attention";
    title.textContent = name;
    root.setAttribute("aria-label", name);
    const layer = this.model.get("layer") ?? 0;
    const nLayers = this.model.get("n_layers") ?? 0;
    setLayerOptions(layerSelect, Array.from({ length: nLayers }, (_, i) => i), layer);
    subtitle.textContent = `head ${this.model.get("head") ?? 0} · ${this.tokens.length} tokens`;
  }

  /** The current layer's data, or null while loading / when missing (the page says so). */
  private ensureData(): Decoded | null {
    const layer = this.model.get("layer") ?? 0;
    const state = this.loader.load([layerKey(layer)], ([data]) => data, true);
    const { root, status, missing, body, heads } = this.dom;
    this.data = showLayerState({ root, status, missing, anchor: heads, panels: [body, heads] }, layer, state);
    return this.data;
  }

  /** Resize canvases and rebuild labels/thumbnails when N, the cell or the head count changed. */
  private updateLayout(data: Decoded, tokensChanged: boolean): boolean {
    const n = data.n;
    const cell = cellSize(n);
    const heads = data.matrices;
    const old = this.layout;
    if (!tokensChanged && old.n === n && old.cell === cell && old.heads === heads) return false;
    if (old.heads !== heads) this.thumbs = buildThumbs(this.dom.heads, heads);
    const side = n * cell;
    const { main } = this.dom;
    main.style.width = main.style.height = `${side}px`;
    this.overlay.resize(side);
    this.labels.build(this.tokens, n, cell);
    this.layout = { n, cell, heads };
    return true;
  }

  private paintThumbs(data: Decoded): void {
    const lut = probabilityLut(this.dark);
    const t = thumbSide(data.n, THUMB_MAX);
    const read = rowReader(data);
    for (const [h, canvas] of this.thumbs.entries()) this.painter.thumbnail(canvas, data, h, t, lut, read);
  }

  private paintMain(data: Decoded): void {
    const head = this.head;
    const layer = this.model.get("layer") ?? 0;
    const { main, root } = this.dom;
    this.painter.paint(main, data, head, this.layout.cell, probabilityLut(this.dark));
    main.setAttribute("aria-label", `Attention of layer ${layer}, head ${head}`);
    root.dataset.paintedLayer = String(layer);
    root.dataset.paintedHead = String(head);
  }

  /** Overlay, labels and thumbnails now; the strip now or (`deferStrip`) after a pause. */
  private renderSelection(deferStrip: boolean): void {
    const selection = this.selection;
    const data = this.data;
    const locked = selection.locked && selection.query_token !== null;
    const head = this.head;
    this.thumbs.forEach((canvas, h) => {
      const selected = h === head;
      canvas.classList.toggle("mi-selected", selected);
      canvas.parentElement?.classList.toggle("mi-selected", selected);
    });
    clearTimeout(this.stripTimer);
    if (deferStrip) this.stripTimer = setTimeout(() => this.renderStrip(), STRIP_DEFER_MS);
    else this.renderStrip();
    if (!data) return;
    this.overlay.draw(
      {
        n: data.n,
        cell: this.layout.cell,
        hoverRow: this.hoverRow,
        hoverCol: this.hoverCol,
        queryRow: selection.query_token,
        locked,
      },
      this.colors(this.dom.root),
    );
    this.labels.mark(this.hoverRow, this.hoverCol, locked ? selection.query_token : null);
  }

  /** Colour the strip by the displayed query row and outline the query/hovered tokens. */
  private renderStrip(): void {
    if (this.disposed) return;
    const selection = this.selection;
    const data = this.data;
    const query = displayedQuery(selection, this.hoverRow);
    const locked = selection.locked && selection.query_token !== null;
    const hoverToken = this.hoverRow !== null && this.hoverRow === this.hoverCol ? this.hoverRow : this.hoverCol;
    this.strip.mark(query, hoverToken, locked);
    if (!data) return;
    const head = this.head;
    const row = query !== null && query < data.n ? query : null;
    this.strip.colour(row === null ? null : (k) => valueAt(data, head, row, k), data.n, this.dark);
  }

  // ---- interaction ----------------------------------------------------------------------

  private hover(row: number | null, col: number | null): void {
    if (row === this.hoverRow && col === this.hoverCol) return;
    this.hoverRow = row;
    this.hoverCol = col;
    this.invalidate(HOVER);
  }

  private clickToken(q: number): void {
    this.commit(clickQuery(this.selection, q));
  }

  private bindEvents(): void {
    const { root, stack, strip, heads, layerSelect, queryLabels, keyLabels, tooltip } = this.dom;
    this.on(stack, "mousemove", (event) => {
      const data = this.data;
      const at = data ? this.overlay.cellAt(event, data.n, this.layout.cell) : null;
      if (!data || !at) {
        this.hover(null, null);
        tooltip.hide();
        return;
      }
      this.hover(at.q, at.k);
      const value = valueAt(data, this.head, at.q, at.k);
      const tok = (i: number) => visibleToken(this.tokens[i] ?? "").text;
      tooltip.show(
        `query: ${tok(at.q)} (${at.q})  key: ${tok(at.k)} (${at.k})  attention: ${value.toFixed(4)}`,
        event.clientX,
        event.clientY,
        { value: String(value), query: String(at.q), key: String(at.k) },
      );
    });
    this.on(stack, "mouseleave", () => {
      this.hover(null, null);
      tooltip.hide();
    });
    this.on(stack, "click", (event) => {
      const at = this.data ? this.overlay.cellAt(event, this.data.n, this.layout.cell) : null;
      if (at) this.clickToken(at.q);
    });
    const tokenIndex = (event: Event, selector: string): number | null => {
      const target = (event.target as Element | null)?.closest?.(selector) as HTMLElement | null;
      const index = target?.dataset.index;
      return index === undefined ? null : Number(index);
    };
    for (const [container, selector] of [
      [strip, ".mi-token"],
      [queryLabels, ".mi-axis-label"],
      [keyLabels, ".mi-axis-label"],
    ] as const) {
      this.on(container, "mouseover", (event) => {
        const i = tokenIndex(event, selector);
        if (i !== null) this.hover(i, i);
      });
      this.on(container, "mouseleave", () => this.hover(null, null));
      this.on(container, "click", (event) => {
        const i = tokenIndex(event, selector);
        if (i !== null) this.clickToken(i);
      });
    }
    this.on(heads, "click", (event) => {
      const item = (event.target as Element | null)?.closest?.(".mi-head") as HTMLElement | null;
      if (item?.dataset.head !== undefined) this.commit({ head: Number(item.dataset.head) });
    });
    this.on(layerSelect, "change", () => this.commit({ layer: Number(layerSelect.value) }));
    this.onKeys(root, (action) => this.onKey(action));
  }

  private onKey(action: KeyAction): boolean {
    const nHeads = this.data?.matrices ?? this.model.get("n_heads") ?? 1;
    const nLayers = this.model.get("n_layers") ?? 1;
    switch (action.kind) {
      case "head":
        this.commit({ head: clampIndex(this.head + action.delta, nHeads) });
        break;
      case "layer":
        this.commit({ layer: clampIndex((this.model.get("layer") ?? 0) + action.delta, nLayers) });
        break;
      case "query": {
        const n = this.data?.n ?? this.tokens.length;
        this.commit(moveQuery(this.selection, this.hoverRow, action.delta, n));
        break;
      }
      case "unlock":
        this.commit(unlocked());
        break;
    }
    return true;
  }

  private savePng(): Promise<void> {
    const data = this.data;
    if (!data) return Promise.resolve();
    return saveAttentionPng({
      title: this.model.get("title") || "Attention",
      layer: this.model.get("layer") ?? 0,
      head: this.head,
      tokens: this.tokens,
      n: data.n,
      cell: this.layout.cell,
      main: this.dom.main,
      thumbs: this.thumbs,
      colors: themeColors(this.dom.root, this.dark),
    });
  }
}
