/**
 * The DOM skeleton of the neuron view (no data yet).
 */

import { make, statusBanner } from "../lib/dom";
import { buildFrame } from "../lib/frame";
import { Tooltip } from "../lib/tooltip";
import { NEURON_CSS } from "./styles";

export const NEURON_KEY_HELP =
  "←/→ neuron · ↑/↓ layer · Shift+←/→ token · click a token to select it · Esc clear · hover for values";

export interface NeuronDom {
  root: HTMLDivElement;
  title: HTMLSpanElement;
  layerSelect: HTMLSelectElement;
  neuronInput: HTMLInputElement;
  subtitle: HTMLSpanElement;
  status: HTMLSpanElement;
  legendCaption: HTMLSpanElement;
  legendBar: HTMLCanvasElement;
  legendTicks: HTMLSpanElement[];
  bar: HTMLCanvasElement;
  missing: HTMLDivElement;
  body: HTMLDivElement;
  text: HTMLDivElement;
  atToken: HTMLDivElement;
  atTitle: HTMLDivElement;
  atList: HTMLDivElement;
  browser: HTMLDetailsElement;
  neuronList: HTMLOListElement;
  examples: HTMLDivElement;
  tooltip: Tooltip;
}

/** Build the view's elements; `onSave` is the save-PNG action. */
export function buildDom(doc: Document, onSave: () => void): NeuronDom {
  const { root, title, save } = buildFrame(doc, { className: "mi-neuron-view", css: NEURON_CSS, help: NEURON_KEY_HELP, onSave });
  const layerSelect = make(doc, "select", "mi-layer-select");
  layerSelect.setAttribute("aria-label", "Layer");
  const label = make(doc, "label", "mi-neuron-label");
  label.append("neuron ");
  const neuronInput = make(doc, "input", "mi-neuron-input", label);
  neuronInput.type = "number";
  neuronInput.min = "0";
  neuronInput.step = "1";
  neuronInput.setAttribute("aria-label", "Neuron index");
  const subtitle = make(doc, "span", "mi-subtitle");
  const status = make(doc, "span", "mi-status");
  save.before(layerSelect, label, subtitle, status, make(doc, "span", "mi-spacer"));

  const legend = make(doc, "div", "mi-legend", root);
  const legendCaption = make(doc, "span", "mi-legend-caption", legend);
  const scale = make(doc, "span", "mi-legend-scale", legend);
  const legendBar = make(doc, "canvas", "mi-legend-bar", scale);
  legendBar.setAttribute("role", "img");
  const ticks = make(doc, "span", "mi-legend-ticks", scale);
  const legendTicks = [0, 0.5, 1].map((at) => {
    const tick = make(doc, "span", "mi-legend-tick", ticks);
    tick.style.left = `${at * 100}%`;
    return tick;
  });

  const barScroll = make(doc, "div", "mi-bar-scroll", root);
  const bar = make(doc, "canvas", "mi-neuron-bar", barScroll);
  bar.width = bar.height = 0;
  bar.setAttribute("role", "img");
  bar.setAttribute("aria-label", "Activation of the neuron at every token");
  const missing = statusBanner(doc);

  const body = make(doc, "div", "mi-body", root);
  const text = make(doc, "div", "mi-neuron-text", body);
  text.setAttribute("aria-label", "Tokens, coloured by the neuron's activation");
  const side = make(doc, "div", "mi-side", body);
  const atToken = make(doc, "div", "mi-at-token", side);
  const atTitle = make(doc, "div", "mi-at-title", atToken);
  const atList = make(doc, "div", "mi-at-list", atToken);
  const browser = make(doc, "details", "mi-neuron-browser", side);
  browser.open = true;
  make(doc, "summary", "", browser).textContent = "Neurons by max activation on this text";
  const neuronList = make(doc, "ol", "mi-neuron-list", browser);

  const examples = make(doc, "div", "mi-examples", root);
  const tooltip = new Tooltip(root);
  return {
    root, title, layerSelect, neuronInput, subtitle, status, legendCaption, legendBar, legendTicks,
    bar, missing, body, text, atToken, atTitle, atList, browser, neuronList, examples, tooltip,
  };
}
