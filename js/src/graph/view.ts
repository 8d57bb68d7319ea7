/**
 * GraphView: an attribution graph on a canvas — layers bottom to top, positions left to
 * right — pruned in the page, with hover, selection, keys, pins, supernodes, the selected
 * feature's statistics and interventions in a live kernel.
 *
 * Bundle `graph.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 */

import type { AnyModel } from "@anywidget/types";
import { decode, decodeArray, type ArrayHeader } from "../lib/binary";
import { Controller } from "../lib/controller";
import { make } from "../lib/dom";
import { buildFrame, frameLine } from "../lib/frame";
import { fromFormControl } from "../lib/keyboard";
import { readFeature, type FeatureData } from "../feature/layout";
import { composeFigure, downloadCanvas, safeFilename } from "../lib/png";
import { reasonOf } from "../lib/requests";
import { markInvisible, renderToken } from "../lib/tokens";
import { Tooltip } from "../lib/tooltip";
import { FeatureCard } from "./card";
import { readGraph, type GraphData } from "./data";
import { buildDisplay, readSupernodes, type Display } from "./display";
import { DRAWN_EDGES, nodeAt, paintGraph, paintOverlay, type Paint } from "./draw";
import { GRAPH_KEY_HELP, graphKey, moveCursor } from "./keys";
import { nodeId, nodeLabel, nodeTip, type Names } from "./labels";
import { layout, shownRow } from "./layout";
import { FEATURE, type EdgesTrait, type Model, type NodesTrait } from "./model";
import { prune, type Pruned } from "./prune";
import { GRAPH_CSS } from "./styles";

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
  private readonly sliders: { node: HTMLInputElement; edge: HTMLInputElement; nodeOut: HTMLOutputElement; edgeOut: HTMLOutputElement };
  private readonly buttons: { pin: HTMLButtonElement; group: HTMLButtonElement; ungroup: HTMLButtonElement; ablate: HTMLButtonElement; double: HTMLButtonElement };
  private readonly groupName: HTMLInputElement;
  private readonly loader = this.sliceLoader<FeatureData>(CARD);
  private graph: GraphData | null = null;
  private indexOf = new Map<string, number>();
  private pruned: Pruned | null = null;
  /** The thresholds `pruned` was computed for. */
  private prunedAt = "";
  private paint: Paint | null = null;
  private hovered: number | null = null;
  private cursor: number | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    super(model);
    const doc = el.ownerDocument;
    const frame = buildFrame(doc, { className: "mi-graph-view", css: GRAPH_CSS, help: GRAPH_KEY_HELP, onSave: () => void this.savePng() });
    this.root = frame.root;
    this.title = frame.title;
    this.selection = frameLine(frame, "mi-selection", true);
    const controls = make(doc, "div", "mi-graph-controls");
    frame.help.before(controls);
    const slider = (label: string, name: string) => {
      const box = make(doc, "label", "", controls);
      box.append(label);
      const input = make(doc, "input", `mi-${name}-threshold`, box);
      input.type = "range";
      input.min = "0";
      input.max = "1";
      input.step = "0.01";
      input.setAttribute("aria-label", `${label} (cumulative influence kept)`);
      const out = make(doc, "output", "", box);
      return [input, out] as const;
    };
    const [node, nodeOut] = slider("node threshold", "node");
    const [edge, edgeOut] = slider("edge threshold", "edge");
    this.sliders = { node, edge, nodeOut, edgeOut };
    const button = (text: string, cls: string, title: string) => {
      const b = make(doc, "button", cls, controls);
      b.type = "button";
      b.textContent = text;
      b.title = title;
      return b;
    };
    const pin = button("Pin", "mi-pin", "Pin or unpin the selected node (p)");
    this.groupName = make(doc, "input", "mi-group-name", controls);
    this.groupName.placeholder = "supernode name";
    this.groupName.setAttribute("aria-label", "Name of a new supernode made of the pinned nodes");
    const group = button("Group pinned", "mi-group", "Make the pinned nodes one supernode with this name");
    const ungroup = button("Ungroup", "mi-ungroup", "Split the selected supernode into its members");
    const ablate = button("Ablate", "mi-ablate", "Clamp the selected feature (or supernode) to 0 in the real model (i)");
    const double = button("×2", "mi-double", "Scale the selected feature (or supernode) by 2 in the real model");
    this.buttons = { pin, group, ungroup, ablate, double };
    const stack = make(doc, "div", "mi-graph-stack", this.root);
    this.canvas = make(doc, "canvas", "mi-graph-canvas", stack);
    this.canvas.setAttribute("role", "img");
    this.overlay = make(doc, "canvas", "mi-graph-overlay", stack);
    this.axis = make(doc, "div", "mi-graph-axis", stack);
    this.list = make(doc, "ol", "mi-graph-nodes", this.root);
    this.list.setAttribute("aria-label", "Shown nodes, most influential first");
    const side = make(doc, "div", "mi-graph-side", this.root);
    this.card = new FeatureCard(doc, side);
    this.result = make(doc, "div", "mi-graph-result", side);
    this.result.hidden = true;
    this.result.setAttribute("aria-live", "polite");
    this.tooltip = new Tooltip(this.root);
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
    this.paint = { g, display, layout: placed, colors: this.colors(this.root), dark: this.dark, pinned, logitTokens: this.model.get("logit_tokens") ?? [] };
    if (this.cursor !== null && !placed.x.has(this.cursor)) this.cursor = null;
    if (this.hovered !== null && !placed.x.has(this.hovered)) this.hovered = null;
    this.renderAxis(tokens, placed.columnWidth);
    this.renderList(display);
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
    this.canvas.setAttribute("aria-label", `Attribution graph: ${display.nodes.length} nodes and ${display.weight.length} edges shown (list below)`);
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
    const drawn = edges > DRAWN_EDGES ? ` (the ${DRAWN_EDGES.toLocaleString("en")} strongest drawn; hover any node for all of its)` : "";
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
      if (fromFormControl(event)) return;
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
    const doc = this.root.ownerDocument;
    this.result.hidden = false;
    if (note || !selected) {
      this.result.textContent = note || "Select a feature or a supernode first.";
      return;
    }
    this.result.textContent = `running the model with ${selected} ${mode === "clamp" ? `clamped to ${value}` : `× ${value}`}…`;
    this.root.dataset.intervention = "running";
    try {
      const { message, buffers } = await this.requests.request("intervene", { nodes: [selected], mode, value });
      if (typeof message.error === "string") throw new Error(message.error);
      const probabilities = decodeArray(message.array as ArrayHeader, buffers[0]).data as Float32Array;
      const oldTokens = message.old_tokens as string[];
      const newTokens = message.new_tokens as string[];
      const k = oldTokens.length;
      const table = make(doc, "table", "");
      const head = make(doc, "tr", "", table);
      for (const text of ["before", "p", "→ after", "after", "p"]) make(doc, "th", "", head).textContent = text;
      for (let i = 0; i < k; i++) {
        const row = make(doc, "tr", "", table);
        renderToken(make(doc, "td", "", row), oldTokens[i]);
        make(doc, "td", "", row).textContent = probabilities[i].toFixed(3);
        make(doc, "td", "", row).textContent = probabilities[k + i].toFixed(3);
        renderToken(make(doc, "td", "", row), newTokens[i] ?? "");
        make(doc, "td", "", row).textContent = (probabilities[2 * k + i] ?? 0).toFixed(3);
      }
      const title = make(doc, "div", "mi-box-title");
      title.textContent = `Intervention: ${(message.changes as string[]).join("; ")}`;
      this.result.replaceChildren(title, table);
      this.root.dataset.intervention = "done";
    } catch (error) {
      this.result.textContent = `The intervention failed: ${reasonOf(error)}`;
      this.result.classList.add("mi-graph-error");
      this.root.dataset.intervention = "error";
    }
  }

  private savePng(): Promise<void> {
    const title = this.model.get("title") || "Attribution graph";
    const spec = { title, colors: this.colors(this.root), thumbs: [], main: this.canvas, overlay: this.overlay };
    const figure = composeFigure({ ...spec, rowLabels: [], colLabels: [], cell: 12 }, this.root.ownerDocument);
    return downloadCanvas(figure, safeFilename(title));
  }
}
