/**
 * FeatureDashboard: every feature of a sparse autoencoder in a virtualised list, and the
 * selected feature's top examples, interval examples, activation histogram, logit effects,
 * nearest features and "try your own text".
 *
 * anywidget entry for `mi_widgets/widgets/feature.py`.
 */

import type { RenderProps } from "@anywidget/types";
import { FeatureController } from "./feature/view";
import type { Model } from "./feature/model";

export type { Model } from "./feature/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new FeatureController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
