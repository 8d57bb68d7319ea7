/**
 * Reading a decoded layer `[N, neurons]`: one neuron's column, the peak of every neuron,
 * the top neurons at a token. Pure functions over typed arrays (tested without a DOM).
 */

import type { Decoded } from "../lib/binary";

/** Activations of `neuron` at every position, as float64 `[N]` (written into `out`). */
export function column(d: Decoded, neuron: number, out: Float64Array = new Float64Array(d.shape[0])): Float64Array {
  const [n, m] = d.shape;
  const { data, scale, offset } = d;
  for (let t = 0, i = neuron; t < n; t++, i += m) out[t] = offset + scale * data[i];
  return out;
}

/** Largest |value| of an array. */
export function peakAbs(values: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > peak) peak = a;
  }
  return peak;
}

const maxima = new WeakMap<Decoded, Float64Array>();

/** Max over positions of every neuron, `[neurons]` (computed once per decoded layer). */
export function neuronMaxima(d: Decoded): Float64Array {
  let out = maxima.get(d);
  if (out) return out;
  const [n, m] = d.shape;
  const { data, scale, offset } = d;
  const raw = new Float64Array(m).fill(-Infinity);
  for (let t = 0; t < n; t++) {
    const row = t * m;
    for (let j = 0; j < m; j++) if (data[row + j] > raw[j]) raw[j] = data[row + j];
  }
  out = raw.map((v) => offset + scale * v);
  maxima.set(d, out);
  return out;
}

/** Neuron indices sorted by their maximum on the text, highest first (ties: lower index). */
export function neuronsByMax(d: Decoded): Int32Array {
  const max = neuronMaxima(d);
  const order = Int32Array.from({ length: max.length }, (_, i) => i);
  return order.sort((a, b) => max[b] - max[a] || a - b);
}

/** The neuron with the highest maximum on the text (ties: the lower index). */
export function mostActiveNeuron(d: Decoded): number {
  const max = neuronMaxima(d);
  let best = 0;
  for (let j = 1; j < max.length; j++) if (max[j] > max[best]) best = j;
  return best;
}

/** The `k` most active neurons at position `t` as `[neuron, value]`, highest first. */
export function topNeuronsAt(d: Decoded, t: number, k: number): [number, number][] {
  const m = d.shape[1];
  const { data, scale, offset } = d;
  const row = t * m;
  const best: [number, number][] = [];
  for (let j = 0; j < m; j++) {
    const v = offset + scale * data[row + j];
    if (best.length === k && v <= best[k - 1][1]) continue;
    let at = best.length;
    while (at > 0 && best[at - 1][1] < v) at--;
    best.splice(at, 0, [j, v]);
    if (best.length > k) best.pop();
  }
  return best;
}

/** Value of neuron `neuron` at position `t`. */
export function valueAt(d: Decoded, t: number, neuron: number): number {
  return d.offset + d.scale * d.data[t * d.shape[1] + neuron];
}
