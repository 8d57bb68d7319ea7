import { describe, expect, it } from "vitest";
import { partnersOf, strongest } from "../src/composition/partners";

describe("strongest", () => {
  it("keeps the k largest finite values, largest first, ties by index", () => {
    const values = [0.1, Number.NaN, 0.5, 0.5, -1];
    expect(strongest(values.length, (i) => values[i], 3)).toEqual([
      { index: 2, value: 0.5 },
      { index: 3, value: 0.5 },
      { index: 0, value: 0.1 },
    ]);
    expect(strongest(2, () => Number.NaN, 3)).toEqual([]);
  });
});

describe("partnersOf", () => {
  it("reads writers from the head's row and readers from its column", () => {
    // 3 heads; [reader, writer]: head 2 reads 0 (0.3) and 1 (0.7); head 1 reads 0 (0.2)
    const nan = Number.NaN;
    const grid = new Float32Array([nan, nan, nan, 0.2, nan, nan, 0.3, 0.7, nan]);
    const head2 = partnersOf(grid, 3, 2, 1);
    expect(head2.writers.map((p) => p.index)).toEqual([1]);
    expect(head2.readers).toEqual([]);
    const head0 = partnersOf(grid, 3, 0, 2);
    expect(head0.writers).toEqual([]);
    expect(head0.readers.map((p) => p.index)).toEqual([2, 1]);
  });
});
