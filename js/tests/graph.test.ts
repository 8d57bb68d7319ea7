import { describe, expect, it } from "vitest";
import { buildDisplay, byMagnitude, incoming } from "../src/graph/display";
import { moveCursor } from "../src/graph/keys";
import { layout } from "../src/graph/layout";
import { influence, prune, thresholdScore } from "../src/graph/prune";
import { readGraph } from "../src/graph/data";
import { scalesOf } from "../src/graph/draw";
import { encodeStored } from "./helpers";

// The known graph of tests/graph_fixtures.py: features 0..3, errors 4..5, embeddings 6..10, logits 11..12.
const KIND = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 3, 3];
const LAYER = [0, 0, 1, 1, 0, 1, -1, -1, -1, -1, -1, 2, 2];
const POSITION = [1, 4, 4, 2, 4, 4, 0, 1, 2, 3, 4, 4, 4];
const INDEX = [7, 412, 88, 3, -1, -1, 11, 12, 13, 14, 15, 5, 9];
const ACTIVATION = [2, 1, 0.5, 0.1, NaN, NaN, NaN, NaN, NaN, NaN, NaN, 0.7, 0.2];
// [target, source, weight]
const EDGES: [number, number, number][] = [
  [0, 7, 2.0], [1, 10, 1.5], [1, 9, -0.5], [2, 0, 1.0], [2, 1, -2.0], [2, 4, 0.25],
  [3, 8, 0.1], [11, 2, 3.0], [11, 1, 0.5], [11, 5, -1.0], [12, 2, -1.0], [12, 3, 0.05],
];

function knownGraph() {
  const n = KIND.length;
  const floats = [...ACTIVATION, ...Array(n).fill(NaN)];
  return readGraph(
    {
      ints: encodeStored("int32", [...KIND, ...LAYER, ...POSITION, ...INDEX], [4, n], { pad: 1 }),
      floats: encodeStored("float32", floats, [2, n], { pad: 3 }),
    },
    {
      ends: encodeStored("int32", [...EDGES.map((e) => e[1]), ...EDGES.map((e) => e[0])], [2, EDGES.length], { pad: 2 }),
      weight: encodeStored("float32", EDGES.map((e) => e[2]), [EDGES.length]),
    },
  );
}

describe("graph data", () => {
  it("decodes nodes and indexes edges by source and target", () => {
    const g = knownGraph();
    expect(g.n).toBe(13);
    expect([...g.index]).toEqual(INDEX);
    expect(g.logitWeights[11]).toBeCloseTo(0.7, 6);
    const into2 = [...g.inEdges.subarray(g.inStart[2], g.inStart[3])].map((k) => g.source[k]).sort();
    expect(into2).toEqual([0, 1, 4]);
    const from2 = [...g.outEdges.subarray(g.outStart[2], g.outStart[3])].map((k) => g.target[k]).sort();
    expect(from2).toEqual([11, 12]);
  });

  it("refuses edges that join unknown nodes", () => {
    const n = KIND.length;
    expect(() =>
      readGraph(
        { ints: encodeStored("int32", [...KIND, ...LAYER, ...POSITION, ...INDEX], [4, n]), floats: encodeStored("float32", Array(2 * n).fill(0), [2, n]) },
        { ends: encodeStored("int32", [0, 99], [2, 1]), weight: encodeStored("float32", [1], [1]) },
      ),
    ).toThrow(/edge 0 joins nodes outside 0..12/);
  });

  it("refuses edges whose weight is not a finite number", () => {
    const n = KIND.length;
    expect(() =>
      readGraph(
        { ints: encodeStored("int32", [...KIND, ...LAYER, ...POSITION, ...INDEX], [4, n]), floats: encodeStored("float32", Array(2 * n).fill(0), [2, n]) },
        { ends: encodeStored("int32", [0, 2, 7, 0], [2, 2]), weight: encodeStored("float32", [1, NaN], [2]) },
      ),
    ).toThrow(/edge 1 has weight NaN, expected a finite number/);
  });
});

