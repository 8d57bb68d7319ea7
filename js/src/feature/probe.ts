/**
 * "Try your own text": the page sends `{type: "text", id, text, feature}` to the kernel, which
 * answers `{type: "text", id, feature, tokens, array}` with the feature's activation at each
 * token as `buffers[0]` (float32 `[pos]`), or `{type: "text", id, error}`. Only the answer to
 * the latest request counts.
 */

import { decodeArray, type ArrayHeader, type Bytes } from "../lib/binary";

export type ProbeState =
  | { kind: "idle" }
  | { kind: "running"; feature: number }
  | { kind: "ready"; feature: number; tokens: string[]; values: Float64Array }
  | { kind: "error"; message: string };

type Handler = (...args: any[]) => void;

/** The part of a model the probe needs. */
export interface ProbeModel {
  on(event: string, callback: Handler): void;
  off(event?: string | null, callback?: Handler | null): void;
  send(content: unknown): void;
}

interface Reply {
  type?: string;
  id?: string;
  feature?: number;
  tokens?: unknown;
  array?: ArrayHeader;
  error?: string;
}

let probes = 0;

export class TextProbe {
  state: ProbeState = { kind: "idle" };
  /** The text last sent. */
  text = "";
  private pending: string | null = null;
  private counter = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly prefix = `t${++probes}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly onMessage: Handler;

  constructor(
    private readonly model: ProbeModel,
    private readonly onChange: () => void,
    private readonly timeoutMs = 60_000,
  ) {
    this.onMessage = (msg: unknown, buffers?: Bytes[]) => this.receive(msg as Reply, buffers ?? []);
    model.on("msg:custom", this.onMessage);
  }

  /** Ask the kernel for `feature`'s activations on `text`. */
  run(text: string, feature: number): void {
    this.text = text;
    if (!text) {
      this.settle({ kind: "idle" });
      return;
    }
    const id = `${this.prefix}-${++this.counter}`;
    this.pending = id;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.pending === id) this.settle({ kind: "error", message: "no answer from the kernel" });
    }, this.timeoutMs);
    this.state = { kind: "running", feature };
    this.model.send({ type: "text", id, text, feature });
    this.onChange();
  }

  /** Rerun the last text when another feature is shown. */
  follow(feature: number): void {
    const shown = this.state.kind === "ready" || this.state.kind === "running" ? this.state.feature : null;
    if (this.text && shown !== null && shown !== feature) this.run(this.text, feature);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.model.off("msg:custom", this.onMessage);
  }

  private receive(reply: Reply, buffers: Bytes[]): void {
    if (!reply || reply.type !== "text" || reply.id !== this.pending) return;
    if (reply.error !== undefined) {
      this.settle({ kind: "error", message: String(reply.error) });
      return;
    }
    const tokens = reply.tokens;
    try {
      if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new Error("no tokens in the answer");
      if (!reply.array || !buffers[0]) throw new Error("no activations in the answer");
      const d = decodeArray(reply.array, buffers[0]);
      if (d.data.length !== tokens.length) throw new Error(`${d.data.length} activations for ${tokens.length} tokens`);
      const values = Float64Array.from(d.data, (v) => d.offset + d.scale * v);
      this.settle({ kind: "ready", feature: Number(reply.feature), tokens: tokens as string[], values });
    } catch (error) {
      this.settle({ kind: "error", message: `cannot read the answer: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  private settle(state: ProbeState): void {
    this.pending = null;
    clearTimeout(this.timer);
    this.state = state;
    this.onChange();
  }
}
