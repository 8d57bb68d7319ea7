/**
 * The neuron view's pointer and form events: hover and click on the text and the bar, picks
 * in the neuron lists, the layer select and the neuron input.
 */

import type { ListenTo } from "../lib/controller";
import { dataIndex } from "../lib/events";
import type { NeuronDom } from "./dom";

/** What the events do; the controller implements it. */
export interface NeuronActions {
  /** The pointer is over token `t` at viewport (x, y), or over no token (null). */
  hoverToken(t: number | null, x: number, y: number): void;
  clickToken(t: number): void;
  pickNeuron(neuron: number): void;
  /** The neuron input's text was committed. */
  typedNeuron(text: string): void;
  pickLayer(layer: number): void;
  /** The neuron list was opened or closed. */
  toggledList(): void;
  /** Tokens shown on the bar (its width is split among them). */
  tokenCount(): number;
}

/** Bind the view's events to `actions`. */
export function bindNeuronEvents(dom: NeuronDom, on: ListenTo, actions: NeuronActions): void {
  const { text, bar, atList, neuronList, neuronInput, layerSelect, browser } = dom;
  const leave = (event: MouseEvent) => actions.hoverToken(null, event.clientX, event.clientY);
  on(text, "mouseover", (event) => {
    const t = dataIndex(event, ".mi-ntok");
    if (t !== null) actions.hoverToken(t, event.clientX, event.clientY);
  });
  on(text, "mouseleave", leave);
  on(text, "click", (event) => {
    const t = dataIndex(event, ".mi-ntok");
    if (t !== null) actions.clickToken(t);
  });
  const barToken = (event: MouseEvent): number | null => {
    const n = actions.tokenCount();
    if (!n) return null;
    const box = bar.getBoundingClientRect();
    const t = Math.floor(((event.clientX - box.left) / Math.max(1, box.width)) * n);
    return t >= 0 && t < n ? t : null;
  };
  on(bar, "mousemove", (event) => actions.hoverToken(barToken(event), event.clientX, event.clientY));
  on(bar, "mouseleave", leave);
  on(bar, "click", (event) => {
    const t = barToken(event);
    if (t === null) return;
    text.querySelector<HTMLElement>(`.mi-ntok[data-index="${t}"]`)?.scrollIntoView?.({ block: "nearest" });
    actions.clickToken(t);
  });
  const pickNeuron = (event: MouseEvent) => {
    const neuron = dataIndex(event, "[data-neuron]", "neuron");
    if (neuron !== null) actions.pickNeuron(neuron);
  };
  on(atList, "click", pickNeuron);
  on(neuronList, "click", pickNeuron);
  on(neuronInput, "change", () => actions.typedNeuron(neuronInput.value));
  on(neuronInput, "keydown", (event) => {
    if (event.key === "Enter") neuronInput.dispatchEvent(new Event("change"));
  });
  on(layerSelect, "change", () => actions.pickLayer(Number(layerSelect.value)));
  on(browser, "toggle", () => actions.toggledList());
}
