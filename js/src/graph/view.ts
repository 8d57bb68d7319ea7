/**
 * GraphView: an attribution graph on a canvas — layers bottom to top, positions left to
 * right — pruned in the page, with hover, selection, keys, pins, supernodes, the selected
 * feature's statistics and interventions in a live kernel.
 *
 * Bundle `graph.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 */

import type { AnyModel } from "@anywidget/types";
import { decode } from "../lib/binary";
import { Controller } from "../lib/controller";
import { formatCount } from "../feature/format";
import { readFeature, type FeatureData } from "../feature/layout";
import { composeFigure, downloadCanvas, safeFilename } from "../lib/png";
import { whenIdle } from "../lib/idle";
import { reasonOf } from "../lib/requests";
import { buildGraphDom, type GraphDom } from "./dom";
import { runIntervention } from "./intervention";
import { markInvisible, renderToken } from "../lib/tokens";
import type { Tooltip } from "../lib/tooltip";
import type { FeatureCard } from "./card";
import { readGraph, type GraphData } from "./data";
import { buildDisplay, readSupernodes, type Display } from "./display";
import { DRAWN_EDGES, nodeAt, paintGraph, paintOverlay, scalesOf, type Paint } from "./draw";
import { graphKey, moveCursor } from "./keys";
import { nodeId, nodeLabel, nodeTip, type Names } from "./labels";
import { layout, shownRow } from "./layout";
import { FEATURE, type EdgesTrait, type Model, type NodesTrait } from "./model";
import { prune, type Pruned } from "./prune";

const DATA = 1;
const SHAPE = 2;
const PAINT = 4;
const OVERLAY = 8;
const CARD = 16;
const META = 32;
const ALL = DATA | SHAPE | PAINT | OVERLAY | CARD | META;
/** Strongest inputs and outputs a selection shows. */
const STRONGEST = 5;
/** Nodes listed for screen readers (the most influential shown ones). */
const LISTED = 200;

