/**
 * AttentionView: every head of a layer as thumbnails, the selected head as a large heatmap
 * (query rows × key columns) with token labels, and a token strip coloured by attention.
 *
 * anywidget entry for `mi_widgets/widgets/attention.py`.
 */

import type { RenderProps } from "@anywidget/types";
import { AttentionController } from "./attention/view";
import type { Model } from "./attention/model";

export type { Model } from "./attention/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new AttentionController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
