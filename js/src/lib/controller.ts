/**
 * The life cycle every view controller shares: listeners that are removed on dispose, trait
 * changes collected as dirty flags and rendered once per microtask, the page's light/dark
 * theme, one client for kernel requests, slices loaded through `Loader`s, and selections
 * written back in one `save_changes`.
 */

import type { AnyModel } from "@anywidget/types";

import { fromFormControl, type KeyAction, keyAction } from "./keyboard";
import { Loader } from "./loader";
import { RequestClient } from "./requests";
import { SliceClient, type SliceModel } from "./slices";
import { applyTheme, isDark, onThemeChange, type ThemeColors, themeColors } from "./theme";

/** Adds a DOM listener that is removed when the view is disposed. */
export type ListenTo = <K extends keyof HTMLElementEventMap>(
  target: HTMLElement,
  type: K,
  handler: (event: HTMLElementEventMap[K]) => void,
) => void;

// biome-ignore lint/suspicious/noExplicitAny: a model's traits are any JSON or binary values
export abstract class Controller<M extends Record<string, any>> {
  protected readonly disposers: (() => void)[] = [];
  protected disposed = false;
  /** True while the page shows a dark theme. */
  protected dark = isDark();
  private dirty = 0;
  private themeColors: ThemeColors | null = null;
  private requestClient: RequestClient | null = null;
  private sliceClient: SliceClient | null = null;
  /** Every slice loader with the flags it renders. */
  private readonly loaders: { loader: Loader<unknown>; flags: number }[] = [];

  constructor(protected readonly model: AnyModel<M>) {}

  /** Remove every listener, end pending requests; a subclass frees its own resources after `super.dispose()`. */
  dispose(): void {
    this.disposed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    for (const { loader } of this.loaders) loader.reset();
    this.sliceClient?.dispose();
    this.requestClient?.dispose();
  }

  /** Apply the dirty `flags` (never 0) to the page. */
  protected abstract render(flags: number): void;

  /** Put the view's `root` into `el`; it leaves the page on dispose. */
  protected mount(el: HTMLElement, root: HTMLElement): void {
    el.appendChild(root);
    this.disposers.push(() => root.remove());
  }

  /** Mark `flags` dirty whenever trait `event` changes. */
  protected listen(event: `change:${keyof M & string}`, flags: number): void {
    const handler = () => this.invalidate(flags);
    this.model.on(event, handler);
    this.disposers.push(() => this.model.off(event, handler));
  }

  /** Call `handler` whenever one of the traits `names` changes (until dispose). */
  protected watch(names: (keyof M & string)[], handler: () => void): void {
    for (const name of names) {
      this.model.on(`change:${name}`, handler);
      this.disposers.push(() => this.model.off(`change:${name}`, handler));
    }
  }

  /** Add a DOM listener that is removed on dispose. */
  protected readonly on: ListenTo = (target, type, handler) => {
    target.addEventListener(type, handler);
    this.disposers.push(() => target.removeEventListener(type, handler));
  };

  /**
   * Handle the shared keys (`keyAction`) pressed in `root` outside form controls; `handler`
   * returns whether the view took the action (if not, the page keeps the key).
   */
  protected onKeys(root: HTMLElement, handler: (action: KeyAction) => boolean): void {
    this.on(root, "keydown", (event) => {
      if (fromFormControl(event)) return;
      const action = keyAction(event);
      if (!action || handler(action) === false) return;
      event.preventDefault();
      event.stopPropagation();
    });
  }

  /**
   * Give `root` the page's theme and follow it: on a change `dark` flips, the theme colours
   * are read again and `flags` are rendered.
   */
  protected followTheme(root: HTMLElement, flags: number): void {
    applyTheme(root, this.dark);
    const changed = (dark: boolean) => {
      this.dark = dark;
      this.themeColors = null;
      applyTheme(root, dark);
      this.invalidate(flags);
    };
    this.disposers.push(onThemeChange(changed, root.ownerDocument));
  }

  /** The theme's colours resolved on `root`, for drawing on canvases (read once per theme). */
  protected colors(root: HTMLElement): ThemeColors {
    this.themeColors ??= themeColors(root, this.dark);
    return this.themeColors;
  }

  /** The view's client for kernel requests (made on first use, ended on dispose). */
  protected get requests(): RequestClient {
    this.requestClient ??= new RequestClient(this.model);
    return this.requestClient;
  }

  /** The view's slices (made on first use, ended on dispose). */
  protected get slices(): SliceClient {
    this.sliceClient ??= new SliceClient(this.model as unknown as SliceModel, {
      requests: this.requests,
      onRefresh: () => this.slicesChanged(),
    });
    return this.sliceClient;
  }

  /** A loader of the view's slices; `flags` render when its slices arrive or `_slices` changes. */
  protected sliceLoader<T>(flags: number): Loader<T> {
    const loader = new Loader<T>(this.slices, () => this.invalidate(flags));
    this.loaders.push({ loader: loader as Loader<unknown>, flags });
    return loader;
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

  /** `_slices` changed: every loader asks again. */
  private slicesChanged(): void {
    let flags = 0;
    for (const loader of this.loaders) {
      loader.loader.reset();
      flags |= loader.flags;
    }
    this.invalidate(flags);
  }

  private flush(): void {
    const flags = this.dirty;
    this.dirty = 0;
    if (this.disposed || flags === 0) return;
    this.render(flags);
  }
}
