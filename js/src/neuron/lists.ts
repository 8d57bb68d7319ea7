/**
 * The neuron view's two lists of neurons, as buttons `[data-neuron]`: the neurons most active
 * at one token, and every neuron by its max activation on the text; and the token tooltip.
 */

import type { Decoded } from "../lib/binary";
import { formatValue } from "../lib/diverging";
import { make } from "../lib/dom";
import { visibleToken } from "../lib/tokens";
import { neuronMaxima, neuronsByMax, topNeuronsAt, valueAt } from "./data";

/** Neurons listed at the hovered or selected token. */
const TOP_AT_TOKEN = 8;
/** Neurons named in the tooltip. */
const TOP_IN_TOOLTIP = 3;

/** A button `N<m> <value>` of class `className` that picks neuron `m`. */
function neuronButton(doc: Document, className: string, m: number, value: number): HTMLButtonElement {
  const button = doc.createElement("button");
  button.type = "button";
  button.className = className;
  button.dataset.neuron = String(m);
  make(doc, "span", "", button).textContent = `N${m}`;
  make(doc, "span", "", button).textContent = formatValue(value);
  return button;
}

/** Mark the buttons of `container` matching `selector` that pick `neuron` as current. */
export function markCurrent(container: HTMLElement, selector: string, neuron: number): void {
  for (const button of container.querySelectorAll<HTMLElement>(selector)) {
    button.classList.toggle("mi-current", button.dataset.neuron === String(neuron));
  }
}

/** Fill `list` with every neuron of `data` (`[pos, neuron]`), highest max activation first. */
export function fillNeuronList(list: HTMLOListElement, data: Decoded): void {
  const doc = list.ownerDocument;
  const max = neuronMaxima(data);
  const items = [...neuronsByMax(data)].map((m) => {
    const li = doc.createElement("li");
    li.appendChild(neuronButton(doc, "mi-neuron-item", m, max[m]));
    return li;
  });
  list.replaceChildren(...items);
}

/** Fill `list` with the neurons most active at `token` (unless it already shows them), `neuron` current. */
export function fillTopAt(list: HTMLElement, data: Decoded, token: number, layer: number, neuron: number): void {
  if (list.dataset.token !== String(token) || list.dataset.layer !== String(layer)) {
    const doc = list.ownerDocument;
    const buttons = topNeuronsAt(data, token, TOP_AT_TOKEN).map(([m, v]) => {
      const button = neuronButton(doc, "mi-top-neuron", m, v);
      button.dataset.value = String(v);
      return button;
    });
    list.replaceChildren(...buttons);
    list.dataset.token = String(token);
    list.dataset.layer = String(layer);
  }
  markCurrent(list, ".mi-top-neuron", neuron);
}

/** The tooltip of token `t`: its value for `neuron` and the neurons most active there. */
export function tokenTooltip(data: Decoded, tokens: string[], t: number, layer: number, neuron: number): { text: string; data: Record<string, string> } {
  const value = valueAt(data, t, neuron);
  const top = topNeuronsAt(data, t, TOP_IN_TOOLTIP)
    .map(([m, v]) => `N${m} ${formatValue(v)}`)
    .join(", ");
  const token = visibleToken(tokens[t] ?? "").text;
  return {
    text: `token ${t}: "${token}"\nlayer ${layer}, neuron ${neuron}: ${formatValue(value)}\ntop here: ${top}`,
    data: { value: String(value), token: String(t), neuron: String(neuron) },
  };
}
