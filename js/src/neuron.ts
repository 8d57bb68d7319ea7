/**
 * NeuronView: the tokens of a text coloured by one MLP neuron, a neuron picker, the top
 * neurons at a token, and the neuron's top corpus examples.
 *
 * anywidget entry for `mi_widgets/widgets/neuron.py`.
 */

import type { RenderProps } from "@anywidget/types";
import type { Model } from "./neuron/model";
import { NeuronController } from "./neuron/view";

export type { Model } from "./neuron/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new NeuronController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
