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
  /** Every shown edge, strongest (largest |weight|) first. */
  order: Int32Array;
  /** Edge indices by source (`outEdges[outStart[node] .. outStart[node + 1]]`) and by target, largest |weight| first. */
  outStart: Int32Array;
  outEdges: Int32Array;
  inStart: Int32Array;
  inEdges: Int32Array;
}

/** Edges leaving shown node `node`, strongest first. */
export function outgoing(display: Display, node: number): Int32Array {
  return display.outEdges.subarray(display.outStart[node], display.outStart[node + 1]);
}

/** Edges entering shown node `node`, strongest first. */
export function incoming(display: Display, node: number): Int32Array {
  return display.inEdges.subarray(display.inStart[node], display.inStart[node + 1]);
}

/** The display of `graph` pruned as `pruned`, with `pinned` node indices and `groups`. */
export function buildDisplay(graph: GraphData, pruned: Pruned, pinned: ReadonlySet<number>, groups: Supernode[]): Display {
  const n = graph.n;
  const rep = new Int32Array(n);
  for (let i = 0; i < n; i++) rep[i] = i;
  groups.forEach((group, g) => {
    for (const m of group.members) rep[m] = n + g;
  });
  const pin = new Uint8Array(n);
  for (const i of pinned) pin[i] = 1;
  const shown = new Uint8Array(n);
  for (let i = 0; i < n; i++) shown[i] = pruned.nodes[i] | pin[i];
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) if (shown[i]) seen.add(rep[i]);
  const { source, target, weight } = graph;
  const source2 = new Int32Array(source.length);
  const target2 = new Int32Array(source.length);
  const weight2 = new Float64Array(source.length);
  let count = 0;
  // edges into or out of a supernode are summed per (source, target) pair
  const merged = new Map<number, number>();
  const width = n + groups.length;
  for (let k = 0; k < source.length; k++) {
    const s = source[k];
    const t = target[k];
    if (!(shown[s] & shown[t]) || !(pruned.edges[k] | pin[s] | pin[t])) continue;
    const a = rep[s];
    const b = rep[t];
    if (a === b) continue;
    const key = a * width + b;
    const at = a === s && b === t ? undefined : merged.get(key);
    if (at !== undefined) {
      weight2[at] += weight[k];
      continue;
    }
    if (a !== s || b !== t) merged.set(key, count);
    source2[count] = a;
    target2[count] = b;
    weight2[count++] = weight[k];
  }
  const edges = {
    source: source2.slice(0, count),
    target: target2.slice(0, count),
    weight: Float32Array.from(weight2.subarray(0, count)),
  };
  const order = byMagnitude(edges.weight);
  const [outStart, outEdges] = grouped(edges.source, order, width);
  const [inStart, inEdges] = grouped(edges.target, order, width);
  return { nodes: [...seen].sort((x, y) => x - y), supernodes: groups, ...edges, order, outStart, outEdges, inStart, inEdges };
}

/** Edge indices by decreasing |weight| (ties: lower index first), with one numeric sort. */
export function byMagnitude(weight: Float32Array): Int32Array {
  const e = weight.length;
  if (e >= INDEX_SPAN) throw new Error(`too many edges to sort: ${e}`);
  // |w| as float32 bits orders like an integer; the low bits carry the (reversed) index
  const bits = new Uint32Array(weight.buffer, weight.byteOffset, e);
  const keys = new Float64Array(e);
  for (let k = 0; k < e; k++) keys[k] = (bits[k] & 0x7fffffff) * INDEX_SPAN + (INDEX_SPAN - 1 - k);
  keys.sort();
  const order = new Int32Array(e);
  for (let j = 0; j < e; j++) {
    const key = keys[e - 1 - j];
    order[j] = INDEX_SPAN - 1 - (key - Math.floor(key / INDEX_SPAN) * INDEX_SPAN);
  }
  return order;
}

/** Up to 2**21 edges: float32 bits (31) and an index (21) fit a float64's 53-bit integers. */
const INDEX_SPAN = 2 ** 21;

/** `[start [size + 1], edges]`: edge indices grouped by `keys[edge]`, each group in `order`. */
function grouped(keys: Int32Array, order: Int32Array, size: number): [Int32Array, Int32Array] {
  const start = new Int32Array(size + 1);
  for (let k = 0; k < keys.length; k++) start[keys[k] + 1]++;
  for (let i = 0; i < size; i++) start[i + 1] += start[i];
  const fill = start.slice(0, size);
  const edges = new Int32Array(keys.length);
  for (const k of order) edges[fill[keys[k]]++] = k;
  return [start, edges];
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
