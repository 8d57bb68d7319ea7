/**
 * ProbeView: a linear probe's held-out score per layer (with its shuffled-label control) and
 * the examples of the selected layer projected on the probe direction.
 *
 * anywidget entry for `mi_widgets/widgets/probe.py`.
 */

import type { RenderProps } from "@anywidget/types";
import type { Model } from "./probe/model";
import { ProbeController } from "./probe/view";

export type { Model } from "./probe/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new ProbeController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
