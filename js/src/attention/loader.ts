/**
 * Loads the current layer's attention through the slice client and says what to show.
 */

import type { Decoded } from "../lib/binary";
import { isMissing, type SliceClient } from "../lib/slices";
import { layerKey } from "./model";

export type LayerState =
  | { kind: "ready"; data: Decoded }
  | { kind: "loading" }
  | { kind: "missing"; text: string };

/** The page's sentence for a layer that could not be had. */
export function missingText(layer: number, reason: string): string {
  return /not embedded/i.test(reason)
    ? `Layer ${layer} is not embedded in this report`
    : `Layer ${layer} is not available: ${reason}`;
}

export class LayerLoader {
  private key = "";
  private state: LayerState = { kind: "loading" };
  private ticket = 0;

  constructor(
    private readonly client: SliceClient,
    private readonly onSettled: () => void,
  ) {}

  /** The state of `layer`; starts a request when needed and calls `onSettled` when it ends. */
  load(layer: number): LayerState {
    const key = layerKey(layer);
    this.client.setCurrent(key);
    if (key === this.key) return this.state;
    this.key = key;
    const ticket = ++this.ticket;
    try {
      const data = this.client.peek(key);
      if (data) return (this.state = { kind: "ready", data });
    } catch (error) {
      return (this.state = { kind: "missing", text: `Layer ${layer} cannot be decoded: ${String(error)}` });
    }
    this.state = { kind: "loading" };
    void this.client.get(key).then((result) => {
      if (ticket !== this.ticket) return;
      this.state = isMissing(result) ? { kind: "missing", text: missingText(layer, result.reason) } : { kind: "ready", data: result };
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
