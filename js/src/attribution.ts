/**
 * AttributionView: each head's, MLP's and the embeddings' direct contribution to a logit
 * difference, as a sorted bar chart and a layer × head heatmap.
 *
 * anywidget entry for `mi_widgets/widgets/attribution.py`.
 */

import type { RenderProps } from "@anywidget/types";
import { AttributionController } from "./attribution/view";
import type { Model } from "./attribution/model";

export type { Model } from "./attribution/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new AttributionController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
