import { describe, expect, it } from "vitest";
import { decode } from "../src/lib/binary";
import { fillPixels, poolMax, rowReader, thumbSide } from "../src/lib/heatmap";
import { encodeStored, trilValues } from "./helpers";

/** A LUT whose entry i is just i, so pixels show the LUT index. */
const IDENTITY = Uint32Array.from({ length: 256 }, (_, i) => i);

describe("rowReader", () => {
  it("reads uint8 rows directly and fills above a tril diagonal with the offset's index", () => {
    const matrix = [
      [255, 0, 0],
      [100, 155, 0],
      [1, 2, 3],
    ];
    const d = decode(encodeStored("uint8", trilValues([matrix]), [1, 3, 3], { layout: "tril", scale: 1 / 255, pad: 1 }));
    const row = new Uint8Array(3).fill(77);
    const read = rowReader(d);
    read(0, 0, row);
    expect(Array.from(row)).toEqual([255, 0, 0]);
    read(0, 1, row);
    expect(Array.from(row)).toEqual([100, 155, 0]);
  });

  it("maps uint8 with another scale through a table", () => {
    const d = decode(encodeStored("uint8", [0, 50, 100, 200], [2, 2], { scale: 0.01 }));
    const row = new Uint8Array(2);
    rowReader(d)(0, 0, row);
    expect(Array.from(row)).toEqual([0, 128]);
    rowReader(d)(0, 1, row);
    expect(Array.from(row)).toEqual([255, 255]);
  });

  it("quantises float data to 0..255 with clamping", () => {
    const d = decode(encodeStored("float32", [0.5, 1.5, -0.2, 0.2], [2, 2]));
    const row = new Uint8Array(2);
    rowReader(d)(0, 0, row);
    expect(Array.from(row)).toEqual([128, 255]);
    rowReader(d)(0, 1, row);
    expect(Array.from(row)).toEqual([0, 51]);
  });
});

describe("fillPixels", () => {
  it("draws cell x cell blocks row-major", () => {
    const d = decode(encodeStored("uint8", [1, 2, 3, 4, 9, 9, 9, 9], [2, 2, 2], { scale: 1 / 255 }));
    const pixels = new Uint32Array(16);
    fillPixels(pixels, d, 0, 2, IDENTITY);
    expect(Array.from(pixels)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    fillPixels(pixels.subarray(0, 4), d, 1, 1, IDENTITY);
    expect(Array.from(pixels.subarray(0, 4))).toEqual([9, 9, 9, 9]);
  });

  it("paints a 1024 x 1024 tril matrix quickly", () => {
    const n = 1024;
    const stored = new Uint8Array((n * (n + 1)) / 2).map((_, i) => i % 251);
    const d = decode({ dtype: "uint8", shape: [1, n, n], scale: 1 / 255, offset: 0, layout: "tril", data: stored });
    const pixels = new Uint32Array(n * n);
    const start = performance.now();
    fillPixels(pixels, d, 0, 1, IDENTITY);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(pixels[n * 3 + 2]).toBe(d.data[6 + 2]);
    expect(pixels[n * 3 + 4]).toBe(0);
  });
});

describe("poolMax", () => {
  it("max-pools a 4 x 4 matrix into 2 x 2", () => {
    const m = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14, 15, 200],
    ];
    const d = decode(encodeStored("uint8", m.flat(), [1, 4, 4], { scale: 1 / 255 }));
    expect(Array.from(poolMax(d, 0, 2))).toEqual([6, 8, 14, 200]);
  });

  it("uses uneven bins floor(i * t / n) and the right matrix", () => {
    const n = 5;
    const zero = Array.from({ length: n * n }, () => 0);
    const m = zero.slice();
    m[2 * n + 2] = 40; // row 2, col 2 -> bin (0, 0)
    m[3 * n + 1] = 90; // row 3, col 1 -> bin (1, 0)
    m[4 * n + 4] = 30; // row 4, col 4 -> bin (1, 1)
    const d = decode(encodeStored("uint8", [...zero, ...m], [2, n, n], { scale: 1 / 255 }));
    expect(Array.from(poolMax(d, 1, 2))).toEqual([40, 0, 90, 30]);
    expect(Array.from(poolMax(d, 0, 2))).toEqual([0, 0, 0, 0]);
  });

  it("is the identity when t = n (tril)", () => {
    const m = [
      [10, 0, 0],
      [20, 30, 0],
      [40, 50, 60],
    ];
    const d = decode(encodeStored("uint8", trilValues([m]), [1, 3, 3], { layout: "tril", scale: 1 / 255 }));
    expect(Array.from(poolMax(d, 0, thumbSide(3, 64)))).toEqual(m.flat());
    expect(thumbSide(2048, 64)).toBe(64);
  });
});
