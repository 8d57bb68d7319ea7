/**
 * Loads slices through the slice client and says what to show: one wanted item made of one
 * or more slices (e.g. a layer's activations, a neuron's or a feature's two example slices).
 */

import type { Decoded } from "./binary";
import { isMissing, type SliceClient, type SliceResult } from "./slices";

export type Loaded<T> = { kind: "ready"; data: T } | { kind: "loading" } | { kind: "missing"; reason: string };

/** `combine(parts)` as a state: a part that cannot be read makes the item missing, never half shown. */
function combined<T>(parts: Decoded[], combine: (parts: Decoded[]) => T): Loaded<T> {
  try {
    return { kind: "ready", data: combine(parts) };
  } catch (error) {
    return { kind: "missing", reason: `cannot decode: ${error instanceof Error ? error.message : String(error)}` };
  }
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
    let ready: (Decoded | undefined)[];
    try {
      ready = keys.map((k) => this.client.peek(k));
    } catch (error) {
      this.state = { kind: "missing", reason: `cannot decode: ${String(error)}` };
      return this.state;
    }
    if (ready.every((d) => d !== undefined)) {
      this.state = combined(ready as Decoded[], combine);
      return this.state;
    }
    this.state = { kind: "loading" };
    void Promise.all(keys.map((k) => this.client.get(k))).then((results: SliceResult[]) => {
      if (ticket !== this.ticket) return;
      const missing = results.find(isMissing);
      this.state = missing ? { kind: "missing", reason: missing.reason } : combined(results as Decoded[], combine);
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

/** The reason an exported report gives for a slice it does not hold. */
export const NOT_EMBEDDED = "not embedded in this report";

/** True when a missing reason says the slice is not in an exported report. */
export function notEmbedded(reason: string): boolean {
  return reason.includes(NOT_EMBEDDED);
}
