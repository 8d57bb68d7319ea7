/**
 * The model stand-in of an exported report: what a view needs from an anywidget model
 * (`get/set/on/off/save_changes/send`), with no kernel behind it.
 *
 * `set` fires `change:<name>` (then `change`) like Backbone. A `{type: "slice"}` request is
 * answered asynchronously with a `msg:custom` event from the embedded slices, or with
 * `missing: true` when the slice is not embedded. Other messages are ignored.
 */

import type { ArrayHeader } from "../lib/binary";
import { NOT_EMBEDDED } from "../lib/loader";
import type { BlobStore } from "./blobs";

// biome-ignore lint/suspicious/noExplicitAny: handlers take what anywidget passes them, untyped
type Handler = (...args: any[]) => void;

/** An embedded slice: its header and the blob holding its bytes. */
export interface EmbeddedSlice {
  array: ArrayHeader;
  blob: string;
}

export { NOT_EMBEDDED };

export class StandInModel {
  private handlers = new Map<string, Handler[]>();
  readonly widget_manager = {
    get_model: (): Promise<never> => Promise.reject(new Error("no widget manager in an exported report")),
  };

  constructor(
    private readonly state: Record<string, unknown>,
    private readonly slices: Record<string, EmbeddedSlice>,
    private readonly blobs: BlobStore,
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: as anywidget's model, a trait is any JSON or binary value
  get(name: string): any {
    return this.state[name];
  }

  set(name: string | Record<string, unknown>, value?: unknown): void {
    const changes = typeof name === "string" ? { [name]: value } : name;
    const changed: string[] = [];
    for (const [key, next] of Object.entries(changes)) {
      if (Object.is(this.state[key], next)) continue;
      this.state[key] = next;
      changed.push(key);
    }
    for (const key of changed) this.emit(`change:${key}`, this, this.state[key]);
    if (changed.length) this.emit("change", this);
  }

  on(events: string, callback: Handler): void {
    for (const event of events.split(/\s+/).filter(Boolean)) {
      const list = this.handlers.get(event) ?? [];
      list.push(callback);
      this.handlers.set(event, list);
    }
  }

  off(events?: string | null, callback?: Handler | null): void {
    const names = events ? events.split(/\s+/).filter(Boolean) : [...this.handlers.keys()];
    for (const event of names) {
      if (!callback) this.handlers.delete(event);
      else this.handlers.set(event, (this.handlers.get(event) ?? []).filter((h) => h !== callback));
    }
  }

  save_changes(): void {
    // Nothing to sync with: the page is the only copy of the state.
  }

  send(content: unknown): void {
    const message = content as { type?: string; key?: string; id?: string } | null;
    if (message?.type !== "slice") return;
    const { key = "", id } = message;
    setTimeout(() => this.answerSlice(key, id), 0);
  }

  private answerSlice(key: string, id: string | undefined): void {
    const slice = Object.hasOwn(this.slices, key) ? this.slices[key] : undefined;
    if (slice && this.blobs.has(slice.blob)) {
      try {
        const bytes = this.blobs.get(slice.blob);
        this.emit("msg:custom", { type: "slice", id, key, array: slice.array }, [bytes]);
        return;
      } catch (error) {
        this.emit("msg:custom", { type: "slice", id, key, missing: true, reason: String(error) }, []);
        return;
      }
    }
    this.emit("msg:custom", { type: "slice", id, key, missing: true, reason: NOT_EMBEDDED }, []);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        handler(...args);
      } catch (error) {
        console.error(`mi_widgets: error in a "${event}" handler`, error);
      }
    }
  }
}
