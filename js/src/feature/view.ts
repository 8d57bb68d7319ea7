/**
 * FeatureDashboard: every feature of a sparse autoencoder in a virtualised list, and the
 * selected feature's top examples, interval examples, activation histogram, logit effects,
 * nearest features and "try your own text".
 *
 * Bundle `feature.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The feature dashboard controller: keeps the list and the panels in step with the model and
 * the user. Trait changes are collected as dirty flags and applied once per microtask.
 */

import type { AnyModel } from "@anywidget/types";
import { Controller } from "../lib/controller";
import { formatValue, scaleFor } from "../lib/diverging";
import { clampIndex } from "../lib/clamp";
import { showBanner } from "../lib/dom";
import { ExamplesPanel } from "../lib/examples";
import { fromFormControl } from "../lib/keyboard";
import { notEmbedded, type Loaded } from "../lib/loader";
import { themeColors } from "../lib/theme";
import { tokenTitle } from "../lib/tokens";
import { buildDom, type FeatureDom } from "./dom";
import { bindFeatureEvents, type FeatureActions } from "./events";
import { saveFeaturePng } from "./figure";
import { formatCount, formatDensity } from "./format";
import { barAt, histogramGeometry, paintHistogram, type HistogramGeometry } from "./histogram";
import { IntervalsPanel } from "./intervals";
import { listKey, navigate } from "./keys";
import { readFeature, type FeatureData } from "./layout";
import { FeatureList } from "./list";
import { featureIdsKey, featureKey, SORTS, type Model, type Sort, type SummaryTrait } from "./model";
import { listOrder } from "./order";
import { fillLogits, fillNearest, statsLine } from "./panels";
import { TextProbe } from "./probe";
import { ProbePanel } from "./probe_panel";
import { readSummary, topToken, type Summary } from "./summary";
import { histogramTip, probeTip, rowTip } from "./tooltips";

const META = 1;
const SUMMARY = 2;
/** The list's filter or order changed. */
const ORDER = 4;
/** The selected feature changed: the list cursor goes to it. */
const SELECT = 8;
/** The selected feature's panels (and its slices when they arrive). */
const FEATURE = 16;
/** Colours only (theme, hovered histogram bin). */
const PAINT = 32;
const PROBE = 64;
const CONTROLS = 128;
const ALL = META | SUMMARY | ORDER | SELECT | FEATURE | PAINT | PROBE | CONTROLS;

