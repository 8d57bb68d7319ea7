/**
 * The DOM skeleton of the feature dashboard (no data yet): the list on the left, the selected
 * feature's panels on the right.
 */

import { make, statusBanner } from "../lib/dom";
import { buildFrame } from "../lib/frame";
import { Tooltip } from "../lib/tooltip";
import { HISTOGRAM_HEIGHT, HISTOGRAM_WIDTH } from "./histogram";
import { FEATURE_KEY_HELP } from "./keys";
import { FEATURE_CSS } from "./styles";

export interface FeatureDom {
  root: HTMLDivElement;
  title: HTMLSpanElement;
  subtitle: HTMLSpanElement;
  error: HTMLDivElement;
  body: HTMLDivElement;
  search: HTMLInputElement;
  sort: HTMLSelectElement;
  hideDead: HTMLInputElement;
  list: HTMLDivElement;
  count: HTMLDivElement;
  /** The scrolled column of the selected feature's panels. */
  main: HTMLDivElement;
  featureTitle: HTMLHeadingElement;
  featureStats: HTMLDivElement;
  missing: HTMLDivElement;
  panels: HTMLDivElement;
  histogram: HTMLCanvasElement;
  histogramAxis: HTMLSpanElement[];
  histogramNote: HTMLDivElement;
  logits: HTMLTableElement;
  nearest: HTMLDivElement;
  examples: HTMLElement;
  probeInput: HTMLTextAreaElement;
  probeRun: HTMLButtonElement;
  probeNote: HTMLDivElement;
  probeStatus: HTMLDivElement;
  probeText: HTMLDivElement;
  intervals: HTMLDivElement;
  tooltip: Tooltip;
}

/** `<select>` values: `<sort>:<asc|desc>`. */
export const SORT_OPTIONS: readonly [string, string][] = [
  ["index:asc", "index ↑"],
  ["index:desc", "index ↓"],
  ["density:desc", "density ↓"],
  ["density:asc", "density ↑"],
  ["max:desc", "max activation ↓"],
  ["max:asc", "max activation ↑"],
];

function section(doc: Document, parent: HTMLElement, className: string, title: string): HTMLElement {
  const box = make(doc, "section", `mi-box ${className}`, parent);
  make(doc, "div", "mi-box-title", box).textContent = title;
  return box;
}

/** Build the view's elements; `onSave` is the save-PNG action. */
export function buildDom(doc: Document, onSave: () => void): FeatureDom {
  const { root, title, save } = buildFrame(doc, { className: "mi-feature-dashboard", css: FEATURE_CSS, help: FEATURE_KEY_HELP, onSave });
  const subtitle = make(doc, "span", "mi-subtitle");
  save.before(subtitle, make(doc, "span", "mi-spacer"));
  const error = make(doc, "div", "mi-missing mi-error");
  error.setAttribute("role", "alert");

  const body = make(doc, "div", "mi-fd-body", root);
  const side = make(doc, "div", "mi-fd-side", body);
  const controls = make(doc, "div", "mi-fd-controls", side);
  const search = make(doc, "input", "mi-feature-search", controls);
  search.type = "search";
  search.placeholder = "index or token";
  search.setAttribute("aria-label", "Search features by index or by the token of their top examples");
  const sort = make(doc, "select", "mi-feature-sort", controls);
  sort.setAttribute("aria-label", "Sort features");
  for (const [value, label] of SORT_OPTIONS) {
    const option = make(doc, "option", "", sort);
    option.value = value;
    option.textContent = label;
  }
  const deadLabel = make(doc, "label", "mi-hide-dead-label", controls);
  const hideDead = make(doc, "input", "mi-hide-dead", deadLabel);
  hideDead.type = "checkbox";
  deadLabel.append(" hide dead");
  const columns = make(doc, "div", "mi-feature-row mi-list-columns", side);
  for (const [c, text] of [["mi-fr-index", "#"], ["mi-fr-density", "density"], ["mi-fr-max", "max"], ["mi-fr-token", "top token"]]) {
    make(doc, "span", c, columns).textContent = text;
  }
  const list = make(doc, "div", "mi-feature-list", side);
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Features");
  const count = make(doc, "div", "mi-list-count", side);

  const main = make(doc, "div", "mi-fd-main", body);
  const head = make(doc, "div", "mi-feature-head", main);
  const featureTitle = make(doc, "h3", "mi-feature-title", head);
  const featureStats = make(doc, "div", "mi-feature-stats", head);
  const missing = statusBanner(doc, "mi-feature-missing");
  main.appendChild(missing);
  missing.hidden = true;
  const panels = make(doc, "div", "mi-fd-panels", main);

  const row = make(doc, "div", "mi-fd-row", panels);
  const histogramBox = section(doc, row, "mi-histogram-box", "Non-zero activations (log-2 bins)");
  const histogram = make(doc, "canvas", "mi-histogram", histogramBox);
  histogram.width = HISTOGRAM_WIDTH;
  histogram.height = HISTOGRAM_HEIGHT;
  histogram.setAttribute("role", "img");
  histogram.setAttribute("aria-label", "Histogram of the feature's non-zero activations");
  const axis = make(doc, "div", "mi-histogram-axis", histogramBox);
  const histogramAxis = [make(doc, "span", "", axis), make(doc, "span", "", axis)];
  const histogramNote = make(doc, "div", "mi-box-note", histogramBox);
  const logitsBox = section(doc, row, "mi-logits-box", "Logit effects");
  const logits = make(doc, "table", "mi-logits", logitsBox);
  const nearestBox = section(doc, row, "mi-nearest-box", "Nearest features (decoder cosine)");
  const nearest = make(doc, "div", "mi-nearest", nearestBox);

  const examples = make(doc, "section", "mi-box mi-examples", panels);

  const probe = section(doc, panels, "mi-probe", "Try your own text");
  const probeForm = make(doc, "div", "mi-probe-form", probe);
  const probeInput = make(doc, "textarea", "mi-probe-input", probeForm);
  probeInput.rows = 2;
  probeInput.placeholder = "Type some text, then Run (Ctrl+Enter)";
  probeInput.setAttribute("aria-label", "Text to run through the model");
  const probeRun = make(doc, "button", "mi-probe-run", probeForm);
  probeRun.type = "button";
  probeRun.textContent = "Run";
  const probeNote = make(doc, "div", "mi-box-note mi-probe-note", probe);
  const probeStatus = make(doc, "div", "mi-probe-status", probe);
  probeStatus.setAttribute("role", "status");
  const probeText = make(doc, "div", "mi-probe-text", probe);
  probeText.setAttribute("aria-label", "Your text, coloured by the feature's activation");

  const intervalsBox = section(doc, panels, "mi-intervals-box", "Examples by activation interval (highest first)");
  const intervals = make(doc, "div", "mi-intervals", intervalsBox);
  const tooltip = new Tooltip(root);
  return {
    root, title, subtitle, error, body, search, sort, hideDead, list, count, main, featureTitle, featureStats,
    missing, panels, histogram, histogramAxis, histogramNote, logits, nearest, examples,
    probeInput, probeRun, probeNote, probeStatus, probeText, intervals, tooltip,
  };
}