export class GraphController extends Controller<Model> {
  private readonly root: HTMLDivElement;
  private readonly title: HTMLSpanElement;
  private readonly selection: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly axis: HTMLDivElement;
  private readonly list: HTMLOListElement;
  private readonly tooltip: Tooltip;
  private readonly card: FeatureCard;
  private readonly result: HTMLDivElement;
  private readonly sliders: GraphDom["sliders"];
  private readonly buttons: GraphDom["buttons"];
  private readonly groupName: HTMLInputElement;
  private readonly loader = this.sliceLoader<FeatureData>(CARD);
  private graph: GraphData | null = null;
  private indexOf = new Map<string, number>();
  private pruned: Pruned | null = null;
  /** The thresholds `pruned` was computed for. */
  private prunedAt = "";
  private paint: Paint | null = null;
  private hovered: number | null = null;
  /** Cancels the pending rebuild of the screen-reader list (null when none is pending). */
  private cancelList: (() => void) | null = null;
  private cursor: number | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    super(model);
    const doc = el.ownerDocument;
    const dom = buildGraphDom(doc, () => void this.savePng());
    this.root = dom.root;
    this.title = dom.title;
    this.selection = dom.selection;
    this.sliders = dom.sliders;
    this.buttons = dom.buttons;
    this.groupName = dom.groupName;
    this.canvas = dom.canvas;
    this.overlay = dom.overlay;
    this.axis = dom.axis;
    this.list = dom.list;
    this.card = dom.card;
    this.result = dom.result;
    this.tooltip = dom.tooltip;
    this.mount(el, this.root);
    this.listen("change:_nodes", ALL);
    this.listen("change:_edges", ALL);
    for (const name of ["node_threshold", "edge_threshold", "pinned", "supernodes"] as const) this.listen(`change:${name}`, SHAPE | PAINT | OVERLAY | META);
    this.listen("change:selected", OVERLAY | CARD | META);
    for (const name of ["title", "intervention_note", "tokens"] as const) this.listen(`change:${name}`, META | SHAPE | PAINT);
    this.listen("change:stats_info", CARD);
    this.followTheme(this.root, PAINT | OVERLAY | CARD);
    this.bindEvents();
    this.followWidth();
    this.invalidate(ALL);
  }

  dispose(): void {
    super.dispose();
    this.cancelList?.();
    this.tooltip.dispose();
  }

  // ---- state ------------------------------------------------------------------------------

  private get names(): Names | null {
    if (!this.graph || !this.paint) return null;
    return {
      g: this.graph,
      display: this.paint.display,
      ids: this.model.get("node_ids") ?? [],
      tokens: this.model.get("tokens") ?? [],
      logitTokens: this.model.get("logit_tokens") ?? [],
    };
  }

  /** The shown number of the selected node or supernode, or null. */
  private get selectedNode(): number | null {
    return this.shownNumber(this.model.get("selected") ?? "");
  }

  private shownNumber(id: string): number | null {
    if (!id || !this.graph || !this.paint) return null;
    const group = this.paint.display.supernodes.findIndex((s) => s.name === id);
    if (group >= 0) return this.graph.n + group;
    const i = this.indexOf.get(id);
    if (i === undefined) return null;
    const owner = this.paint.display.supernodes.findIndex((s) => s.members.includes(i));
    return owner >= 0 ? this.graph.n + owner : i;
  }

  // ---- rendering --------------------------------------------------------------------------

  protected render(flags: number): void {
    if (flags & DATA) {
      this.pruned = null;
      if (!this.readData()) return;
    }
    if (!this.graph) return;
    if (flags & SHAPE) this.reshape();
    if (flags & (SHAPE | PAINT) && this.paint) {
      this.paint.colors = this.colors(this.root);
      this.paint.dark = this.dark;
      paintGraph(this.canvas, this.paint, this.ratio);
    }
    if (flags & (SHAPE | PAINT | OVERLAY)) this.paintOverlay();
    if (flags & META) this.renderMeta();
    if (flags & CARD) this.renderCard();
    this.root.dataset.selected = this.model.get("selected") ?? "";
    this.root.dataset.ready = "true";
  }

  private get ratio(): number {
    return Math.min(2, this.root.ownerDocument.defaultView?.devicePixelRatio || 1);
  }

  private readData(): boolean {
    try {
      const nodes = this.model.get("_nodes");
      const edges = this.model.get("_edges");
      if (!nodes || !("ints" in nodes) || !edges || !("ends" in edges)) throw new Error("the widget sent no graph");
      this.graph = readGraph(nodes as NodesTrait, edges as EdgesTrait);
    } catch (error) {
      this.graph = null;
      this.selection.textContent = `The graph cannot be shown: ${reasonOf(error)}`;
      this.root.dataset.state = "error";
      this.root.dataset.ready = "true";
      return false;
    }
    this.indexOf = new Map((this.model.get("node_ids") ?? []).map((id, i) => [id, i]));
    this.root.dataset.state = "ready";
    return true;
  }

  /** Prune, build what is shown and lay it out. */
  private reshape(): void {
    const g = this.graph as GraphData;
    const started = performance.now();
    const thresholds: [number, number] = [this.model.get("node_threshold") ?? 0.8, this.model.get("edge_threshold") ?? 0.98];
    const key = thresholds.join("|");
    if (!this.pruned || key !== this.prunedAt) this.pruned = prune(g, ...thresholds);
    this.prunedAt = key;
    const pinned = new Set((this.model.get("pinned") ?? []).map((id) => this.indexOf.get(id)).filter((i): i is number => i !== undefined));
    const groups = readSupernodes(this.model.get("supernodes") ?? {}, this.indexOf);
    const display = buildDisplay(g, this.pruned, pinned, groups);
    const tokens = this.model.get("tokens") ?? [];
    const nLayers = this.model.get("n_layers") ?? 1;
    const width = this.canvasWidth();
    const perLayer = display.nodes.length / Math.max(1, nLayers);
    const rowHeight = perLayer > 400 ? 170 : perLayer > 60 ? 120 : 84;
    const height = 42 + (nLayers + 2) * rowHeight;
    const placed = layout(g, display, tokens.length, nLayers, width, height);
    const logitTokens = this.model.get("logit_tokens") ?? [];
    this.paint = { g, display, layout: placed, colors: this.colors(this.root), dark: this.dark, pinned, logitTokens, scales: scalesOf(g, display) };
    if (this.cursor !== null && !placed.x.has(this.cursor)) this.cursor = null;
    if (this.hovered !== null && !placed.x.has(this.hovered)) this.hovered = null;
    this.renderAxis(tokens, placed.columnWidth);
    this.listLater(display);
    const kept = display.nodes.filter((node) => node < g.n);
    this.root.dataset.kept = String(kept.length);
    this.root.dataset.keptIds = kept.map((i) => (this.model.get("node_ids") ?? [])[i]).join(",");
    this.root.dataset.edges = String(display.weight.length);
    this.root.dataset.pruneMs = (performance.now() - started).toFixed(1);
  }

  /** The canvas width for the root's width (960 px while the root is not laid out yet). */
  private canvasWidth(): number {
    const available = this.root.clientWidth;
    return available > 0 ? Math.max(560, Math.min(1600, available - 24)) : 960;
  }

  /** Lay the graph out again when the view's width changes (e.g. it enters the page). */
  private followWidth(): void {
    const Observer = this.root.ownerDocument.defaultView?.ResizeObserver;
    if (!Observer) return;
    const observer = new Observer(() => {
      if (this.paint && Math.abs(this.canvasWidth() - this.paint.layout.width) > 20) this.invalidate(SHAPE | PAINT | OVERLAY);
    });
    observer.observe(this.root);
    this.disposers.push(() => observer.disconnect());
  }

  private renderAxis(tokens: readonly string[], columnWidth: number): void {
    const doc = this.root.ownerDocument;
    const spans = tokens.map((token, i) => {
      const span = doc.createElement("span");
      renderToken(span, token, i);
      span.style.left = `${8 + i * columnWidth}px`;
      span.style.width = `${columnWidth}px`;
      return span;
    });
    this.axis.replaceChildren(...spans);
  }

  /** Describe the canvas now; build the list of its nodes once the page is idle (after the first frame). */
  private listLater(display: Display): void {
    this.canvas.setAttribute("aria-label", `Attribution graph: ${display.nodes.length} nodes and ${display.weight.length} edges shown (list below)`);
    this.cancelList?.();
    this.root.dataset.listed = "false";
    this.cancelList = whenIdle(this.root.ownerDocument.defaultView, () => {
      this.cancelList = null;
      this.renderList(display);
      this.root.dataset.listed = "true";
    });
  }

  private renderList(display: Display): void {
    const names = this.names;
    const influence = this.pruned?.influence;
    if (!names || !influence) return;
    const g = names.g;
    const ranked = [...display.nodes].sort((a, b) => (b < g.n ? influence[b] : 1) - (a < g.n ? influence[a] : 1));
    const doc = this.root.ownerDocument;
    const items = ranked.slice(0, LISTED).map((node) => {
      const li = doc.createElement("li");
      li.textContent = nodeTip(names, node).text.split("\n").slice(0, 3).join(", ");
      return li;
    });
    if (ranked.length > LISTED) {
      const more = doc.createElement("li");
      more.textContent = `and ${ranked.length - LISTED} more nodes`;
      items.push(more);
    }
    this.list.replaceChildren(...items);
  }

  private paintOverlay(): void {
    if (!this.paint) return;
    const started = performance.now();
    paintOverlay(this.overlay, this.paint, { hovered: this.hovered, selected: this.selectedNode, cursor: this.cursor, strongest: STRONGEST }, this.ratio);
    this.root.dataset.overlayMs = (performance.now() - started).toFixed(1);
  }

  private renderMeta(): void {
    const title = markInvisible(this.model.get("title") || "Attribution graph");
    this.title.textContent = title;
    this.root.setAttribute("aria-label", `Attribution graph: ${title}`);
    const { node, edge, nodeOut, edgeOut } = this.sliders;
    const nt = this.model.get("node_threshold") ?? 0.8;
    const et = this.model.get("edge_threshold") ?? 0.98;
    node.value = String(nt);
    edge.value = String(et);
    nodeOut.textContent = nt.toFixed(2);
    edgeOut.textContent = et.toFixed(2);
    const names = this.names;
    const selected = this.selectedNode;
    const note = this.model.get("intervention_note") ?? "";
    const feature = selected !== null && names && this.membersOf(selected).some((i) => names.g.kind[i] === FEATURE);
    for (const b of [this.buttons.ablate, this.buttons.double]) {
      b.disabled = Boolean(note) || !feature;
      b.title = note || b.title;
    }
    this.buttons.pin.disabled = selected === null || selected >= (this.graph?.n ?? 0);
    this.buttons.ungroup.disabled = selected === null || selected < (this.graph?.n ?? 0);
    this.buttons.group.disabled = !(this.model.get("pinned") ?? []).length;
    const edges = this.paint?.display.weight.length ?? 0;
    const drawn = edges > DRAWN_EDGES ? ` (the ${formatCount(DRAWN_EDGES)} strongest drawn; hover any node for all of its)` : "";
    const shown = this.paint ? `${this.paint.display.nodes.length} nodes, ${edges} edges shown${drawn}` : "";
    this.selection.textContent = names && selected !== null ? `selected: ${nodeLabel(names, selected)} · ${shown}` : `nothing selected · ${shown}`;
  }

  private renderCard(): void {
    const g = this.graph;
    const selected = this.selectedNode;
    const info = this.model.get("stats_info") ?? {};
    if (!g || selected === null || selected >= g.n || g.kind[selected] !== FEATURE || !info[String(g.layer[selected])]) {
      this.card.hide();
      return;
    }
    const layer = g.layer[selected];
    const feature = g.index[selected];
    const layerInfo = info[String(layer)];
    const vocab = this.model.get("vocab") ?? [];
    const state = this.loader.load([`feature:${layer}:${feature}`, `feature-ids:${layer}:${feature}`], (parts) => readFeature(feature, parts, layerInfo, vocab, layerInfo.n_features), true);
    const edges = this.model.get("_histogram_edges")?.[String(layer)];
    this.card.show(layer, feature, state, layerInfo, edges ? decode(edges).data : [], this.dark, this.colors(this.root).accent);
  }

  // ---- interaction ------------------------------------------------------------------------

  private bindEvents(): void {
    const at = (event: MouseEvent): number | null => {
      if (!this.paint) return null;
      const box = this.overlay.getBoundingClientRect();
      return nodeAt(this.paint, event.clientX - box.left, event.clientY - box.top);
    };
    this.on(this.overlay, "mousemove", (event) => {
      const node = at(event);
      if (node !== this.hovered) {
        this.hovered = node;
        this.invalidate(OVERLAY);
      }
      const names = this.names;
      if (node === null || !names) return this.tooltip.hide();
      const tip = nodeTip(names, node);
      this.tooltip.show(tip.text, event.clientX, event.clientY, tip.data);
    });
    this.on(this.overlay, "mouseleave", () => {
      this.hovered = null;
      this.tooltip.hide();
      this.invalidate(OVERLAY);
    });
    this.on(this.overlay, "click", (event) => {
      const node = at(event);
      this.cursor = node;
      this.select(node);
      this.root.focus({ preventScroll: true });
    });
    this.on(this.root, "keydown", (event) => {
      // the graph's keys act when the view itself has the focus: Enter on a button presses it
      if (event.target !== this.root) return;
      const key = graphKey(event);
      if (!key || !this.paint || !this.graph) return;
      event.preventDefault();
      event.stopPropagation();
      this.onKey(key);
    });
    const threshold = (name: "node_threshold" | "edge_threshold", input: HTMLInputElement) =>
      this.on(input, "change", () => this.commit({ [name]: Number(input.value) } as Partial<Model>));
    threshold("node_threshold", this.sliders.node);
    threshold("edge_threshold", this.sliders.edge);
    this.on(this.sliders.node, "input", () => (this.sliders.nodeOut.textContent = Number(this.sliders.node.value).toFixed(2)));
    this.on(this.sliders.edge, "input", () => (this.sliders.edgeOut.textContent = Number(this.sliders.edge.value).toFixed(2)));
    this.on(this.buttons.pin, "click", () => this.togglePin());
    this.on(this.buttons.group, "click", () => this.groupPinned());
    this.on(this.buttons.ungroup, "click", () => this.ungroup());
    this.on(this.buttons.ablate, "click", () => void this.intervene("clamp", 0));
    this.on(this.buttons.double, "click", () => void this.intervene("scale", 2));
  }

  private onKey(key: ReturnType<typeof graphKey>): void {
    const paint = this.paint as Paint;
    const g = this.graph as GraphData;
    if (key === "clear" || key === "select") {
      this.select(key === "select" ? this.cursor : null);
      return;
    }
    if (key === "pin" || key === "intervene") {
      if (key === "pin") this.togglePin();
      else void this.intervene("clamp", 0);
      return;
    }
    const from = this.cursor ?? this.selectedNode ?? paint.layout.rowNodes[paint.layout.rows - 1]?.[0] ?? paint.display.nodes[0];
    if (from === undefined) return;
    const next = this.cursor === null && this.selectedNode === null ? from : moveCursor(key as "up", from, paint.display, paint.layout, (node) => shownRow(g, paint.display, node));
    if (next === null) return;
    this.cursor = next;
    const names = this.names;
    if (names) this.selection.textContent = `cursor: ${nodeTip(names, next).text.split("\n").slice(0, 3).join(", ")} (Enter selects)`;
    this.root.dataset.cursor = names ? nodeId(names, next) : "";
    this.invalidate(OVERLAY);
  }

  private select(node: number | null): void {
    const names = this.names;
    this.commit({ selected: node === null || !names ? "" : nodeId(names, node) });
  }

  private membersOf(node: number): number[] {
    const g = this.graph as GraphData;
    return node < g.n ? [node] : (this.paint?.display.supernodes[node - g.n]?.members ?? []);
  }

  private togglePin(): void {
    const id = this.model.get("selected") ?? "";
    if (!id || !this.indexOf.has(id)) return;
    const pinned = this.model.get("pinned") ?? [];
    this.commit({ pinned: pinned.includes(id) ? pinned.filter((p) => p !== id) : [...pinned, id] });
  }

  private groupPinned(): void {
    const pinned = this.model.get("pinned") ?? [];
    const supernodes = { ...(this.model.get("supernodes") ?? {}) };
    const name = this.groupName.value.trim() || `group ${Object.keys(supernodes).length + 1}`;
    if (!pinned.length || this.indexOf.has(name)) return;
    for (const [other, members] of Object.entries(supernodes)) {
      const rest = members.filter((m) => !pinned.includes(m));
      if (rest.length) supernodes[other] = rest;
      else delete supernodes[other];
    }
    supernodes[name] = [...pinned];
    this.groupName.value = "";
    this.commit({ supernodes, pinned: [], selected: name });
  }

  private ungroup(): void {
    const name = this.model.get("selected") ?? "";
    const supernodes = { ...(this.model.get("supernodes") ?? {}) };
    if (!(name in supernodes)) return;
    delete supernodes[name];
    this.commit({ supernodes, selected: "" });
  }

  private async intervene(mode: "clamp" | "scale", value: number): Promise<void> {
    const selected = this.model.get("selected") ?? "";
    const note = this.model.get("intervention_note") ?? "";
    this.root.dataset.intervention = "running";
    this.root.dataset.intervention = await runIntervention(this.requests, this.result, { selected, note, mode, value });
  }

  private savePng(): Promise<void> {
    const title = this.model.get("title") || "Attribution graph";
    const spec = { title, colors: this.colors(this.root), thumbs: [], main: this.canvas, overlay: this.overlay };
    const figure = composeFigure({ ...spec, rowLabels: [], colLabels: [], cell: 12 }, this.root.ownerDocument);
    return downloadCanvas(figure, safeFilename(title));
  }
}
