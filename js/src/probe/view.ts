/**
 * ProbeView: a linear probe's held-out score per layer (with its shuffled-label control) and
 * the examples of the selected layer projected on the probe direction. A switch picks the score
 * charted (AUC, accuracy or R², as the result holds them).
 *
 * Bundle `probe.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The probe view controller: the score chart, the scatter of the selected layer, the legend,
 * hover tooltips, clicks and keys, kept in step with the model.
 */

import type { AnyModel } from "@anywidget/types";
import { decode } from "../lib/binary";
import { Controller } from "../lib/controller";
import { make } from "../lib/dom";
import { buildFrame, frameCss, frameLine } from "../lib/frame";
import type { KeyAction } from "../lib/keyboard";
import { canvasPoint, classColor, formatNumber, nearestPoint, type Frame } from "../lib/plot";
import { savePanels } from "../lib/png";
import { themeColors } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import { CONTROL, CONTROL_TRAIN, HELD_OUT, layerAtPixel, paintChart, scoreAt, TRAIN, type ChartData } from "./chart";
import { chartScores, METRIC_NAMES, metricChance } from "./metric";
import type { Model } from "./model";
import { DOT, paintScatter, pointPixels, type ScatterData } from "./scatter";

const DATA = 1;
const SELECTION = 2;
const THEME = 4;
const META = 8;

export const PROBE_KEY_HELP = "click or ←/→ layer · hover a point for its example · click a point to select it · Esc clear";

const CSS = frameCss(
  "mi-probe-view",
  `.mi-probe-view .mi-selection { white-space: pre-wrap; }
.mi-probe-view .mi-probe-body { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
.mi-probe-view canvas { display: block; max-width: none; cursor: crosshair; }
.mi-probe-view .mi-probe-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 11.5px; margin-top: 6px; color: var(--mi-fg); }
.mi-probe-view .mi-probe-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; vertical-align: -1px; }
.mi-probe-view .mi-probe-key-line { display: inline-block; width: 18px; border-top: 2px solid var(--mi-accent); margin-right: 5px; vertical-align: 3px; }
.mi-probe-view .mi-probe-key-line.mi-control { border-top: 2px dashed var(--mi-muted); }
.mi-probe-view .mi-probe-key-line.mi-chance { border-top: 2px dotted var(--mi-muted); }
.mi-probe-view .mi-probe-metric { font-size: 12px; margin-bottom: 4px; color: var(--mi-fg); }
.mi-probe-view .mi-tooltip { white-space: pre-wrap; max-width: 420px; overflow-wrap: anywhere; }
`,
);

interface Dom {
  root: HTMLDivElement;
  title: HTMLSpanElement;
  selection: HTMLDivElement;
  chart: HTMLCanvasElement;
  metricSelect: HTMLSelectElement;
  scatter: HTMLCanvasElement;
  chartLegend: HTMLDivElement;
  classLegend: HTMLDivElement;
  tooltip: Tooltip;
}

function buildDom(doc: Document, onSave: () => void): Dom {
  const frame = buildFrame(doc, { className: "mi-probe-view", css: CSS, help: PROBE_KEY_HELP, onSave });
  const { root, title } = frame;
  const selection = frameLine(frame, "mi-selection", true);
  const body = make(doc, "div", "mi-probe-body", root);
  const left = make(doc, "div", "", body);
  const metricLabel = make(doc, "label", "mi-probe-metric", left);
  metricLabel.append("score ");
  const metricSelect = make(doc, "select", "mi-probe-metric-select", metricLabel);
  metricSelect.setAttribute("aria-label", "score shown in the chart");
  const chart = make(doc, "canvas", "mi-probe-scores", left);
  chart.width = 340;
  chart.height = 240;
  chart.setAttribute("role", "img");
  const chartLegend = make(doc, "div", "mi-probe-legend", left);
  const right = make(doc, "div", "", body);
  const scatter = make(doc, "canvas", "mi-probe-scatter", right);
  scatter.width = 400;
  scatter.height = 300;
  scatter.setAttribute("role", "img");
  const classLegend = make(doc, "div", "mi-probe-legend mi-probe-classes", right);
  return { root, title, selection, chart, metricSelect, scatter, chartLegend, classLegend, tooltip: new Tooltip(root) };
}

