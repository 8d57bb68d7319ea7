/**
 * The selected feature's statistics, with the feature dashboard's pieces: its top activating
 * examples (`ExamplesPanel`), the histogram of its activations and its logit effects.
 */

import { scaleFor, formatValue } from "../lib/diverging";
import { make } from "../lib/dom";
import { ExamplesPanel } from "../lib/examples";
import { notEmbedded, type Loaded } from "../lib/loader";
import { HISTOGRAM_HEIGHT, HISTOGRAM_WIDTH, histogramGeometry, paintHistogram } from "../feature/histogram";
import type { FeatureData } from "../feature/layout";
import { fillLogits } from "../feature/panels";
import type { StatsInfo } from "./model";

export class FeatureCard {
  readonly el: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly status: HTMLElement;
  private readonly examples: ExamplesPanel;
  private readonly histogram: HTMLCanvasElement;
  private readonly logits: HTMLTableElement;
  private data: FeatureData | null = null;
  private edges: ArrayLike<number> = [];

  constructor(doc: Document, parent: HTMLElement) {
    this.el = make(doc, "section", "mi-graph-card", parent);
    this.el.hidden = true;
    this.heading = make(doc, "div", "mi-box-title", this.el);
    this.status = make(doc, "div", "mi-card-status", this.el);
    this.status.setAttribute("role", "status");
    const row = make(doc, "div", "mi-card-row", this.el);
    const hist = make(doc, "div", "mi-card-histogram", row);
    make(doc, "div", "mi-box-title", hist).textContent = "Non-zero activations (log-2 bins)";
    this.histogram = make(doc, "canvas", "mi-histogram", hist);
    this.histogram.width = HISTOGRAM_WIDTH;
    this.histogram.height = HISTOGRAM_HEIGHT;
    this.histogram.setAttribute("role", "img");
    this.histogram.setAttribute("aria-label", "Histogram of the feature's non-zero activations");
    const logits = make(doc, "div", "mi-card-logits", row);
    make(doc, "div", "mi-box-title", logits).textContent = "Logit effects";
    this.logits = make(doc, "table", "mi-logits", logits);
    this.examples = new ExamplesPanel(make(doc, "section", "mi-examples", this.el), "mi-box-title");
  }

  /** Hide the card (no feature selected, or no statistics for its layer). */
  hide(): void {
    this.el.hidden = true;
    this.el.dataset.state = "none";
  }

  /** Show feature `feature` of `layer` from its slices' loading state. */
  show(layer: number, feature: number, state: Loaded<FeatureData>, info: StatsInfo, edges: ArrayLike<number>, dark: boolean, accent: string): void {
    this.el.hidden = false;
    this.edges = edges;
    this.heading.textContent = `Layer ${layer} feature ${feature}`;
    this.el.dataset.feature = `${layer}:${feature}`;
    if (state.kind !== "ready") {
      this.status.textContent =
        state.kind === "loading"
          ? "loading its statistics…"
          : notEmbedded(state.reason)
            ? `The statistics of layer ${layer} feature ${feature} are not embedded in this report.`
            : `Its statistics cannot be shown: ${state.reason}`;
      this.el.dataset.state = state.kind;
      this.el.classList.add("mi-card-empty");
      return;
    }
    const data = state.data;
    this.el.classList.remove("mi-card-empty");
    this.data = data;
    this.status.textContent = `${data.firing} non-zero activations · mean ${formatValue(data.mean)}`;
    this.examples.show(`Top ${info.k} activating examples`, `feature ${feature}`, { kind: "ready", data: data.top });
    fillLogits(this.logits, data.raised, data.lowered);
    this.paint(dark, accent);
    this.el.dataset.state = "ready";
  }

  /** Colours of the examples and the histogram in a theme. */
  paint(dark: boolean, accent: string): void {
    const data = this.data;
    if (!data || this.el.hidden) return;
    this.examples.paint(scaleFor(data.peak), dark);
    paintHistogram(this.histogram, histogramGeometry(data.counts, this.edges, HISTOGRAM_WIDTH, HISTOGRAM_HEIGHT), dark, null, accent);
  }
}
