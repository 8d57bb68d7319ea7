/**
 * `defineView(Controller)`: the anywidget module of a view, `{ render }`. Rendering makes one
 * controller for the model and the element; the controller is disposed when anywidget aborts
 * the render's signal or calls the returned cleanup, whichever comes first (once).
 *
 * The build (`build.mjs`) makes each registered view's bundle from
 * `export default defineView(<controller>)` (registry: `mi_widgets/widgets/views.json`).
 */

import type { AnyModel, RenderProps } from "@anywidget/types";

/** What `defineView` needs of a controller: built from a model and an element, disposed once. */
export interface ViewController {
  dispose(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: a model's traits are any JSON or binary values
export type ControllerClass<M extends Record<string, any>> = new (
  model: AnyModel<M>,
  el: HTMLElement,
) => ViewController;

/** The anywidget module of a view: a `render` that returns its cleanup. */
// biome-ignore lint/suspicious/noExplicitAny: a model's traits are any JSON or binary values
export interface ViewModule<M extends Record<string, any>> {
  render(props: RenderProps<M>): () => void;
}

// biome-ignore lint/suspicious/noExplicitAny: a model's traits are any JSON or binary values
export function defineView<M extends Record<string, any>>(Controller: ControllerClass<M>): ViewModule<M> {
  return {
    render({ model, el, signal }) {
      const controller = new Controller(model, el);
      let disposed = false;
      const cleanup = () => {
        if (disposed) return;
        disposed = true;
        controller.dispose();
      };
      signal?.addEventListener("abort", cleanup, { once: true });
      return cleanup;
    },
  };
}
