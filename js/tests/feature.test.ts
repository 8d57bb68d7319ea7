import { describe, expect, it } from "vitest";
import { decode } from "../src/lib/binary";
import { barAt, histogramGeometry } from "../src/feature/histogram";
import { listKey } from "../src/feature/keys";
import { idOffsets, readFeature, valueOffsets } from "../src/feature/layout";
import { listOrder, parseQuery, tokenMatches, type ListOptions } from "../src/feature/order";
import { formatCount, formatDensity } from "../src/feature/format";
import { isDead, readSummary, topToken } from "../src/feature/summary";
import { pageRows, revealScroll, ROW_HEIGHT, visibleRange } from "../src/feature/virtual";
import { featureSlices, INFO, summaryState, VOCAB } from "./feature-fixture";

const summary = (n: number, dead?: number[]) => readSummary(summaryState(n, dead), n);
const options = (o: Partial<ListOptions> = {}): ListOptions => ({ sort: "index", descending: false, query: "", hideDead: false, ...o });

describe("virtual list", () => {
  it("renders only the rows in view plus a margin", () => {
    expect(visibleRange(0, 10 * ROW_HEIGHT, 16384, ROW_HEIGHT, 3)).toEqual({ start: 0, end: 13 });
    expect(visibleRange(1000 * ROW_HEIGHT + 5, 10 * ROW_HEIGHT, 16384, ROW_HEIGHT, 3)).toEqual({ start: 997, end: 1014 });
    expect(visibleRange(16380 * ROW_HEIGHT, 10 * ROW_HEIGHT, 16384, ROW_HEIGHT, 3)).toEqual({ start: 16377, end: 16384 });
    expect(visibleRange(-50, 100, 0)).toEqual({ start: 0, end: 0 });
  });

  it("scrolls as little as needed to reveal a row", () => {
    const h = 10 * ROW_HEIGHT;
    expect(revealScroll(5, 0, h)).toBe(0);
    expect(revealScroll(10, 0, h)).toBe(ROW_HEIGHT);
    expect(revealScroll(3, 20 * ROW_HEIGHT, h)).toBe(3 * ROW_HEIGHT);
    expect(revealScroll(500, 0, h)).toBe(491 * ROW_HEIGHT);
    expect(revealScroll(500, 0, h, ROW_HEIGHT, true)).toBe(495.5 * ROW_HEIGHT);
    expect(revealScroll(5, 0, h, ROW_HEIGHT, true)).toBe(0);
    expect(pageRows(h)).toBe(9);
    expect(pageRows(0)).toBe(1);
  });
});

describe("summary", () => {
  it("decodes density, max and the max tokens from unaligned bytes", () => {
    const s = summary(6);
    expect([...s.density]).toEqual([0.01, 0.02, 0, 0.04, 0.05, 0.06].map((v) => Math.fround(v)));
    expect([...s.max]).toEqual([1, 2, 0, 4, 5, 6]);
    expect(topToken(s, 1)).toBe(1);
    expect(topToken(s, 2)).toBe(-1);
    expect(isDead(s, 2)).toBe(true);
    expect([...s.edges]).toEqual([0.25, 0.5, 1, 2, 4]);
    expect(() => readSummary(summaryState(6), 7)).toThrow(/expected 2 x 7/);
  });
});

