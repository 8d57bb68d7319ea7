/**
 * Reading one feature's two slices (the order of `FeatureDashboard.slice_keys`):
 *
 * `feature:<f>` (float, flat): top window values `[k, W]`, interval window values
 * `[intervals, m, W]`, interval edges `[intervals + 1]`, raised and lowered logit effects,
 * nearest cosines, then the mean activation where non-zero `[1]`.
 *
 * `feature-ids:<f>` (int32, flat): top `[k, 2 + W]` (doc, position, window vocab indices),
 * interval examples `[intervals, m, 2 + W]`, interval counts `[intervals]`, histogram counts
 * `[bins]`, raised and lowered vocab indices, nearest features, then `[n_firing]`.
 */

import type { Decoded } from "../lib/binary";
import { exampleRows, rowsPeak, type ExampleRow } from "../lib/examples";
import type { FeatureInfo } from "./model";

/** Where each part of a flat slice starts. */
export type Offsets<K extends string> = Record<K, number> & { total: number };

function offsets<K extends string>(sizes: [K, number][]): Offsets<K> {
  const out = { total: 0 } as Offsets<K>;
  for (const [name, size] of sizes) {
    (out as Record<string, number>)[name] = out.total;
    out.total += size;
  }
  return out;
}

export function valueOffsets(info: FeatureInfo) {
  const w = 2 * info.context + 1;
  return offsets([
    ["top", info.k * w],
    ["intervals", info.n_intervals * info.per_interval * w],
    ["edges", info.n_intervals + 1],
    ["raised", info.n_raised],
    ["lowered", info.n_lowered],
    ["cosine", info.n_nearest],
    ["mean", 1],
  ]);
}

export function idOffsets(info: FeatureInfo) {
  const w = 2 * info.context + 1;
  return offsets([
    ["top", info.k * (w + 2)],
    ["intervals", info.n_intervals * info.per_interval * (w + 2)],
    ["intervalCounts", info.n_intervals],
    ["counts", info.n_bins],
    ["raised", info.n_raised],
    ["lowered", info.n_lowered],
    ["nearest", info.n_nearest],
    ["firing", 1],
  ]);
}

export interface IntervalGroup {
  /** Index of the interval, 0 = lowest. */
  interval: number;
  low: number;
  high: number;
  /** Non-zero activations in the interval. */
  count: number;
  rows: ExampleRow[];
}

export interface LogitEffect {
  token: string;
  value: number;
}

export interface Neighbour {
  feature: number;
  cosine: number;
}

/** Everything the panels show about one feature. */
export interface FeatureData {
  feature: number;
  top: ExampleRow[];
  /** Highest interval first. */
  intervals: IntervalGroup[];
  /** Histogram counts `[bins]` of the non-zero activations. */
  counts: Int32Array;
  raised: LogitEffect[];
  lowered: LogitEffect[];
  nearest: Neighbour[];
  /** Mean activation where non-zero. */
  mean: number;
  /** Tokens where the feature is non-zero. */
  firing: number;
  /** Largest |activation| in the examples shown. */
  peak: number;
}

/** `count` values of `d` from `start`, decoded. */
function read(d: Decoded, start: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = d.offset + d.scale * d.data[start + i];
  return out;
}

/** A view of part of a flat decoded array as an array of `shape`. */
function part(d: Decoded, start: number, shape: number[]): Decoded {
  const size = shape.reduce((a, b) => a * b, 1);
  return { ...d, shape, data: d.data.subarray(start, start + size), n: shape[shape.length - 1], matrices: 1 };
}

/** Read feature `feature`'s slices; throws when their sizes do not match `info`. */
export function readFeature(
  feature: number,
  [values, ids]: Decoded[],
  info: FeatureInfo,
  vocab: readonly string[],
  nFeatures: number,
): FeatureData {
  const vo = valueOffsets(info);
  const io = idOffsets(info);
  if (values.data.length !== vo.total || ids.data.length !== io.total) {
    throw new Error(
      `the slices of feature ${feature} have ${values.data.length} and ${ids.data.length} values, expected ${vo.total} and ${io.total}`,
    );
  }
  const w = 2 * info.context + 1;
  const m = info.per_interval;
  const top = exampleRows({ values: part(values, vo.top, [info.k, w]), ids: part(ids, io.top, [info.k, w + 2]) }, vocab);
  const edges = read(values, vo.edges, info.n_intervals + 1);
  const counts = read(ids, io.intervalCounts, info.n_intervals);
  const intervals: IntervalGroup[] = [];
  for (let i = info.n_intervals - 1; i >= 0; i--) {
    const rows = exampleRows(
      {
        values: part(values, vo.intervals + i * m * w, [m, w]),
        ids: part(ids, io.intervals + i * m * (w + 2), [m, w + 2]),
      },
      vocab,
    );
    intervals.push({ interval: i, low: edges[i], high: edges[i + 1], count: counts[i], rows });
  }
  const effects = (indices: number[], effect: number[]): LogitEffect[] =>
    indices.flatMap((index, i) => (index >= 0 && index < vocab.length ? [{ token: vocab[index], value: effect[i] }] : []));
  const cosines = read(values, vo.cosine, info.n_nearest);
  const nearest = read(ids, io.nearest, info.n_nearest).flatMap((f, i) =>
    f >= 0 && f < nFeatures && f !== feature ? [{ feature: f, cosine: cosines[i] }] : [],
  );
  return {
    feature,
    top,
    intervals,
    counts: Int32Array.from(read(ids, io.counts, info.n_bins)),
    raised: effects(read(ids, io.raised, info.n_raised), read(values, vo.raised, info.n_raised)),
    lowered: effects(read(ids, io.lowered, info.n_lowered), read(values, vo.lowered, info.n_lowered)),
    nearest,
    mean: read(values, vo.mean, 1)[0],
    firing: read(ids, io.firing, 1)[0],
    peak: Math.max(rowsPeak(top), ...intervals.map((group) => rowsPeak(group.rows))),
  };
}
