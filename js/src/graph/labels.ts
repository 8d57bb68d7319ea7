/** Node names in words and the text of the hover tooltip (exact values, plain text). */

import { formatValue } from "../lib/diverging";
import { shortToken } from "../lib/tokens";
import type { GraphData } from "./data";
import { type Display, incoming, outgoing } from "./display";
import { EMBEDDING, ERROR, FEATURE } from "./model";

export interface Names {
  g: GraphData;
  display: Display;
  ids: readonly string[];
  tokens: readonly string[];
  logitTokens: readonly string[];
}

/** A shown node in words: `L1 F412 @7 ' cat'`, `error L0 @2`, `emb @0 'The'`, `logit ' dog' p=0.420`, a supernode's name. */
export function nodeLabel(names: Names, node: number): string {
  const { g, tokens } = names;
  if (node >= g.n) {
    const group = names.display.supernodes[node - g.n];
    return `supernode "${group.name}" (${group.members.length} nodes)`;
  }
  const token = (pos: number) => JSON.stringify(shortToken(tokens[pos] ?? "", 24));
  const pos = g.position[node];
  const kind = g.kind[node];
  if (kind === FEATURE) return `L${g.layer[node]} F${g.index[node]} @${pos} ${token(pos)}`;
  if (kind === ERROR) return `error L${g.layer[node]} @${pos} ${token(pos)}`;
  if (kind === EMBEDDING) return `emb @${pos} ${token(pos)}`;
  const logit = names.logitTokens[node - (g.n - names.logitTokens.length)] ?? "";
  return `logit ${JSON.stringify(shortToken(logit, 24))} p=${g.activation[node].toFixed(3)}`;
}

/** The id of a shown node: its node id, or a supernode's name. */
export function nodeId(names: Names, node: number): string {
  return node >= names.g.n ? names.display.supernodes[node - names.g.n].name : (names.ids[node] ?? "");
}

const LISTED = 6;

/** Tooltip of a shown node: label, value, and its strongest edges with exact weights. */
export function nodeTip(names: Names, node: number): { text: string; data: Record<string, string> } {
  const { g, display } = names;
  const lines = [nodeLabel(names, node)];
  if (node < g.n) {
    if (g.kind[node] === FEATURE) lines.push(`activation ${formatValue(g.activation[node])}`);
    if (Number.isFinite(g.value[node])) lines.push(`value ${g.value[node]}`);
  }
  const edges = (list: Int32Array, end: Int32Array, title: string) => {
    const all = [...list];
    if (!all.length) return [];
    lines.push(`${title} (${all.length}):`);
    for (const k of all.slice(0, LISTED)) lines.push(`  ${display.weight[k] >= 0 ? "+" : ""}${display.weight[k]}  ${nodeLabel(names, end[k])}`);
    if (all.length > LISTED) lines.push(`  … ${all.length - LISTED} more`);
    return all.map((k) => [nodeId(names, end[k]), display.weight[k]]);
  };
  const inputs = edges(incoming(display, node), display.source, "inputs");
  const outputs = edges(outgoing(display, node), display.target, "outputs");
  return {
    text: lines.join("\n"),
    data: { node: nodeId(names, node), inputs: JSON.stringify(inputs), outputs: JSON.stringify(outputs) },
  };
}
