/**
 * "Try your own text": the page sends `{type: "text", id, text, feature}` to the kernel, which
 * answers `{type: "text", id, feature, tokens, array}` with the feature's activation at each
 * token as `buffers[0]` (float32 `[pos]`), or `{type: "text", id, error}`. Only the answer to
 * the latest request counts.
 */

import { decodeArray, type ArrayHeader } from "../lib/binary";
import { type Reply, type RequestClient, reasonOf } from "../lib/requests";

export type ProbeState =
  | { kind: "idle" }
  | { kind: "running"; feature: number }
  | { kind: "ready"; feature: number; tokens: string[]; values: Float64Array }
  | { kind: "error"; message: string };

interface Answer {
  feature?: number;
  tokens?: unknown;
  array?: ArrayHeader;
  error?: string;
}

export class TextProbe {
  state: ProbeState = { kind: "idle" };
  /** The text last sent. */
  text = "";
  /** Counts runs: only the answer to the latest run counts. */
  private ticket = 0;

  constructor(
    private readonly requests: RequestClient,
    private readonly onChange: () => void,
  ) {}

  /** Ask the kernel for `feature`'s activations on `text`. */
  run(text: string, feature: number): void {
    this.text = text;
    const ticket = ++this.ticket;
    if (!text) {
      this.settle({ kind: "idle" });
      return;
    }
    this.state = { kind: "running", feature };
    const latest = (state: ProbeState) => {
      if (ticket === this.ticket) this.settle(state);
    };
    this.requests.request("text", { text, feature }).then(
      (reply) => latest(readAnswer(reply)),
      (error: unknown) => latest({ kind: "error", message: reasonOf(error) }),
    );
    this.onChange();
  }

  /** Rerun the last text when another feature is shown. */
  follow(feature: number): void {
    const shown = this.state.kind === "ready" || this.state.kind === "running" ? this.state.feature : null;
    if (this.text && shown !== null && shown !== feature) this.run(this.text, feature);
  }

  /** Forget the pending run: its answer no longer changes the state. */
  dispose(): void {
    this.ticket++;
  }

  private settle(state: ProbeState): void {
    this.state = state;
    this.onChange();
  }
}

/** The probe state an answer says: the activations per token, or the kernel's error. */
function readAnswer({ message, buffers }: Reply): ProbeState {
  const answer = message as Answer;
  if (answer.error !== undefined) return { kind: "error", message: String(answer.error) };
  const tokens = answer.tokens;
  try {
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new Error("no tokens in the answer");
    if (!answer.array || !buffers[0]) throw new Error("no activations in the answer");
    const d = decodeArray(answer.array, buffers[0]);
    if (d.data.length !== tokens.length) throw new Error(`${d.data.length} activations for ${tokens.length} tokens`);
    const values = Float64Array.from(d.data, (v) => d.offset + d.scale * v);
    return { kind: "ready", feature: Number(answer.feature), tokens: tokens as string[], values };
  } catch (error) {
    return { kind: "error", message: `cannot read the answer: ${reasonOf(error)}` };
  }
}
