/**
 * Lazy slices: named pieces of a view's heavy data.
 *
 * Slices in the `_slices` trait are decoded on first use. Any other slice is requested with
 * `model.send({type: "slice", key, id})`; the answer is a custom message
 * `{type: "slice", id, key, array}` with the bytes in `buffers[0]`, or
 * `{type: "slice", id, key, missing: true, reason}`. Decoded slices are kept in a cache
 * bounded by bytes (least recently used first out, the current slice never).
 */

import { decode, decodeArray, type ArrayHeader, type Decoded, type EncodedArray } from "./binary";
import { type MessageModel, type Reply, RequestClient, reasonOf } from "./requests";

/** A slice that could not be provided, and why. */
export interface Missing {
  missing: true;
  reason: string;
}

export type SliceResult = Decoded | Missing;

export function isMissing(result: SliceResult): result is Missing {
  return (result as Missing).missing === true;
}

/** The part of an anywidget model the client needs. */
export interface SliceModel extends MessageModel {
  get(name: "_slices"): Record<string, EncodedArray> | null | undefined;
}

export interface SliceClientOptions {
  /** Cache budget in bytes of decoded data (default 512 MB). */
  maxBytes?: number;
  /** Give up on an unanswered request after this many ms (default 60 s). */
  timeoutMs?: number;
  /** Called after `_slices` changed and the cache was refreshed. */
  onRefresh?: () => void;
  /** The view's request client (default: one of the slice client's own). */
  requests?: RequestClient;
}

interface Entry {
  value: Decoded;
  bytes: number;
  /** The trait entry it was decoded from (undefined when it came by message). */
  source?: EncodedArray;
}

/** Cache and request/response client for one model's slices. */
export class SliceClient {
  private trait: Record<string, EncodedArray> = {};
  private cache = new Map<string, Entry>();
  private total = 0;
  private current: string | null = null;
  private generation = 0;
  private shared = new Map<string, Promise<SliceResult>>();
  private readonly requests: RequestClient;
  /** True when the requests client is this slice client's own (disposed with it). */
  private readonly ownsRequests: boolean;
  private readonly maxBytes: number;
  private readonly onTrait: () => void;

  constructor(
    private readonly model: SliceModel,
    private readonly options: SliceClientOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 512 * 2 ** 20;
    this.ownsRequests = !options.requests;
    this.requests = options.requests ?? new RequestClient(model, options.timeoutMs);
    this.trait = model.get("_slices") ?? {};
    this.onTrait = () => this.refresh();
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
    const source = Object.hasOwn(this.trait, key) ? this.trait[key] : undefined;
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
    const generation = this.generation;
    const settle = (result: SliceResult): SliceResult => {
      if (generation === this.generation) this.shared.delete(key);
      return result;
    };
    const promise = this.requests.request("slice", { key }).then(
      (reply) => settle(this.accept(key, generation, reply)),
      (error: unknown) => settle({ missing: true, reason: reasonOf(error) }),
    );
    this.shared.set(key, promise);
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
    this.model.off("change:_slices", this.onTrait);
    if (this.ownsRequests) this.requests.dispose();
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

  /** The slice in an answer (cached unless the slices changed since it was asked for). */
  private accept(key: string, generation: number, { message, buffers }: Reply): SliceResult {
    const array = message.array as ArrayHeader | undefined;
    if (message.missing || !array || !buffers[0]) {
      return { missing: true, reason: typeof message.reason === "string" ? message.reason : "not available" };
    }
    try {
      const result = decodeArray(array, buffers[0]);
      if (generation === this.generation) this.store(key, result);
      return result;
    } catch (error) {
      return { missing: true, reason: `cannot decode: ${String(error)}` };
    }
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
