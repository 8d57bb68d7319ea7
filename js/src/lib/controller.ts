/**
 * The life cycle every view controller shares: listeners that are removed on dispose, trait
 * changes collected as dirty flags and applied once per microtask (`flush`), and selections
 * written back to the model in one `save_changes`.
 */

import type { AnyModel } from "@anywidget/types";

import { onThemeChange } from "./theme";

export abstract class Controller<M extends Record<string, any>> {
  protected readonly disposers: (() => void)[] = [];
  protected dirty = 0;
  protected disposed = false;

  constructor(protected readonly model: AnyModel<M>) {}

  /** Remove every listener; a subclass frees its own resources after `super.dispose()`. */
  dispose(): void {
    this.disposed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  /** Apply the pending dirty flags to the page. */
  protected abstract flush(): void;

  /** Mark `flags` dirty whenever trait `event` changes. */
  protected listen(event: `change:${keyof M & string}`, flags: number): void {
    const handler = () => this.invalidate(flags);
    this.model.on(event, handler);
    this.disposers.push(() => this.model.off(event, handler));
  }

  /** Add a DOM listener that is removed on dispose. */
  protected on<K extends keyof HTMLElementEventMap>(
    target: HTMLElement,
    type: K,
    handler: (event: HTMLElementEventMap[K]) => void,
  ): void {
    target.addEventListener(type, handler);
    this.disposers.push(() => target.removeEventListener(type, handler));
  }

  /** Call `handler(dark)` whenever the page's light/dark theme changes, until dispose. */
  protected followTheme(doc: Document, handler: (dark: boolean) => void): void {
    this.disposers.push(onThemeChange(handler, doc));
  }

  protected invalidate(flags: number): void {
    if (this.disposed) return;
    const idle = this.dirty === 0;
    this.dirty |= flags;
    if (idle) queueMicrotask(() => this.flush());
  }

  /** Set traits and send them to the kernel together. */
  protected commit(changes: Partial<M>): void {
    for (const [key, value] of Object.entries(changes) as [keyof M & string, never][]) {
      this.model.set(key, value);
    }
    this.model.save_changes();
  }
}
