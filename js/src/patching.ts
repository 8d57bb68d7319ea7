/**
 * PatchingView: the effect of patching each (layer, position) or (layer, head) cell as a
 * diverging heatmap; click a cell for the patched run's predictions.
 *
 * anywidget entry for `mi_widgets/widgets/patching.py`.
 */

import type { RenderProps } from "@anywidget/types";
import { PatchingController } from "./patching/view";
import type { Model } from "./patching/model";

export type { Model } from "./patching/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new PatchingController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