export class ProbeController extends Controller<Model> {
  readonly dom: Dom;
  private chartData: ChartData | null = null;
  private points: Float32Array | null = null;
  private labels: Float32Array = new Float32Array(0);
  private test: Uint8Array = new Uint8Array(0);
  private chartFrame: Frame | null = null;
  private pixels: [Float32Array, Float32Array] | null = null;
  private hoverLayer = -1;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    super(model);
    this.dom = buildDom(el.ownerDocument, () => void this.savePng());
    this.mount(el, this.dom.root);
    for (const name of ["_scores", "_auc", "_points", "_labels", "_test", "layers", "chance", "task", "metric", "metrics"] as const) {
      this.listen(`change:${name}`, DATA | SELECTION | META);
    }
    this.listen("change:classes", META | SELECTION);
    this.listen("change:title", META);
    this.listen("change:layer", SELECTION);
    this.listen("change:example", SELECTION);
    this.followTheme(this.dom.root, THEME | SELECTION | META);
    this.bindEvents();
    this.invalidate(DATA | SELECTION | THEME | META);
  }

  private get layers(): number[] {
    return this.model.get("layers") ?? [];
  }

  private get regression(): boolean {
    return this.model.get("task") === "regression";
  }

  /** The score charted: `metric`, or the task's own score when the model has none. */
  private get metric(): string {
    return this.model.get("metric") ?? (this.regression ? "r2" : "accuracy");
  }

  /** The charted score's name as shown ("AUC", "accuracy", "R²"). */
  private get metricName(): string {
    return METRIC_NAMES[this.metric] ?? this.metric;
  }

  /** Index of the selected layer in `layers` (0 when unknown). */
  private get layerIndex(): number {
    return Math.max(0, this.layers.indexOf(this.model.get("layer")));
  }

  private get exampleIndex(): number {
    const e = this.model.get("example") ?? -1;
    return e >= 0 && e < this.labels.length ? e : -1;
  }

  private scatterData(): ScatterData | null {
    const points = this.points;
    if (!points) return null;
    const n = this.labels.length;
    const offset = this.layerIndex * n;
    const count = this.layers.length;
    return {
      along: points.subarray(offset, offset + n),
      across: points.subarray((count + this.layerIndex) * n, (count + this.layerIndex) * n + n),
      labels: this.labels,
      test: this.test,
      regression: this.regression,
    };
  }

  protected render(flags: number): void {
    if (flags & DATA) this.loadData();
    if (flags & META) this.renderMeta();
    this.paint();
  }

  private loadData(): void {
    try {
      const scores = chartScores(this.metric, this.model.get("_scores"), this.model.get("_auc"));
      this.points = decode(this.model.get("_points")).data as Float32Array;
      this.labels = decode(this.model.get("_labels")).data as Float32Array;
      this.test = decode(this.model.get("_test")).data as Uint8Array;
      this.chartData = {
        scores,
        layers: this.layers,
        chance: metricChance(this.metric, this.model.get("chance")),
        metric: this.metricName,
      };
    } catch (error) {
      this.chartData = null;
      this.points = null;
      this.dom.selection.textContent = `The probe data cannot be decoded: ${String(error)}`;
    }
  }

  private renderMeta(): void {
    const { title, root, chartLegend, classLegend } = this.dom;
    const name = this.model.get("title") || "Linear probe";
    title.textContent = name;
    root.setAttribute("aria-label", name);
    const metric = this.metricName;
    const doc = root.ownerDocument;
    this.renderMetricSwitch();
    const key = (cls: string, text: string) => {
      const item = make(doc, "span", "mi-probe-key");
      make(doc, "span", `mi-probe-key-line ${cls}`, item);
      item.append(text);
      return item;
    };
    const keys = [key("", `probe (held-out ${metric})`), key("mi-control", "control: shuffled labels")];
    if (this.metric === "auc") keys.push(key("mi-chance", "chance (0.5)"));
    else if (!this.regression) keys.push(key("mi-chance", "chance (most common class)"));
    chartLegend.replaceChildren(...keys);
    const classes = this.model.get("classes") ?? [];
    const items = classes.map((name, i) => {
      const item = make(doc, "span", "mi-probe-class");
      item.dataset.class = String(i);
      const swatch = make(doc, "span", "mi-probe-swatch", item);
      swatch.style.background = classColor(i, this.dark);
      item.append(name);
      return item;
    });
    if (this.regression) items.push(make(doc, "span", "mi-probe-class"));
    if (this.regression) items[items.length - 1].textContent = "colour: target value (blue: negative, warm: positive)";
    const ring = make(doc, "span", "mi-probe-class");
    ring.textContent = "ringed: held out";
    classLegend.replaceChildren(...items, ring);
  }

  /** The score switch: one option per score the result holds (hidden when there is one). */
  private renderMetricSwitch(): void {
    const select = this.dom.metricSelect;
    const metrics = this.model.get("metrics") ?? [this.metric];
    if ([...select.options].map((o) => o.value).join(",") !== metrics.join(",")) {
      select.replaceChildren(
        ...metrics.map((m) => {
          const option = select.ownerDocument.createElement("option");
          option.value = m;
          option.textContent = METRIC_NAMES[m] ?? m;
          return option;
        }),
      );
    }
    select.value = this.metric;
    (select.parentElement as HTMLElement).hidden = metrics.length < 2;
  }

  private paint(): void {
    const data = this.chartData;
    const root = this.dom.root;
    if (!data) {
      root.dataset.state = "missing";
      return;
    }
    const colors = themeColors(root, this.dark);
    const index = this.layerIndex;
    this.chartFrame = paintChart(this.dom.chart, data, index, this.hoverLayer, colors);
    root.dataset.yRange = `${this.chartFrame.y0},${this.chartFrame.y1}`;
    const scatter = this.scatterData();
    if (scatter) {
      const frame = paintScatter(this.dom.scatter, scatter, this.exampleIndex, this.dark, colors);
      this.pixels = pointPixels(frame, scatter);
    }
    const layer = this.layers[index];
    const metric = this.metricName;
    let text = `layer ${layer} · held-out ${metric} ${formatNumber(scoreAt(data, HELD_OUT, index))} · control ${formatNumber(scoreAt(data, CONTROL, index))}`;
    const e = this.exampleIndex;
    if (e >= 0) text += `\nselected example ${e}: ${(this.model.get("examples") ?? [])[e] ?? ""}`;
    this.dom.selection.textContent = text;
    this.dom.chart.setAttribute("aria-label", `held-out ${metric} of the probe at each layer; layer ${layer} selected`);
    root.dataset.state = "ready";
    root.dataset.ready = "true";
    root.dataset.metric = this.metric;
    root.dataset.layer = String(layer);
    root.dataset.paintedLayer = String(layer);
    root.dataset.example = String(e);
    root.dataset.theme = this.dark ? "dark" : "light";
  }

  // ---- tooltips -------------------------------------------------------------------------

  private layerTooltip(i: number, x: number, y: number): void {
    const data = this.chartData;
    if (!data) return;
    const metric = this.metricName;
    const at = (row: number) => scoreAt(data, row, i);
    const lines = [`layer ${this.layers[i]}`, `held-out ${metric}: ${formatNumber(at(HELD_OUT))}`];
    if (Number.isFinite(at(TRAIN))) lines.push(`training ${metric}: ${formatNumber(at(TRAIN))}`);
    const control = [`${formatNumber(at(CONTROL))} held out`];
    if (Number.isFinite(at(CONTROL_TRAIN))) control.push(`${formatNumber(at(CONTROL_TRAIN))} training`);
    lines.push(`control (shuffled labels): ${control.join(", ")}`);
    if (data.chance !== null) lines.push(`chance: ${formatNumber(data.chance)}`);
    const values = [HELD_OUT, TRAIN, CONTROL, CONTROL_TRAIN].map(at);
    this.dom.tooltip.show(lines.join("\n"), x, y, {
      kind: "layer",
      layer: String(this.layers[i]),
      values: JSON.stringify(values.map((v) => (Number.isFinite(v) ? v : null))),
    });
  }

  private pointTooltip(i: number, x: number, y: number): void {
    const scatter = this.scatterData();
    if (!scatter) return;
    const example = (this.model.get("examples") ?? [])[i] ?? `example ${i}`;
    const classes = this.model.get("classes") ?? [];
    const label = this.regression ? formatNumber(scatter.labels[i]) : classes[scatter.labels[i]] ?? String(scatter.labels[i]);
    const text = [
      example,
      `label: ${label} · ${scatter.test[i] ? "held out" : "training"}`,
      `along the probe: ${formatNumber(scatter.along[i])} · other component: ${formatNumber(scatter.across[i])}`,
    ].join("\n");
    this.dom.tooltip.show(text, x, y, {
      kind: "point",
      example: String(i),
      along: String(scatter.along[i]),
      across: String(scatter.across[i]),
    });
  }

  // ---- interaction ----------------------------------------------------------------------

  private layerAt(event: MouseEvent): number {
    if (!this.chartFrame) return -1;
    return layerAtPixel(this.chartFrame, canvasPoint(this.dom.chart, event).x, this.layers.length);
  }

  private pointAt(event: MouseEvent): number {
    if (!this.pixels) return -1;
    const p = canvasPoint(this.dom.scatter, event);
    return nearestPoint(this.pixels[0], this.pixels[1], p.x, p.y, DOT + 4);
  }

  private bindEvents(): void {
    const { chart, scatter, root, tooltip, metricSelect } = this.dom;
    this.on(metricSelect, "change", () => this.commit({ metric: metricSelect.value }));
    this.on(chart, "mousemove", (event) => {
      const i = this.layerAt(event);
      if (i !== this.hoverLayer) {
        this.hoverLayer = i;
        this.invalidate(SELECTION);
      }
      if (i < 0) tooltip.hide();
      else this.layerTooltip(i, event.clientX, event.clientY);
    });
    this.on(chart, "mouseleave", () => {
      this.hoverLayer = -1;
      tooltip.hide();
      this.invalidate(SELECTION);
    });
    this.on(chart, "click", (event) => {
      const i = this.layerAt(event);
      if (i >= 0) this.commit({ layer: this.layers[i] });
      root.focus({ preventScroll: true });
    });
    this.on(scatter, "mousemove", (event) => {
      const i = this.pointAt(event);
      if (i < 0) tooltip.hide();
      else this.pointTooltip(i, event.clientX, event.clientY);
    });
    this.on(scatter, "mouseleave", () => tooltip.hide());
    this.on(scatter, "click", (event) => {
      const i = this.pointAt(event);
      if (i >= 0) this.commit({ example: i });
      root.focus({ preventScroll: true });
    });
    this.onKeys(root, (action) => this.onKey(action));
  }

  /** Keys of the view (false: Shift+←/→ is not). */
  private onKey(action: KeyAction): boolean {
    if (action.kind === "query") return false;
    if (action.kind === "unlock") {
      this.dom.tooltip.hide();
      if (this.exampleIndex >= 0) this.commit({ example: -1 });
      return true;
    }
    const n = this.layers.length;
    const next = Math.min(n - 1, Math.max(0, this.layerIndex + action.delta));
    if (next !== this.layerIndex) this.commit({ layer: this.layers[next] });
    return true;
  }

  private savePng(): Promise<void> {
    const root = this.dom.root;
    const layer = this.layers[this.layerIndex];
    const title = `${this.model.get("title") || "Linear probe"} — layer ${layer}`;
    const panels = { title, colors: themeColors(root, this.dark), main: this.dom.scatter, footer: this.dom.chart };
    return savePanels(panels, `probe-layer-${layer}`, root.ownerDocument);
  }
}
