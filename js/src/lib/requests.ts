/**
 * The one request/response client for kernel requests (slices, text probes, anything later).
 *
 * A request goes out as `model.send({type, id, ...content})` with a unique `id`; the kernel
 * answers with a custom message `{type, id, ...}` (bytes in `buffers`). The answer resolves
 * the pending request of the same `type` and `id`; other messages are ignored. A request with
 * no answer rejects after the timeout; dispose rejects every pending request.
 */

import type { Bytes } from "./binary";

// biome-ignore lint/suspicious/noExplicitAny: anywidget's model passes message handlers untyped arguments
type Handler = (...args: any[]) => void;

/** The part of an anywidget model the client needs. */
export interface MessageModel {
  on(event: string, callback: Handler): void;
  off(event?: string | null, callback?: Handler | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: unknown): void;
}

/** The kernel's answer: the message body and its binary buffers. */
export interface Reply {
  message: Record<string, unknown>;
  buffers: Bytes[];
}

interface Pending {
  type: string;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Said by the error of a request the kernel did not answer in time. */
export const NO_ANSWER = "no answer from the kernel";
/** Said by the error of a request pending when the view closed. */
export const VIEW_CLOSED = "view closed";

let clientCount = 0;

export class RequestClient {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = `r${++clientCount}-${Math.random().toString(36).slice(2, 10)}`;
  private counter = 0;
  private readonly onMessage: Handler;

  /** `timeoutMs`: how long a request waits for its answer (default 60 s). */
  constructor(
    private readonly model: MessageModel,
    private readonly timeoutMs = 60_000,
  ) {
    this.onMessage = (msg: unknown, buffers?: Bytes[]) => this.receive(msg, buffers ?? []);
    model.on("msg:custom", this.onMessage);
  }

  /** Send `{type, id, ...content}`; resolves with the answer of the same type and id. */
  request(type: string, content: Record<string, unknown>): Promise<Reply> {
    const id = `${this.prefix}-${++this.counter}`;
    const promise = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(id, NO_ANSWER), this.timeoutMs);
      this.pending.set(id, { type, resolve, reject, timer });
    });
    this.model.send({ ...content, type, id });
    return promise;
  }

  /** How many requests wait for an answer. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Stop listening; pending requests reject with `VIEW_CLOSED`. */
  dispose(): void {
    this.model.off("msg:custom", this.onMessage);
    for (const id of [...this.pending.keys()]) this.fail(id, VIEW_CLOSED);
  }

  private receive(msg: unknown, buffers: Bytes[]): void {
    if (!msg || typeof msg !== "object") return;
    const message = msg as Record<string, unknown>;
    const id = message.id;
    if (typeof id !== "string") return;
    const request = this.pending.get(id);
    if (!request || request.type !== message.type) return;
    this.pending.delete(id);
    clearTimeout(request.timer);
    request.resolve({ message, buffers });
  }

  private fail(id: string, reason: string): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    clearTimeout(request.timer);
    request.reject(new Error(reason));
  }
}

/** The message of a rejection reason. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
