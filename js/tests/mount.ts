/** Rendering a view module into the (happy-dom) document for a test, and removing it after. */

import { find, type FakeModel } from "./helpers";

const cleanups: (() => void)[] = [];

/** Let queued timers and microtasks run. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Render `widget` for `model` into a new element; `root` is the view's element matching `selector`. */
export async function mountView(widget: { render: (props: never) => unknown }, model: FakeModel, selector: string) {
  const el = document.createElement("div");
  document.body.appendChild(el);
  const cleanup = widget.render({ model, el } as never) as () => void;
  cleanups.push(cleanup);
  await tick();
  return { el, root: find<HTMLElement>(el, selector), cleanup };
}

/** Dispose every mounted view and empty the document (call after each test). */
export function unmountAll(): void {
  for (const cleanup of cleanups.splice(0)) cleanup();
  document.body.replaceChildren();
}