describe("pruning", () => {
  it("computes influence through all paths of the row-normalised graph", () => {
    const g = knownGraph();
    const inf = influence(g, null);
    // F2 feeds logit 0 with 3 / (3 + 0.5 + 1) of its inputs, logit 1 with 1 / 1.05
    const f2 = 0.7 * (3 / 4.5) + 0.2 * (1 / 1.05);
    expect(inf[2]).toBeCloseTo(f2, 7);
    // F0 reaches the logits only through F2 (1 / 3.25 of F2's inputs)
    expect(inf[0]).toBeCloseTo(f2 * (1 / 3.25), 7);
    expect(inf[11]).toBe(0);
  });

  it("keeps the strong path and drops the weak feature at 0.8 / 0.98, everything at 1 / 1", () => {
    const g = knownGraph();
    const kept = prune(g, 0.8, 0.98);
    expect([...kept.nodes]).toEqual([1, 1, 1, 0, ...[0, 0], ...[1, 1, 1, 1, 1], 1, 1]);
    expect(kept.edges[EDGES.findIndex((e) => e[0] === 3)]).toBe(0);
    const all = prune(g, 1, 1);
    expect([...all.nodes].every((v) => v === 1)).toBe(true);
  });

  it("takes the smallest score that reaches the cumulative threshold", () => {
    const scores = Float64Array.from([0.5, 0.3, 0.1, 0.1]);
    expect(thresholdScore(scores, 0.5)).toBe(0.5);
    expect(thresholdScore(scores, 0.8)).toBe(0.3);
    expect(thresholdScore(scores, 0.81)).toBe(0.1);
  });
});

describe("display", () => {
  it("scales colours to the largest |weight| shown and the largest |activation| of the features", () => {
    const g = knownGraph();
    expect(scalesOf(g, buildDisplay(g, prune(g, 1, 1), new Set(), []))).toEqual({ edge: 3, activation: 2 });
    // without the +3 edge into logit 0 the strongest shown edge is -2
    const kept = prune(g, 1, 1);
    kept.edges[EDGES.findIndex((e) => e[0] === 11 && e[1] === 2)] = 0;
    expect(scalesOf(g, buildDisplay(g, kept, new Set(), [])).edge).toBe(2);
  });

  it("orders edges by decreasing |weight|, ties by index", () => {
    const order = byMagnitude(Float32Array.from([0.5, -2, 0, 2, 1e-30, -0.5]));
    expect([...order]).toEqual([1, 3, 0, 5, 4, 2]);
  });

  it("draws a supernode with the sums of its members' edges and shows pinned nodes", () => {
    const g = knownGraph();
    const kept = prune(g, 0.8, 0.98);
    const display = buildDisplay(g, kept, new Set([3]), [{ name: "pair", members: [0, 1] }]);
    const pair = g.n;
    expect(display.nodes).toContain(pair);
    expect(display.nodes).toContain(3);
    expect(display.nodes).not.toContain(0);
    const toF2 = [...display.source.keys()].filter((k) => display.source[k] === pair && display.target[k] === 2);
    expect(toF2).toHaveLength(1);
    expect(display.weight[toF2[0]]).toBeCloseTo(1.0 - 2.0, 6);
    // strongest first
    const ins = incoming(display, 2);
    expect(Math.abs(display.weight[ins[0]])).toBeGreaterThanOrEqual(Math.abs(display.weight[ins[ins.length - 1]]));
  });

  it("lays rows bottom to top and positions left to right; keys follow the strongest edges", () => {
    const g = knownGraph();
    const display = buildDisplay(g, prune(g, 1, 1), new Set(), []);
    const placed = layout(g, display, 5, 2, 800, 400);
    const y = (i: number) => placed.y.get(i) ?? NaN;
    const x = (i: number) => placed.x.get(i) ?? NaN;
    expect(y(6)).toBeGreaterThan(y(0)); // embeddings below layer 0
    expect(y(0)).toBeGreaterThan(y(2)); // layer 0 below layer 1
    expect(y(2)).toBeGreaterThan(y(11)); // logits on top
    expect(x(6)).toBeLessThan(x(7));
    expect(x(0)).toBeLessThan(x(1));
    const row = (node: number) => g.layer[node] + 1;
    expect(moveCursor("up", 1, display, placed, row)).toBe(2); // F1's strongest output: -2 into F2
    expect(moveCursor("down", 2, display, placed, row)).toBe(1); // F2's strongest input is F1
    expect(moveCursor("down", 0, display, placed, row)).toBe(7);
    expect(moveCursor("right", 0, display, placed, row)).toBe(1);
    expect(moveCursor("left", 0, display, placed, row)).toBeNull();
  });
});
