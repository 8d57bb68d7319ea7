/**
 * Pruning by influence on the logits, as `AttributionGraph.prune` does it (circuit-tracer's
 * algorithm), on the edge list:
 *
 * 1. `A` = |adjacency| with each target's incoming weights summing to 1; a node's influence
 *    is `w (A + A² + …)`, `w` the logit probabilities on the logit nodes.
 * 2. Nodes are kept in order of influence until the cumulative influence reaches
 *    `nodeThreshold` (ties kept; all when the total is 0); embeddings and logits always.
 * 3. On the adjacency restricted to kept nodes, an edge's score is its normalised weight ×
 *    (its target's influence + its target's logit weight); edges are kept likewise up to
 *    `edgeThreshold` (scores of the whole `n × n` matrix, zeros included; only nonzero
 *    edges between kept nodes can be kept).
 * 4. Features and errors without a kept outgoing edge, and features without a kept incoming
 *    edge, are dropped, repeatedly, with their edges.
 *
 * Sums are in float64 (Python's in float32: a tie at a threshold is the only place they can
 * differ).
 */

import { EMBEDDING, LOGIT } from "./model";

/** The part of a graph pruning needs. */
export interface PruneInput {
  n: number;
  kind: ArrayLike<number>;
  source: ArrayLike<number>;
  target: ArrayLike<number>;
  weight: ArrayLike<number>;
  logitWeights: ArrayLike<number>;
}

export interface Pruned {
  /** 1 for a kept node. */
  nodes: Uint8Array;
  /** 1 for a kept edge. */
  edges: Uint8Array;
  /** Each node's influence on the logits in the whole graph. */
  influence: Float64Array;
}

/** `w (A + A² + …)` for the row-normalised `|weights|` of the edges with `mask` (all when null). */
export function influence(g: PruneInput, mask: Uint8Array | null): Float64Array {
  return influenceThrough(g, normalised(g, mask));
}

/** Each edge's `|weight|` over the sum of its target's incoming `|weights|` (edges outside `mask`: 0). */
function normalised(g: PruneInput, mask: Uint8Array | null): Float64Array {
  const { n, target, weight } = g;
  const e = target.length;
  const rowSum = new Float64Array(n);
  for (let k = 0; k < e; k++) if (!mask || mask[k]) rowSum[target[k]] += Math.abs(weight[k]);
  const out = new Float64Array(e);
  for (let k = 0; k < e; k++) if (!mask || mask[k]) out[k] = Math.abs(weight[k]) / Math.max(rowSum[target[k]], 1e-10);
  return out;
}

/** `w (A + A² + …)` for the normalised edge weights `a` (summed until no path carries more). */
function influenceThrough(g: PruneInput, a: Float64Array): Float64Array {
  const { n, source, target } = g;
  const total = new Float64Array(n);
  let current = Float64Array.from(g.logitWeights);
  let next = new Float64Array(n);
  for (let step = 0; step <= n; step++) {
    next.fill(0);
    let any = false;
    for (let k = 0; k < source.length; k++) {
      const flow = current[target[k]] * a[k];
      if (flow !== 0) {
        next[source[k]] += flow;
        any = true;
      }
    }
    if (!any) break;
    for (let i = 0; i < n; i++) total[i] += next[i];
    [current, next] = [next, current];
  }
  return total;
}

/** The smallest score kept: scores sorted down until their cumulative share reaches `threshold`. */
export function thresholdScore(scores: Float64Array, threshold: number): number {
  const sorted = Float64Array.from(scores).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  if (sorted.length === 0 || !(sum > 0)) return 0;
  let cumulative = 0;
  for (let i = sorted.length - 1; i >= 0; i--) {
    cumulative += sorted[i];
    if (cumulative / sum >= threshold) return sorted[i];
  }
  return sorted[0];
}

/** Which nodes and edges `prune(nodeThreshold, edgeThreshold)` keeps. */
export function prune(g: PruneInput, nodeThreshold: number, edgeThreshold: number): Pruned {
  const { n, kind, source, target } = g;
  const e = source.length;
  const nodeInfluence = influence(g, null);
  const nodes = new Uint8Array(n);
  const nodeCut = thresholdScore(nodeInfluence, nodeThreshold);
  for (let i = 0; i < n; i++) {
    nodes[i] = nodeInfluence[i] >= nodeCut || kind[i] === EMBEDDING || kind[i] === LOGIT ? 1 : 0;
  }
  const between = new Uint8Array(e);
  let everyEdge = true;
  for (let k = 0; k < e; k++) {
    between[k] = nodes[source[k]] & nodes[target[k]];
    everyEdge &&= between[k] === 1;
  }
  const a = normalised(g, between);
  // with every edge between kept nodes the kept graph is the whole graph: same influence
  const kept = everyEdge ? nodeInfluence : influenceThrough(g, a);
  // every entry of the n × n matrix has a score: zero entries score 0
  const scores = new Float64Array(n * n > e ? e + 1 : e);
  for (let k = 0; k < e; k++) scores[k] = a[k] * (kept[target[k]] + g.logitWeights[target[k]]);
  const edgeCut = thresholdScore(scores, edgeThreshold);
  const edges = new Uint8Array(e);
  for (let k = 0; k < e; k++) edges[k] = between[k] && g.weight[k] !== 0 && scores[k] >= edgeCut ? 1 : 0;
  dropDangling(g, nodes, edges);
  return { nodes, edges, influence: nodeInfluence };
}

/** Drop features/errors without kept outgoing edges and features without incoming ones, until stable. */
function dropDangling(g: PruneInput, nodes: Uint8Array, edges: Uint8Array): void {
  const { n, kind, source, target } = g;
  for (;;) {
    const hasOut = new Uint8Array(n);
    const hasIn = new Uint8Array(n);
    for (let k = 0; k < source.length; k++) {
      if (!edges[k]) continue;
      hasOut[source[k]] = 1;
      hasIn[target[k]] = 1;
    }
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (!nodes[i] || kind[i] === EMBEDDING || kind[i] === LOGIT) continue;
      if (!hasOut[i] || (kind[i] === 0 && !hasIn[i])) {
        nodes[i] = 0;
        changed = true;
      }
    }
    if (!changed) return;
    for (let k = 0; k < source.length; k++) if (edges[k] && !(nodes[source[k]] && nodes[target[k]])) edges[k] = 0;
  }
}
