/**
 * An intervention from the page: ask the kernel to clamp or scale the selected node or
 * supernode (`{type: "intervene", nodes, mode, value}`) and show the top predictions before and
 * after as a table (tokens as text).
 */

import { decodeArray, type ArrayHeader } from "../lib/binary";
import { make } from "../lib/dom";
import { reasonOf, type RequestClient } from "../lib/requests";
import { renderToken } from "../lib/tokens";

export interface InterventionAsk {
  /** The selected node id or supernode name. */
  selected: string;
  /** Why interventions are off ("" when they work). */
  note: string;
  mode: "clamp" | "scale";
  value: number;
}

/** Run the intervention and fill `result`; resolves with the outcome: `done`, `error` or `off`. */
export async function runIntervention(requests: RequestClient, result: HTMLElement, ask: InterventionAsk): Promise<string> {
  const { selected, note, mode, value } = ask;
  const doc = result.ownerDocument;
  result.hidden = false;
  result.classList.remove("mi-graph-error");
  if (note || !selected) {
    result.textContent = note || "Select a feature or a supernode first.";
    return "off";
  }
  result.textContent = `running the model with ${selected} ${mode === "clamp" ? `clamped to ${value}` : `× ${value}`}…`;
  try {
    const { message, buffers } = await requests.request("intervene", { nodes: [selected], mode, value });
    if (typeof message.error === "string") throw new Error(message.error);
    const probabilities = decodeArray(message.array as ArrayHeader, buffers[0]).data as Float32Array;
    const oldTokens = message.old_tokens as string[];
    const newTokens = message.new_tokens as string[];
    const k = oldTokens.length;
    const table = make(doc, "table", "");
    const head = make(doc, "tr", "", table);
    for (const text of ["before", "p", "→ after", "after", "p"]) make(doc, "th", "", head).textContent = text;
    for (let i = 0; i < k; i++) {
      const row = make(doc, "tr", "", table);
      renderToken(make(doc, "td", "", row), oldTokens[i]);
      make(doc, "td", "", row).textContent = probabilities[i].toFixed(3);
      make(doc, "td", "", row).textContent = probabilities[k + i].toFixed(3);
      renderToken(make(doc, "td", "", row), newTokens[i] ?? "");
      make(doc, "td", "", row).textContent = (probabilities[2 * k + i] ?? 0).toFixed(3);
    }
    const title = make(doc, "div", "mi-box-title");
    title.textContent = `Intervention: ${(message.changes as string[]).join("; ")}`;
    result.replaceChildren(title, table);
    return "done";
  } catch (error) {
    result.textContent = `The intervention failed: ${reasonOf(error)}`;
    result.classList.add("mi-graph-error");
    return "error";
  }
}
