/**
 * The graph as typed arrays: node arrays and the edge list decoded from `_nodes`/`_edges`,
 * with the edges indexed by source and by target (CSR) for hover, selection and keys.
 */

import { decode } from "../lib/binary";
import { LOGIT, type EdgesTrait, type NodesTrait } from "./model";

export interface GraphData {
  n: number;
  kind: Int32Array;
  /** The block (-1 embeddings, `n_layers` logits). */
  layer: Int32Array;
  position: Int32Array;
  /** Feature index (features), token id (embeddings, logits), -1 (errors). */
  index: Int32Array;
  /** Activation (features), probability (logits), NaN otherwise. */
  activation: Float32Array;
  value: Float32Array;
  source: Int32Array;
  target: Int32Array;
  weight: Float32Array;
  /** Edges leaving node `i`: `outEdges[outStart[i] .. outStart[i + 1]]` (edge indices). */
  outStart: Int32Array;
  outEdges: Int32Array;
  /** Edges entering node `i`. */
  inStart: Int32Array;
  inEdges: Int32Array;
  /** Logit probabilities on the logit nodes, 0 elsewhere (the weights of pruning). */
  logitWeights: Float64Array;
}

/** Decode the traits; throws with the reason when their shapes disagree or an edge is not finite. */
export function readGraph(nodes: NodesTrait, edges: EdgesTrait): GraphData {
  const ints = decode(nodes.ints);
  const floats = decode(nodes.floats);
  const ends = decode(edges.ends);
  const weight = decode(edges.weight).data as Float32Array;
  const n = ints.shape[1] ?? 0;
  const e = weight.length;
  if (ints.shape[0] !== 4 || floats.shape[0] !== 2 || floats.shape[1] !== n) {
    throw new Error(`node arrays of shapes [${ints.shape}] and [${floats.shape}], expected [4, n] and [2, n]`);
  }
  if (ends.shape[0] !== 2 || ends.shape[1] !== e) throw new Error(`edge ends of shape [${ends.shape}], expected [2, ${e}]`);
  const i32 = ints.data as Int32Array;
  const f32 = floats.data as Float32Array;
  const endData = ends.data as Int32Array;
  const source = endData.subarray(0, e);
  const target = endData.subarray(e, 2 * e);
  for (let k = 0; k < e; k++) {
    if (source[k] < 0 || source[k] >= n || target[k] < 0 || target[k] >= n) throw new Error(`edge ${k} joins nodes outside 0..${n - 1}`);
    if (!Number.isFinite(weight[k])) throw new Error(`edge ${k} has weight ${weight[k]}, expected a finite number`);
  }
  const kind = i32.subarray(0, n);
  const activation = f32.subarray(0, n);
  const logitWeights = new Float64Array(n);
  for (let i = 0; i < n; i++) if (kind[i] === LOGIT) logitWeights[i] = activation[i];
  const [outStart, outEdges] = csr(source, n);
  const [inStart, inEdges] = csr(target, n);
  return {
    n, kind, layer: i32.subarray(n, 2 * n), position: i32.subarray(2 * n, 3 * n), index: i32.subarray(3 * n, 4 * n),
    activation, value: f32.subarray(n, 2 * n), source, target, weight, outStart, outEdges, inStart, inEdges, logitWeights,
  };
}

/** Edge indices grouped by `keys[edge]` (a node): `[start [n + 1], edges [e]]`. */
function csr(keys: Int32Array, n: number): [Int32Array, Int32Array] {
  const start = new Int32Array(n + 1);
  for (let k = 0; k < keys.length; k++) start[keys[k] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const edges = new Int32Array(keys.length);
  for (let k = 0; k < keys.length; k++) edges[fill[keys[k]]++] = k;
  return [start, edges];
}
