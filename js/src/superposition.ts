/**
 * SuperpositionView: a toy model of superposition at each sparsity (the columns of W as
 * vectors, feature norms and dimensionality, the interference WᵀW).
 *
 * anywidget entry for `mi_widgets/widgets/superposition.py`.
 */

import type { RenderProps } from "@anywidget/types";
import type { Model } from "./superposition/model";
import { SuperpositionController } from "./superposition/view";

export type { Model } from "./superposition/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new SuperpositionController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
