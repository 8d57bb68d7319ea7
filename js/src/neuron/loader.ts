/**
 * Loads slices through the slice client and says what to show: the current layer's
 * activations, and the selected neuron's examples (two slices).
 */

import type { Decoded } from "../lib/binary";
import { isMissing, type SliceClient, type SliceResult } from "../lib/slices";

export type Loaded<T> = { kind: "ready"; data: T } | { kind: "loading" } | { kind: "missing"; reason: string };

/** The examples of one neuron: window activations `[k, W]` and ids `[k, 2 + W]`. */
export interface ExampleData {
  values: Decoded;
  ids: Decoded;
}

/** Keeps the state of one wanted item (a key or a pair of keys); stale answers are dropped. */
export class Loader<T> {
  private key = "";
  private state: Loaded<T> = { kind: "loading" };
  private ticket = 0;

  constructor(
    private readonly client: SliceClient,
    private readonly onSettled: () => void,
  ) {}

  /** The state of the slices `keys`, combined by `combine`; requests what is missing. */
  load(keys: string[], combine: (parts: Decoded[]) => T, current = false): Loaded<T> {
    const key = keys.join("|");
    if (current) this.client.setCurrent(keys[0]);
    if (key === this.key) return this.state;
    this.key = key;
    const ticket = ++this.ticket;
    try {
      const ready = keys.map((k) => this.client.peek(k));
      if (ready.every((d) => d !== undefined)) return (this.state = { kind: "ready", data: combine(ready as Decoded[]) });
    } catch (error) {
      return (this.state = { kind: "missing", reason: `cannot decode: ${String(error)}` });
    }
    this.state = { kind: "loading" };
    void Promise.all(keys.map((k) => this.client.get(k))).then((results: SliceResult[]) => {
      if (ticket !== this.ticket) return;
      const missing = results.find(isMissing);
      this.state = missing ? { kind: "missing", reason: missing.reason } : { kind: "ready", data: combine(results as Decoded[]) };
      this.onSettled();
    });
    return this.state;
  }

  /** Forget what was loaded (the slices changed). */
  reset(): void {
    this.key = "";
    this.ticket++;
  }
}

/** True when a missing reason says the slice is not in an exported report. */
export function notEmbedded(reason: string): boolean {
  return /not embedded/i.test(reason);
}
