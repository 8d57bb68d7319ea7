/**
 * Lazy slices: named pieces of a view's heavy data.
 *
 * Slices in the `_slices` trait are decoded on first use. Any other slice is requested with
 * `model.send({type: "slice", key, id})`; the answer is a custom message
 * `{type: "slice", id, key, array}` with the bytes in `buffers[0]`, or
 * `{type: "slice", id, key, missing: true, reason}`. Decoded slices are kept in a cache
 * bounded by bytes (least recently used first out, the current slice never).
 */

import { decode, decodeArray, type ArrayHeader, type Bytes, type Decoded, type EncodedArray } from "./binary";

/** A slice that could not be provided, and why. */
export interface Missing {
  missing: true;
  reason: string;
}

export type SliceResult = Decoded | Missing;

export function isMissing(result: SliceResult): result is Missing {
  return (result as Missing).missing === true;
}

type Handler = (...args: any[]) => void;

/** The part of an anywidget model the client needs. */
export interface SliceModel {
  get(name: "_slices"): Record<string, EncodedArray> | null | undefined;
  on(event: string, callback: Handler): void;
  off(event?: string | null, callback?: Handler | null): void;
  send(content: any, callbacks?: any, buffers?: any): void;
}

export interface SliceClientOptions {
  /** Cache budget in bytes of decoded data (default 512 MB). */
  maxBytes?: number;
  /** Give up on an unanswered request after this many ms (default 60 s). */
  timeoutMs?: number;
  /** Called after `_slices` changed and the cache was refreshed. */
  onRefresh?: () => void;
}

interface Entry {
  value: Decoded;
  bytes: number;
  /** The trait entry it was decoded from (undefined when it came by message). */
  source?: EncodedArray;
}

interface Request {
  key: string;
  generation: number;
  resolve: (result: SliceResult) => void;
  timer: ReturnType<typeof setTimeout>;
}

let clientCount = 0;

/** Cache and request/response client for one model's slices. */
export class SliceClient {
  private trait: Record<string, EncodedArray> = {};
  private cache = new Map<string, Entry>();
  private total = 0;
  private current: string | null = null;
  private generation = 0;
  private shared = new Map<string, Promise<SliceResult>>();
  private requests = new Map<string, Request>();
  private counter = 0;
  private readonly prefix: string;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly onMessage: Handler;
  private readonly onTrait: Handler;

  constructor(
    private readonly model: SliceModel,
    private readonly options: SliceClientOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 512 * 2 ** 20;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.prefix = `s${++clientCount}-${Math.random().toString(36).slice(2, 10)}`;
    this.trait = model.get("_slices") ?? {};
    this.onMessage = (msg: unknown, buffers?: Bytes[]) => this.receive(msg, buffers ?? []);
    this.onTrait = () => this.refresh();
    model.on("msg:custom", this.onMessage);
    model.on("change:_slices", this.onTrait);
  }

  /** The slice if it is available without asking (cached or in the trait), else undefined. */
  peek(key: string): Decoded | undefined {
    const entry = this.cache.get(key);
    if (entry) {
      this.cache.delete(key);
      this.cache.set(key, entry);
      return entry.value;
    }
    const source = Object.prototype.hasOwnProperty.call(this.trait, key) ? this.trait[key] : undefined;
    if (!source) return undefined;
    const value = decode(source);
    this.store(key, value, source);
    return value;
  }

  /** The slice, requesting it when needed; requests for the same key share one promise. */
  get(key: string): Promise<SliceResult> {
    try {
      const ready = this.peek(key);
      if (ready) return Promise.resolve(ready);
    } catch (error) {
      return Promise.resolve({ missing: true, reason: `cannot decode: ${String(error)}` });
    }
    const pending = this.shared.get(key);
    if (pending) return pending;
    const id = `${this.prefix}-${++this.counter}`;
    const generation = this.generation;
    const promise = new Promise<SliceResult>((resolve) => {
      const timer = setTimeout(() => this.settle(id, { missing: true, reason: "no answer from the kernel" }), this.timeoutMs);
      this.requests.set(id, { key, generation, resolve, timer });
    });
    this.shared.set(key, promise);
    this.model.send({ type: "slice", key, id });
    return promise;
  }

  /** Mark the slice on screen: it is never evicted. */
  setCurrent(key: string | null): void {
    this.current = key;
  }

  /** Bytes currently held by decoded slices. */
  get cachedBytes(): number {
    return this.total;
  }

  /** Keys currently cached, least recently used first. */
  cachedKeys(): string[] {
    return [...this.cache.keys()];
  }

  /** Stop listening; pending requests resolve as missing. */
  dispose(): void {
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:_slices", this.onTrait);
    for (const id of [...this.requests.keys()]) this.settle(id, { missing: true, reason: "view closed" });
    this.cache.clear();
    this.total = 0;
  }

  private refresh(): void {
    this.trait = this.model.get("_slices") ?? {};
    this.generation++;
    this.shared.clear();
    for (const [key, entry] of [...this.cache]) {
      if (!entry.source || this.trait[key] !== entry.source) this.remove(key);
    }
    this.options.onRefresh?.();
  }

  private receive(msg: unknown, buffers: Bytes[]): void {
    if (!msg || typeof msg !== "object") return;
    const message = msg as { type?: string; id?: string; missing?: boolean; reason?: string; array?: ArrayHeader };
    if (message.type !== "slice" || typeof message.id !== "string") return;
    const request = this.requests.get(message.id);
    if (!request) return;
    if (message.missing || !message.array || !buffers[0]) {
      this.settle(message.id, { missing: true, reason: message.reason ?? "not available" });
      return;
    }
    let result: SliceResult;
    try {
      result = decodeArray(message.array, buffers[0]);
      if (request.generation === this.generation) this.store(request.key, result);
    } catch (error) {
      result = { missing: true, reason: `cannot decode: ${String(error)}` };
    }
    this.settle(message.id, result);
  }

  private settle(id: string, result: SliceResult): void {
    const request = this.requests.get(id);
    if (!request) return;
    this.requests.delete(id);
    clearTimeout(request.timer);
    if (request.generation === this.generation) this.shared.delete(request.key);
    request.resolve(result);
  }

  private store(key: string, value: Decoded, source?: EncodedArray): void {
    this.remove(key);
    const bytes = value.data.byteLength;
    this.cache.set(key, { value, bytes, source });
    this.total += bytes;
    for (const [old] of this.cache) {
      if (this.total <= this.maxBytes) break;
      if (old !== key && old !== this.current) this.remove(old);
    }
  }

  private remove(key: string): void {
    const entry = this.cache.get(key);
    if (!entry) return;
    this.cache.delete(key);
    this.total -= entry.bytes;
  }
}