describe("search and sort", () => {
  it("parses an index, an explicit #index and token text", () => {
    expect(parseQuery("12")).toEqual({ index: 12, text: "12" });
    expect(parseQuery(" #7 ")).toEqual({ index: 7, text: null });
    expect(parseQuery(" The")).toEqual({ index: null, text: "the" });
    expect(parseQuery("")).toEqual({ index: null, text: null });
    expect([...tokenMatches(VOCAB, "the")]).toEqual([0, 1, 0, 0, 0, 0, 0, 1]);
    expect([...tokenMatches(VOCAB, "<script>")]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("filters dead features and matches max tokens case-insensitively", () => {
    const s = summary(10);
    expect([...listOrder(s, VOCAB, options())]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...listOrder(s, VOCAB, options({ hideDead: true }))]).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
    // " the" is vocab 1 and " The" vocab 7: features with max token f % 8 or (f + 4) % 8 in {1, 7}
    expect([...listOrder(s, VOCAB, options({ query: "THE" }))]).toEqual([1, 3, 5, 7, 9]);
    expect([...listOrder(s, VOCAB, options({ query: "<script>alert" }))]).toEqual([0, 4, 8]);
    expect([...listOrder(s, VOCAB, options({ query: "nothing like it" }))]).toEqual([]);
  });

  it("puts a searched index first, even a dead one", () => {
    const s = summary(10);
    expect([...listOrder(s, VOCAB, options({ query: "#2", hideDead: true }))]).toEqual([2]);
    expect([...listOrder(s, VOCAB, options({ query: "5" }))]).toEqual([5]);
    expect([...listOrder(s, VOCAB, options({ query: "42" }))]).toEqual([]);
  });

  it("sorts by density or max, both ways, ties by index", () => {
    const s = summary(6, [2, 4]);
    expect([...listOrder(s, VOCAB, options({ sort: "max", descending: true }))]).toEqual([5, 3, 1, 0, 2, 4]);
    expect([...listOrder(s, VOCAB, options({ sort: "density" }))]).toEqual([2, 4, 0, 1, 3, 5]);
    expect([...listOrder(s, VOCAB, options({ sort: "index", descending: true, hideDead: true }))]).toEqual([5, 3, 1, 0]);
  });

  it("orders 16,384 features quickly", () => {
    const n = 16384;
    const s = summary(n, []);
    const start = performance.now();
    const order = listOrder(s, VOCAB, options({ sort: "density", descending: true, query: "the" }));
    expect(performance.now() - start).toBeLessThan(200);
    expect(order.length).toBe(n / 2);
    expect(order[0]).toBe(n - 1);
  });
});

describe("histogram geometry", () => {
  it("spans the first to the last non-empty bin, heights proportional to counts", () => {
    const edges = [0.25, 0.5, 1, 2, 4, 8];
    const g = histogramGeometry([0, 4, 0, 8, 0], edges, 100, 50);
    expect(g.peak).toBe(8);
    expect(g.bars.map((b) => [b.bin, b.x, b.width, b.height, b.low, b.high])).toEqual([
      [1, 0, 33, 25, 0.5, 1],
      [2, 33, 33, 0, 1, 2],
      [3, 66, 34, 50, 2, 4],
    ]);
    expect(barAt(g, 10)?.bin).toBe(1);
    expect(barAt(g, 99)?.bin).toBe(3);
    expect(barAt(g, 100)).toBeNull();
    expect(histogramGeometry([0, 0], [1, 2, 3], 100, 50).bars).toEqual([]);
    // a tiny count still shows one pixel
    expect(histogramGeometry([1, 10000], [1, 2, 4], 10, 50).bars[0].height).toBe(1);
  });
});

describe("feature slices", () => {
  it("has one offset table per slice", () => {
    expect(valueOffsets(INFO)).toEqual({ top: 0, intervals: 6, edges: 12, raised: 15, lowered: 17, cosine: 18, mean: 20, total: 21 });
    expect(idOffsets(INFO).total).toBe(32);
  });

  it("reads examples, intervals (highest first), logits and neighbours", () => {
    const slices = featureSlices(3, 10);
    const data = readFeature(3, [decode(slices["feature:3"]), decode(slices["feature-ids:3"])], INFO, VOCAB, 10);
    expect(data.top.map((r) => [r.doc, r.position, r.center, r.tokens, r.values])).toEqual([
      [4, 0, 0, ["<script>alert(1)</script>", " the"], [4, 2]],
      [5, 7, 1, ["\n", "", " cat"], [1, 2, 1]],
    ]);
    expect(data.intervals.map((g) => [g.interval, g.low, g.high, g.count, g.rows.length])).toEqual([
      [1, 2, 4, 9, 1],
      [0, 0, 2, 0, 0],
    ]);
    expect(data.intervals[0].rows[0].tokens).toEqual(["שלום", " dog", " The"]);
    expect([...data.counts]).toEqual([0, 3, 12, 0]);
    expect(data.raised).toEqual([{ token: " the", value: 2.5 }, { token: "<script>alert(1)</script>", value: 1.5 }]);
    expect(data.lowered).toEqual([{ token: " dog", value: -0.5 }]);
    expect(data.nearest.map((n) => n.feature)).toEqual([4, 5]);
    expect([data.firing, data.peak]).toEqual([15, 4]);
    expect(data.mean).toBeCloseTo(4 / 3, 6);
  });

  it("refuses slices of the wrong size", () => {
    const slices = featureSlices(3, 10);
    const values = decode(slices["feature:3"]);
    const short = { ...values, data: values.data.subarray(1), shape: [20] };
    expect(() => readFeature(3, [short, decode(slices["feature-ids:3"])], INFO, VOCAB, 10)).toThrow(/expected 21 and 32/);
  });
});

describe("keys and numbers", () => {
  it("maps keys, leaving text keys to the search box", () => {
    expect(listKey({ key: "ArrowDown" }, false)).toEqual({ kind: "move", delta: 1 });
    expect(listKey({ key: "ArrowUp" }, true)).toEqual({ kind: "move", delta: -1 });
    expect(listKey({ key: "Enter" }, true)).toEqual({ kind: "select" });
    expect(listKey({ key: "/" }, false)).toEqual({ kind: "search" });
    expect(listKey({ key: "/" }, true)).toBeNull();
    expect(listKey({ key: "Home" }, true)).toBeNull();
    expect(listKey({ key: "End" }, false)).toEqual({ kind: "edge", end: true });
    expect(listKey({ key: "ArrowRight" }, false)).toEqual({ kind: "step", delta: 1 });
    expect(listKey({ key: "ArrowDown", ctrlKey: true }, false)).toBeNull();
  });

  it("writes densities", () => {
    expect(formatDensity(0)).toBe("dead");
    expect(formatDensity(0.1234)).toBe("12.34%");
    expect(formatDensity(0.0001234)).toBe("0.0123%");
    expect(formatDensity(1.5e-8)).toBe("1.5e-6%");
    expect([formatCount(0), formatCount(999), formatCount(1234.4), formatCount(1234567)]).toEqual(["0", "999", "1,234", "1,234,567"]);
  });
});
