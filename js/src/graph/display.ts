/**
 * What the view shows: the nodes pruning keeps plus the pinned ones, with each supernode
 * drawn as one node in place of its members and its edges the sums of its members' edges.
 *
 * Shown nodes are numbered `0 .. n - 1` for graph nodes and `n + g` for supernode `g`.
 */

import type { GraphData } from "./data";
import type { Pruned } from "./prune";

export interface Supernode {
  name: string;
  members: number[];
}

export interface Display {
  /** Shown node numbers (graph nodes, then supernodes `n + g`). */
  nodes: number[];
  supernodes: Supernode[];
  /** Shown edges: source and target numbers and summed weights. */
  source: Int32Array;
  target: Int32Array;
  weight: Float32Array;
  /** Edges of each shown node: `out[node]`, `in[node]` (edge indices), largest |weight| first. */
  out: Map<number, number[]>;
  in: Map<number, number[]>;
}

/** The display of `graph` pruned as `pruned`, with `pinned` node indices and `groups`. */
export function buildDisplay(graph: GraphData, pruned: Pruned, pinned: ReadonlySet<number>, groups: Supernode[]): Display {
  const n = graph.n;
  const rep = new Int32Array(n);
  for (let i = 0; i < n; i++) rep[i] = i;
  groups.forEach((group, g) => {
    for (const m of group.members) rep[m] = n + g;
  });
  const shown = (i: number) => pruned.nodes[i] === 1 || pinned.has(i);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) if (shown(i)) seen.add(rep[i]);
  const sums = new Map<number, number>();
  const pairs: [number, number][] = [];
  const { source, target, weight } = graph;
  for (let k = 0; k < source.length; k++) {
    const s = source[k];
    const t = target[k];
    if (!shown(s) || !shown(t)) continue;
    if (!pruned.edges[k] && !pinned.has(s) && !pinned.has(t)) continue;
    const a = rep[s];
    const b = rep[t];
    if (a === b) continue;
    const key = a * (n + groups.length) + b;
    const before = sums.get(key);
    if (before === undefined) pairs.push([a, b]);
    sums.set(key, (before ?? 0) + weight[k]);
  }
  const count = pairs.length;
  const display: Display = {
    nodes: [...seen].sort((x, y) => x - y),
    supernodes: groups,
    source: new Int32Array(count),
    target: new Int32Array(count),
    weight: new Float32Array(count),
    out: new Map(),
    in: new Map(),
  };
  pairs.forEach(([a, b], k) => {
    display.source[k] = a;
    display.target[k] = b;
    display.weight[k] = sums.get(a * (n + groups.length) + b) ?? 0;
    push(display.out, a, k);
    push(display.in, b, k);
  });
  const byMagnitude = (x: number, y: number) => Math.abs(display.weight[y]) - Math.abs(display.weight[x]) || x - y;
  for (const list of display.out.values()) list.sort(byMagnitude);
  for (const list of display.in.values()) list.sort(byMagnitude);
  return display;
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Supernodes of the `supernodes` trait as node indices (unknown ids left out, empty groups dropped). */
export function readSupernodes(trait: Record<string, string[]>, indexOf: ReadonlyMap<string, number>): Supernode[] {
  const out: Supernode[] = [];
  for (const [name, ids] of Object.entries(trait ?? {})) {
    const members = ids.map((id) => indexOf.get(id)).filter((i): i is number => i !== undefined);
    if (members.length) out.push({ name, members });
  }
  return out;
}