export class FeatureController extends Controller<Model> implements FeatureActions {
  readonly dom: FeatureDom;
  private readonly loader = this.sliceLoader<FeatureData>(FEATURE);
  private readonly list: FeatureList;
  private readonly examples: ExamplesPanel;
  private readonly intervals: IntervalsPanel;
  private readonly probe: TextProbe;
  private readonly probePanel: ProbePanel;
  private summary: Summary | null = null;
  private data: FeatureData | null = null;
  private scale = 1;
  private geometry: HistogramGeometry | null = null;
  private hoveredBin: number | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    super(model);
    this.dom = buildDom(el.ownerDocument, () => void this.savePng());
    this.examples = new ExamplesPanel(this.dom.examples, "mi-box-title");
    this.intervals = new IntervalsPanel(this.dom.intervals, this.dom.main);
    this.list = new FeatureList(this.dom.list);
    this.probePanel = new ProbePanel(this.dom);
    this.mount(el, this.dom.root);
    this.probe = new TextProbe(this.requests, () => this.invalidate(PROBE));
    this.listen("change:feature", FEATURE | SELECT | PROBE);
    for (const name of ["sort", "descending", "query", "hide_dead"] as const) this.listen(`change:${name}`, ORDER | CONTROLS);
    for (const name of ["_summary", "vocab", "n_features", "info"] as const) this.listen(`change:${name}`, ALL);
    this.listen("change:title", META);
    this.listen("change:text_note", PROBE);
    this.listen("change:embedded", ORDER);
    this.followTheme(this.dom.root, PAINT | PROBE);
    bindFeatureEvents(this.dom, this.on, this);
    this.on(this.dom.root, "keydown", (event) => this.onKey(event));
    this.invalidate(ALL);
  }

  dispose(): void {
    this.probe.dispose();
    super.dispose();
    this.intervals.dispose();
  }

  private get feature(): number {
    return clampIndex(this.model.get("feature") ?? 0, this.model.get("n_features") ?? 1);
  }

  private get vocab(): string[] {
    return this.model.get("vocab") ?? [];
  }

  // ---- painting -------------------------------------------------------------------------

  protected render(flags: number): void {
    const root = this.dom.root;
    if (flags & META) this.renderMeta();
    if (flags & SUMMARY) this.readSummary();
    const summary = this.summary;
    if (!summary) {
      root.dataset.ready = "true";
      return;
    }
    if (flags & CONTROLS) this.renderControls();
    if (flags & ORDER) this.renderOrder(summary);
    // the list reads the layout: before the panels change it, so it is not computed twice
    if (flags & (ORDER | SELECT)) {
      this.list.setSelected(this.feature);
      this.list.cursor = this.list.positionOf(this.feature);
      this.list.reveal(this.list.cursor, true);
      this.list.render();
    }
    if (flags & FEATURE) {
      this.probe.follow(this.feature);
      this.renderFeature(summary);
    } else if (flags & PAINT) this.paintPanels();
    if (flags & (PROBE | FEATURE)) {
      const note = this.model.get("text_note") ?? "";
      this.probePanel.render(this.probe.state, note, (f) => summary.max[f] ?? 0, this.dark);
    }
    root.dataset.feature = String(this.feature);
    root.dataset.ready = "true";
  }

  private renderMeta(): void {
    const info = this.model.get("info");
    const title = this.model.get("title") || "SAE features";
    this.dom.title.textContent = title;
    this.dom.root.setAttribute("aria-label", title);
    const n = formatCount(this.model.get("n_features") ?? 0);
    const scanned = info?.source || (info ? `${formatCount(info.n_tokens)} tokens in ${formatCount(info.n_docs)} documents` : "");
    this.dom.subtitle.textContent = scanned ? `${n} features · ${scanned}` : `${n} features`;
  }

  /** Decode `_summary`; a summary that cannot be read hides the view behind a message. */
  private readSummary(): void {
    const { error, body, root } = this.dom;
    const trait = this.model.get("_summary");
    try {
      if (!trait || !("stats" in trait)) throw new Error("the widget sent no feature summary");
      this.summary = readSummary(trait as SummaryTrait, this.model.get("n_features") ?? 0);
      showBanner(error, body, null);
      body.hidden = false;
      root.dataset.state = "ready";
    } catch (reason) {
      this.summary = null;
      showBanner(error, body, `The features cannot be shown: ${reason instanceof Error ? reason.message : String(reason)}`);
      body.hidden = true;
      root.dataset.state = "error";
    }
  }

  private renderControls(): void {
    const { search, sort, hideDead } = this.dom;
    const query = this.model.get("query") ?? "";
    if (search.value !== query) search.value = query;
    sort.value = `${this.model.get("sort") ?? "index"}:${this.model.get("descending") ? "desc" : "asc"}`;
    hideDead.checked = this.model.get("hide_dead") ?? true;
  }

  private renderOrder(summary: Summary): void {
    const options = {
      sort: this.model.get("sort") ?? "index",
      descending: this.model.get("descending") ?? false,
      query: this.model.get("query") ?? "",
      hideDead: this.model.get("hide_dead") ?? true,
    };
    const order = listOrder(summary, this.vocab, options);
    const embedded = this.model.get("embedded") ?? [];
    this.list.setData(summary, this.vocab, order, embedded.length ? new Set(embedded) : null);
    this.list.viewport.scrollTop = 0;
    let dead = 0;
    for (let f = 0; f < summary.n; f++) if (!(summary.density[f] > 0)) dead++;
    const parts = [`${formatCount(order.length)} of ${formatCount(summary.n)} features listed`];
    if (options.hideDead && dead) parts.push(`${formatCount(dead)} dead hidden`);
    if (embedded.length && embedded.length < summary.n) {
      parts.push(`${formatCount(embedded.length)} embedded in this report (others dimmed)`);
    }
    this.dom.count.textContent = parts.join(" · ");
    const root = this.dom.root;
    root.dataset.listed = String(order.length);
    root.dataset.sort = `${options.sort}:${options.descending ? "desc" : "asc"}`;
  }

  private renderFeature(summary: Summary): void {
    const f = this.feature;
    const info = this.model.get("info");
    const { root, featureTitle, featureStats, missing, panels } = this.dom;
    const top = topToken(summary, f);
    featureTitle.textContent = `Feature ${f}`;
    featureTitle.title = top >= 0 ? `top token ${tokenTitle(this.vocab[top] ?? "")}` : "";
    const vocab = this.vocab;
    const n = this.model.get("n_features") ?? 0;
    const state: Loaded<FeatureData> = this.loader.load(
      [featureKey(f), featureIdsKey(f)],
      (parts) => readFeature(f, parts, info, vocab, n),
      true,
    );
    root.dataset.panels = state.kind;
    root.classList.toggle("mi-loading", state.kind === "loading");
    featureStats.textContent = statsLine(summary, f, info, state.kind === "ready" ? state.data.mean : null);
    if (state.kind === "loading") return;
    if (state.kind === "missing") {
      this.data = null;
      missing.hidden = false;
      missing.textContent = notEmbedded(state.reason)
        ? `Feature ${f} is not embedded in this report: its numbers in the list are, its examples, histogram, logit effects and neighbours are not. Export it with FeatureDashboard(stats, embed=[..., ${f}]).`
        : `Feature ${f} cannot be shown: ${state.reason}`;
      panels.hidden = true;
      root.dataset.paintedFeature = String(f);
      return;
    }
    const data = state.data;
    missing.hidden = true;
    panels.hidden = false;
    if (data !== this.data) this.buildPanels(summary, data, info.k);
    this.scale = scaleFor(Math.max(summary.max[f], data.peak));
    this.paintPanels();
    root.dataset.scale = String(this.scale);
    root.dataset.paintedFeature = String(f);
  }

  private buildPanels(summary: Summary, data: FeatureData, k: number): void {
    this.data = data;
    const f = data.feature;
    const dead = !(summary.density[f] > 0);
    const shown = data.top.length < k ? ` (${data.top.length} found)` : "";
    const title = `Top ${k} examples${shown}`;
    this.examples.show(title, `feature ${f}`, { kind: "ready", data: data.top }, dead ? "none: this feature never fired" : "no examples");
    this.intervals.set(data.intervals);
    fillLogits(this.dom.logits, data.raised, data.lowered);
    fillNearest(this.dom.nearest, data.nearest, summary, this.vocab);
    const { histogram, histogramAxis, histogramNote } = this.dom;
    this.geometry = histogramGeometry(data.counts, summary.edges, histogram.width, histogram.height);
    this.hoveredBin = null;
    const bars = this.geometry.bars;
    histogramAxis[0].textContent = bars.length ? formatValue(bars[0].low) : "";
    histogramAxis[1].textContent = bars.length ? formatValue(bars[bars.length - 1].high) : "";
    histogramNote.textContent = bars.length
      ? `${formatCount(data.firing)} non-zero activations · density ${formatDensity(summary.density[f])}`
      : "no non-zero activations";
  }

  /** Colours only: examples, intervals and the histogram on the current scale and theme. */
  private paintPanels(): void {
    if (!this.data) return;
    this.examples.paint(this.scale, this.dark);
    this.intervals.paint(this.scale, this.dark);
    if (this.geometry) paintHistogram(this.dom.histogram, this.geometry, this.dark, this.hoveredBin, this.colors(this.dom.root).accent);
  }

  // ---- interaction (FeatureActions) ----------------------------------------------------

  pick(f: number): void {
    const n = this.model.get("n_features") ?? 0;
    if (Number.isInteger(f) && f >= 0 && f < n) this.commit({ feature: f });
  }

  scrolledList(): void {
    this.list.render();
  }

  clickedRow(position: number, f: number): void {
    this.list.cursor = position;
    this.pick(f);
  }

  searched(query: string): void {
    this.commit({ query });
  }

  sorted(value: string): void {
    const [by, direction] = value.split(":");
    if (SORTS.includes(by as Sort)) this.commit({ sort: by as Sort, descending: direction === "desc" });
  }

  hidDead(hide: boolean): void {
    this.commit({ hide_dead: hide });
  }

  runProbe(): void {
    this.probe.run(this.dom.probeInput.value, this.feature);
  }

  showRowTip(f: number, x: number, y: number): void {
    if (!this.summary) return;
    const tip = rowTip(this.summary, f, this.model.get("info"), this.vocab);
    this.dom.tooltip.show(tip.text, x, y, tip.data);
  }

  showProbeTip(t: number, x: number, y: number): void {
    const tip = probeTip(this.probe.state, t);
    if (tip) this.dom.tooltip.show(tip.text, x, y, tip.data);
  }

  hoverHistogram(at: { x: number; y: number } | null): void {
    const { geometry } = this;
    const { histogram, tooltip } = this.dom;
    if (!at) {
      tooltip.hide();
      this.setHoveredBin(null);
      return;
    }
    if (!geometry) return;
    const box = histogram.getBoundingClientRect();
    const bar = barAt(geometry, ((at.x - box.left) / Math.max(1, box.width)) * geometry.width);
    this.setHoveredBin(bar ? bar.bin : null);
    if (!bar) {
      tooltip.hide();
      return;
    }
    const tip = histogramTip(bar);
    tooltip.show(tip.text, at.x, at.y, tip.data);
  }

  private setHoveredBin(bin: number | null): void {
    if (bin === this.hoveredBin) return;
    this.hoveredBin = bin;
    this.invalidate(PAINT);
  }

  private onKey(event: KeyboardEvent): void {
    const { search, root } = this.dom;
    const inSearch = event.target === search;
    if (!inSearch && fromFormControl(event)) return;
    const action = listKey(event, inSearch);
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    if (action.kind === "search") {
      search.focus();
      search.select();
    } else if (action.kind === "escape") {
      if (inSearch && search.value) {
        search.value = "";
        this.commit({ query: "" });
      } else root.focus();
    } else {
      const f = navigate(action, this.list, this.feature);
      if (f !== null) this.pick(f);
    }
    this.list.render();
  }

  private savePng(): Promise<void> {
    const summary = this.summary;
    const data = this.data;
    if (!summary || !data || data.feature !== this.feature) return Promise.resolve();
    const info = this.model.get("info");
    const { histogramAxis } = this.dom;
    return saveFeaturePng({
      title: this.model.get("title") || "SAE features",
      stats: statsLine(summary, data.feature, info, data.mean),
      data,
      histogram: this.dom.histogram,
      axis: [histogramAxis[0].textContent ?? "", histogramAxis[1].textContent ?? ""],
      scale: this.scale,
      dark: this.dark,
      colors: themeColors(this.dom.root, this.dark),
    });
  }
}

