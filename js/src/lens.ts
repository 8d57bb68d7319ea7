/**
 * LogitLensView: what every layer would predict at every position (a row × position grid of
 * top-1 tokens coloured by probability), and one token's probability per layer as a line.
 *
 * anywidget entry for `mi_widgets/widgets/lens.py`.
 */

import type { RenderProps } from "@anywidget/types";
import type { Model } from "./lens/model";
import { LensController } from "./lens/view";

export type { Model } from "./lens/model";

function render({ model, el, signal }: RenderProps<Model>): () => void {
  const controller = new LensController(model, el);
  const cleanup = () => controller.dispose();
  signal?.addEventListener("abort", cleanup, { once: true });
  return cleanup;
}

export default { render };
