/**
 * HeadScoresView: a layer × head grid coloured by one head score (previous-token,
 * induction, duplicate-token, first-token); click or use the arrow keys to select a head.
 *
 * anywidget entry for `mi_widgets/widgets/head_scores.py`.
 */

import type { RenderProps } from "@anywidget/types";
import { HeadScoresController } from "./head_scores/view";
import type { Model } from "./head_scores/model";

export type { Model } from "./head_scores/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new HeadScoresController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
