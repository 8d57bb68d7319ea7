/**
 * NeuronView: the tokens of a text coloured by one MLP neuron, a neuron picker, the top
 * neurons at a token, and the neuron's top corpus examples.
 *
 * Bundle `neuron.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The neuron view controller: keeps the page in step with the model and the user.
 *
 * Trait changes are collected as dirty flags and applied once per microtask.
 */

import type { AnyModel } from "@anywidget/types";
import { decode, type Decoded, type EncodedArray } from "../lib/binary";
import { Controller } from "../lib/controller";
import { divergingLut, formatValue, scaleFor } from "../lib/diverging";
import { clampIndex } from "../lib/clamp";
import { setLayerOptions } from "../lib/dom";
import { ExamplesPanel, exampleRows, rowsPeak, type ExampleRow } from "../lib/examples";
import type { KeyAction } from "../lib/keyboard";
import { showLayerState } from "../lib/layer_state";
import type { Loaded } from "../lib/loader";
import { TextPanel } from "../lib/spans";
import { themeColors } from "../lib/theme";
import { visibleToken } from "../lib/tokens";
import { paintBar, paintLegend } from "./bar";
import { column, mostActiveNeuron, neuronMaxima, peakAbs } from "./data";
import { buildDom, type NeuronDom } from "./dom";
import { bindNeuronEvents, type NeuronActions } from "./events";
import { examplesTitle } from "./examples";
import { saveNeuronPng } from "./figure";
import { neuronKeyChange } from "./keys";
import { fillNeuronList, fillTopAt, markCurrent, tokenTooltip } from "./lists";
import { exampleIdsKey, examplesKey, layerKey, type Model } from "./model";

const META = 1;
const TOKENS = 2;
const LAYER = 4;
const NEURON = 8;
const SELECTION = 16;
const HOVER = 32;
const EXAMPLES = 64;
const ALL = META | TOKENS | LAYER | NEURON | SELECTION | EXAMPLES;

