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
import { fromFormControl, keyAction } from "../lib/keyboard";
import { SliceClient } from "../lib/slices";
import { applyTheme, isDark, themeColors } from "../lib/theme";
import { tokenDisplay } from "../lib/tokens";
import { paintBar, paintLegend } from "./bar";
import { divergingLut, formatValue, scaleFor } from "../lib/diverging";
import { column, neuronMaxima, neuronsByMax, peakAbs, topNeuronsAt, valueAt } from "./data";
import { make, setLayerOptions } from "../lib/dom";
import { buildDom, showMissing, type NeuronDom } from "./dom";
import { ExamplesPanel, exampleRows, rowsPeak, type ExampleRow } from "../lib/examples";
import { examplesTitle } from "./examples";
import { saveNeuronPng } from "./figure";
import { Loader, notEmbedded, type Loaded } from "../lib/loader";
import { exampleIdsKey, examplesKey, layerKey, type Model } from "./model";
import { TextPanel } from "../lib/spans";

const META = 1;
const TOKENS = 2;
const LAYER = 4;
const NEURON = 8;
const SELECTION = 16;
const HOVER = 32;
const EXAMPLES = 64;
const ALL = META | TOKENS | LAYER | NEURON | SELECTION | EXAMPLES;

/** Neurons listed at the hovered or selected token. */
const TOP_AT_TOKEN = 8;
/** Neurons named in the tooltip. */
const TOP_IN_TOOLTIP = 3;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export class NeuronController extends Controller<Model> {
  readonly dom: NeuronDom;
  private readonly client: SliceClient;
  private readonly layerLoader: Loader<Decoded>;
  private readonly exampleLoader: Loader<ExampleRow[]>;
  private readonly text: TextPanel;
  private readonly examples: ExamplesPanel;
  private dark = isDark();
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
    const { examples, examplesTitle: title, examplesStatus, examplesRows } = this.dom;
    this.examples = new ExamplesPanel(examples, title, examplesStatus, examplesRows);
    el.appendChild(this.dom.root);
    this.client = new SliceClient(model, {
      onRefresh: () => {
        this.layerLoader.reset();
        this.exampleLoader.reset();
        this.invalidate(LAYER | NEURON | EXAMPLES | SELECTION);
      },
    });
    this.layerLoader = new Loader(this.client, () => this.invalidate(LAYER | NEURON | SELECTION));
    this.exampleLoader = new Loader(this.client, () => this.invalidate(NEURON | EXAMPLES));
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
    this.followTheme(el.ownerDocument, (dark) => {
      this.dark = dark;
      this.invalidate(LAYER | NEURON | EXAMPLES | SELECTION);
    });
    this.bindEvents();
    applyTheme(this.dom.root, this.dark);
    this.invalidate(ALL);
  }

  dispose(): void {
    super.dispose();
    this.layerLoader.reset();
    this.exampleLoader.reset();
    this.client.dispose();
    this.dom.root.remove();
  }

  private get tokens(): string[] {
    return this.model.get("tokens") ?? [];
  }

  private get layer(): number {
    return this.model.get("layer") ?? 0;
  }

  private get neuron(): number {
    return clamp(this.model.get("neuron") ?? 0, 0, Math.max(0, (this.model.get("n_neurons") ?? 1) - 1));
  }

  private get token(): number | null {
    return this.model.get("token") ?? null;
  }

  // ---- painting -------------------------------------------------------------------------

  protected flush(): void {
    const flags = this.dirty;
    this.dirty = 0;
    if (this.disposed || flags === 0) return;
    const root = this.dom.root;
    applyTheme(root, this.dark);
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
    const { root, status, body } = this.dom;
    root.classList.toggle("mi-loading", state.kind === "loading");
    status.textContent = state.kind === "loading" ? `loading layer ${layer}…` : "";
    const missing =
      state.kind === "missing"
        ? notEmbedded(state.reason)
          ? `Layer ${layer} is not embedded in this report`
          : `Layer ${layer} is not available: ${state.reason}`
        : null;
    showMissing(this.dom, missing);
    body.hidden = state.kind === "missing";
    if (state.kind === "missing") {
      root.dataset.state = "missing";
      root.dataset.ready = "true";
    } else if (state.kind === "loading") {
      root.dataset.state = "loading";
    }
    this.data = state.kind === "ready" ? state.data : null;
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
    let max = -Infinity;
    for (const v of this.values) max = Math.max(max, v);
    this.dom.subtitle.textContent = `max ${formatValue(max)} on this text · ${this.values.length} tokens × ${data.shape[1]} neurons`;
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
      const doc = neuronList.ownerDocument;
      const max = neuronMaxima(data);
      const items = [...neuronsByMax(data)].map((m) => {
        const li = doc.createElement("li");
        const button = make(doc, "button", "mi-neuron-item", li);
        button.type = "button";
        button.dataset.neuron = String(m);
        make(doc, "span", "", button).textContent = `N${m}`;
        make(doc, "span", "", button).textContent = formatValue(max[m]);
        return li;
      });
      neuronList.replaceChildren(...items);
      this.listFor = data;
    }
    const neuron = String(this.neuron);
    for (const button of neuronList.querySelectorAll<HTMLElement>(".mi-neuron-item")) {
      button.classList.toggle("mi-current", button.dataset.neuron === neuron);
    }
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
    const display = tokenDisplay(this.tokens[shown] ?? "").text;
    atTitle.textContent = `At token ${shown} "${display}"`;
    if (atList.dataset.token === String(shown) && atList.dataset.layer === String(this.layer)) {
      for (const b of atList.querySelectorAll<HTMLElement>(".mi-top-neuron")) {
        b.classList.toggle("mi-current", b.dataset.neuron === String(this.neuron));
      }
      return;
    }
    const doc = atList.ownerDocument;
    const buttons = topNeuronsAt(data, shown, TOP_AT_TOKEN).map(([m, v]) => {
      const button = doc.createElement("button");
      button.type = "button";
      button.className = "mi-top-neuron";
      button.classList.toggle("mi-current", m === this.neuron);
      button.dataset.neuron = String(m);
      button.dataset.value = String(v);
      make(doc, "span", "", button).textContent = `N${m}`;
      make(doc, "span", "", button).textContent = formatValue(v);
      return button;
    });
    atList.replaceChildren(...buttons);
    atList.dataset.token = String(shown);
    atList.dataset.layer = String(this.layer);
  }

  // ---- interaction ----------------------------------------------------------------------

  private setHover(t: number | null): void {
    if (t === this.hover) return;
    this.hover = t;
    if (t !== null) this.lastHover = t;
    this.invalidate(HOVER);
  }

  private showTooltip(t: number, x: number, y: number): void {
    const data = this.data;
    if (!data || t >= data.shape[0]) return;
    const neuron = this.neuron;
    const value = valueAt(data, t, neuron);
    const top = topNeuronsAt(data, t, TOP_IN_TOOLTIP)
      .map(([m, v]) => `N${m} ${formatValue(v)}`)
      .join(", ");
    const token = tokenDisplay(this.tokens[t] ?? "").text;
    this.dom.tooltip.show(
      `token ${t}: "${token}"\nlayer ${this.layer}, neuron ${neuron}: ${formatValue(value)}\ntop here: ${top}`,
      x,
      y,
      { value: String(value), token: String(t), neuron: String(neuron) },
    );
  }

  private toggleToken(t: number): void {
    this.commit({ token: this.token === t ? null : t });
  }

  private bindEvents(): void {
    const { root, text, bar, atList, neuronList, neuronInput, layerSelect, browser, tooltip } = this.dom;
    const spanIndex = (event: Event): number | null => {
      const span = (event.target as Element | null)?.closest?.(".mi-ntok") as HTMLElement | null;
      return span?.dataset.index === undefined ? null : Number(span.dataset.index);
    };
    this.on(text, "mouseover", (event) => {
      const t = spanIndex(event);
      if (t === null) return;
      this.setHover(t);
      this.showTooltip(t, event.clientX, event.clientY);
    });
    this.on(text, "mouseleave", () => {
      this.setHover(null);
      tooltip.hide();
    });
    this.on(text, "click", (event) => {
      const t = spanIndex(event);
      if (t !== null) this.toggleToken(t);
    });
    const barToken = (event: MouseEvent): number | null => {
      const n = this.values.length;
      if (!n) return null;
      const box = bar.getBoundingClientRect();
      const t = Math.floor(((event.clientX - box.left) / Math.max(1, box.width)) * n);
      return t >= 0 && t < n ? t : null;
    };
    this.on(bar, "mousemove", (event) => {
      const t = barToken(event);
      this.setHover(t);
      if (t === null) tooltip.hide();
      else this.showTooltip(t, event.clientX, event.clientY);
    });
    this.on(bar, "mouseleave", () => {
      this.setHover(null);
      tooltip.hide();
    });
    this.on(bar, "click", (event) => {
      const t = barToken(event);
      if (t === null) return;
      this.text.spans[t]?.scrollIntoView?.({ block: "nearest" });
      this.toggleToken(t);
    });
    const pickNeuron = (event: Event) => {
      const item = (event.target as Element | null)?.closest?.("[data-neuron]") as HTMLElement | null;
      if (item?.dataset.neuron !== undefined) this.commit({ neuron: Number(item.dataset.neuron) });
    };
    this.on(atList, "click", pickNeuron);
    this.on(neuronList, "click", pickNeuron);
    this.on(neuronInput, "change", () => {
      const value = Number(neuronInput.value);
      const n = this.model.get("n_neurons") ?? 1;
      if (Number.isInteger(value) && value >= 0 && value < n) this.commit({ neuron: value });
      else neuronInput.value = String(this.neuron);
    });
    this.on(neuronInput, "keydown", (event) => {
      if (event.key === "Enter") neuronInput.dispatchEvent(new Event("change"));
    });
    this.on(layerSelect, "change", () => this.commit({ layer: Number(layerSelect.value) }));
    this.on(browser, "toggle", () => this.invalidate(LAYER));
    this.on(root, "keydown", (event) => this.onKey(event));
  }

  private onKey(event: KeyboardEvent): void {
    if (fromFormControl(event)) return;
    const action = keyAction(event);
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    switch (action.kind) {
      case "head": {
        const n = this.model.get("n_neurons") ?? 1;
        this.commit({ neuron: clamp(this.neuron + action.delta, 0, n - 1) });
        break;
      }
      case "layer": {
        const layers = this.model.get("layers") ?? [];
        const at = layers.indexOf(this.layer);
        const next = layers[clamp(at + action.delta, 0, layers.length - 1)];
        if (next !== undefined) this.commit({ layer: next });
        break;
      }
      case "query": {
        const n = this.tokens.length;
        const from = this.token ?? this.hover ?? (action.delta > 0 ? -1 : n);
        this.commit({ token: clamp(from + action.delta, 0, n - 1) });
        break;
      }
      case "unlock":
        this.commit({ token: null });
        break;
    }
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