export class NeuronController extends Controller<Model> implements NeuronActions {
  readonly dom: NeuronDom;
  private readonly layerLoader = this.sliceLoader<Decoded>(LAYER | NEURON | SELECTION);
  private readonly exampleLoader = this.sliceLoader<ExampleRow[]>(NEURON | EXAMPLES);
  private readonly text: TextPanel;
  private readonly examples: ExamplesPanel;
  private data: Decoded | null = null;
  private values = new Float64Array(0);
  private scale = 1;
  private hover: number | null = null;
  /** The last token hovered: the "at token" panel keeps it so its neurons can be clicked. */
  private lastHover: number | null = null;
  private stats: { decoded: Decoded | null; source: unknown } = { decoded: null, source: undefined };
  private listFor: Decoded | null = null;
  private legendDark: boolean | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    super(model);
    this.dom = buildDom(el.ownerDocument, () => void this.savePng());
    this.text = new TextPanel(this.dom.text);
    this.examples = new ExamplesPanel(this.dom.examples);
    this.mount(el, this.dom.root);
    this.listen("change:layer", META | LAYER | NEURON | SELECTION | EXAMPLES);
    this.listen("change:neuron", META | NEURON | SELECTION | EXAMPLES);
    this.listen("change:token", SELECTION);
    this.listen("change:tokens", ALL);
    this.listen("change:layers", META | LAYER | NEURON | EXAMPLES);
    this.listen("change:n_neurons", META | NEURON);
    this.listen("change:title", META);
    this.listen("change:examples_info", NEURON | EXAMPLES);
    this.listen("change:example_tokens", NEURON | EXAMPLES);
    this.listen("change:_example_stats", NEURON | EXAMPLES);
    this.followTheme(this.dom.root, LAYER | NEURON | EXAMPLES | SELECTION);
    bindNeuronEvents(this.dom, this.on, this);
    this.onKeys(this.dom.root, (action) => this.onKey(action));
    this.invalidate(ALL);
  }

  private get tokens(): string[] {
    return this.model.get("tokens") ?? [];
  }

  private get layer(): number {
    return this.model.get("layer") ?? 0;
  }

  private get neuron(): number {
    return clampIndex(this.model.get("neuron") ?? 0, this.model.get("n_neurons") ?? 1);
  }

  private get token(): number | null {
    return this.model.get("token") ?? null;
  }

  // ---- painting -------------------------------------------------------------------------

  protected render(flags: number): void {
    const root = this.dom.root;
    if (flags & META) this.renderMeta();
    if (flags & TOKENS) this.text.build(this.tokens);
    const rows = flags & (NEURON | EXAMPLES) ? this.renderExamples() : this.examples.rows;
    const data = this.ensureData();
    if (data && flags & (LAYER | NEURON | TOKENS)) this.paintNeuron(data, rows);
    else if (!data && flags & (NEURON | EXAMPLES)) this.examples.paint(scaleFor(rowsPeak(rows)), this.dark);
    if (data) this.renderList(data, (flags & LAYER) !== 0);
    this.renderSelection();
    if (data) {
      root.dataset.state = "ready";
      root.dataset.ready = "true";
    }
  }

  private renderMeta(): void {
    const { title, layerSelect, neuronInput, root } = this.dom;
    const name = this.model.get("title") || "MLP neurons";
    title.textContent = name;
    root.setAttribute("aria-label", name);
    setLayerOptions(layerSelect, this.model.get("layers") ?? [], this.layer);
    neuronInput.max = String(Math.max(0, (this.model.get("n_neurons") ?? 1) - 1));
    neuronInput.value = String(this.neuron);
  }

  /** The current layer's activations, or null while loading / when missing (the page says so). */
  private ensureData(): Decoded | null {
    const layer = this.layer;
    const state = this.layerLoader.load([layerKey(layer)], ([d]) => d, true);
    const { root, status, missing, body } = this.dom;
    this.data = showLayerState({ root, status, missing, anchor: body, panels: [body] }, layer, state);
    return this.data;
  }

  /** Density and top corpus activation of (layer, neuron) from `_example_stats`. */
  private exampleStats(layer: number, neuron: number): { density: number; top: number } | null {
    const source = this.model.get("_example_stats") as EncodedArray | Record<string, never> | undefined;
    if (source !== this.stats.source) {
      this.stats = { source, decoded: source && "data" in source ? decode(source as EncodedArray) : null };
    }
    const stats = this.stats.decoded;
    const index = (this.model.get("examples_info")?.layers ?? []).indexOf(layer);
    if (!stats || index < 0) return null;
    const m = stats.shape[2];
    return { density: stats.data[(index * 2) * m + neuron], top: stats.data[(index * 2 + 1) * m + neuron] };
  }

  /** Load and show the examples of the current neuron; returns the rows shown. */
  private renderExamples(): ExampleRow[] {
    const info = this.model.get("examples_info") ?? {};
    const root = this.dom.root;
    if (!info.layers) {
      this.examples.hide();
      root.dataset.examples = "none";
      return [];
    }
    const layer = this.layer;
    const neuron = this.neuron;
    const stats = this.exampleStats(layer, neuron);
    const title = examplesTitle(layer, neuron, info, stats?.density ?? null);
    if (!info.layers.includes(layer)) {
      const ran = info.layers.join(", ");
      this.examples.message(title, `No corpus examples for layer ${layer}: top_activations ran on layer ${ran}`, "other-layer");
      root.dataset.examples = "other-layer";
      return [];
    }
    const vocab = this.model.get("example_tokens") ?? [];
    const state: Loaded<ExampleRow[]> = this.exampleLoader.load(
      [examplesKey(layer, neuron), exampleIdsKey(layer, neuron)],
      ([values, ids]) => exampleRows({ values, ids }, vocab),
    );
    this.examples.show(title, `neuron ${neuron} (layer ${layer})`, state);
    root.dataset.examples = state.kind;
    root.dataset.examplesFor = `${layer},${neuron}`;
    return state.kind === "ready" ? state.data : [];
  }

  private paintNeuron(data: Decoded, rows: ExampleRow[]): void {
    const neuron = this.neuron;
    const layer = this.layer;
    if (this.values.length !== data.shape[0]) this.values = new Float64Array(data.shape[0]);
    column(data, neuron, this.values);
    const stats = this.exampleStats(layer, neuron);
    const peak = Math.max(peakAbs(this.values), Math.abs(stats?.top ?? 0), rowsPeak(rows));
    this.scale = scaleFor(peak);
    const lut = divergingLut(this.dark);
    this.text.paint(this.values, this.scale, this.dark);
    paintBar(this.dom.bar, this.values, this.scale, lut);
    if (this.legendDark !== this.dark) {
      paintLegend(this.dom.legendBar, lut);
      this.legendDark = this.dark;
    }
    this.examples.paint(this.scale, this.dark);
    const [low, zero, high] = this.dom.legendTicks;
    low.textContent = formatValue(-this.scale);
    zero.textContent = "0";
    high.textContent = formatValue(this.scale);
    this.dom.legendCaption.textContent = `layer ${layer}, neuron ${neuron}`;
    const max = neuronMaxima(data)[neuron];
    const most = mostActiveNeuron(data) === neuron ? " · the most active neuron on this text" : "";
    this.dom.subtitle.textContent = `max ${formatValue(max)} on this text${most} · ${this.values.length} tokens × ${data.shape[1]} neurons`;
    const root = this.dom.root;
    root.dataset.scale = String(this.scale);
    root.dataset.paintedLayer = String(layer);
    root.dataset.paintedNeuron = String(neuron);
  }

  /** The neuron list, sorted by max activation on the text (built when it is open). */
  private renderList(data: Decoded, layerChanged: boolean): void {
    const { browser, neuronList } = this.dom;
    if (!browser.open) return;
    if (layerChanged || this.listFor !== data) {
      fillNeuronList(neuronList, data);
      this.listFor = data;
    }
    markCurrent(neuronList, ".mi-neuron-item", this.neuron);
  }

  /** Marks on the text, and the "at token" panel for the hovered, else selected, else last hovered token. */
  private renderSelection(): void {
    const token = this.token;
    this.text.mark(this.hover, token);
    const shown = this.hover ?? token ?? this.lastHover;
    const { atTitle, atList, root } = this.dom;
    const data = this.data;
    root.dataset.token = token === null ? "" : String(token);
    if (shown === null || !data || shown >= data.shape[0]) {
      atTitle.textContent = "Hover or click a token to see the neurons most active there";
      atList.replaceChildren();
      delete atList.dataset.token;
      return;
    }
    const display = visibleToken(this.tokens[shown] ?? "").text;
    atTitle.textContent = `At token ${shown} "${display}"`;
    fillTopAt(atList, data, shown, this.layer, this.neuron);
  }

  // ---- interaction (NeuronActions) ------------------------------------------------------

  hoverToken(t: number | null, x: number, y: number): void {
    if (t !== this.hover) {
      this.hover = t;
      if (t !== null) this.lastHover = t;
      this.invalidate(HOVER);
    }
    const data = this.data;
    if (t === null || !data || t >= data.shape[0]) {
      if (t === null) this.dom.tooltip.hide();
      return;
    }
    const tip = tokenTooltip(data, this.tokens, t, this.layer, this.neuron);
    this.dom.tooltip.show(tip.text, x, y, tip.data);
  }

  clickToken(t: number): void {
    this.commit({ token: this.token === t ? null : t });
  }

  pickNeuron(neuron: number): void {
    this.commit({ neuron });
  }

  typedNeuron(text: string): void {
    const value = Number(text);
    const n = this.model.get("n_neurons") ?? 1;
    if (Number.isInteger(value) && value >= 0 && value < n) this.commit({ neuron: value });
    else this.dom.neuronInput.value = String(this.neuron);
  }

  pickLayer(layer: number): void {
    this.commit({ layer });
  }

  toggledList(): void {
    this.invalidate(LAYER);
  }

  tokenCount(): number {
    return this.values.length;
  }

  private onKey(action: KeyAction): boolean {
    const change = neuronKeyChange(action, {
      layer: this.layer,
      layers: this.model.get("layers") ?? [],
      neuron: this.neuron,
      nNeurons: this.model.get("n_neurons") ?? 1,
      token: this.token,
      hover: this.hover,
      nTokens: this.tokens.length,
    });
    if (change) this.commit(change);
    return true;
  }

  private savePng(): Promise<void> {
    if (!this.data) return Promise.resolve();
    return saveNeuronPng({
      title: this.model.get("title") || "MLP neurons",
      layer: this.layer,
      neuron: this.neuron,
      tokens: this.tokens,
      values: this.values,
      scale: this.scale,
      dark: this.dark,
      legend: this.dom.legendBar,
      bar: this.dom.bar,
      examples: this.examples.rows,
      colors: themeColors(this.dom.root, this.dark),
    });
  }
}
