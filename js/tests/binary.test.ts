import { describe, expect, it } from "vitest";
import {
  copyBytes,
  decode,
  decodeArray,
  halfToFloat,
  rowOffset,
  storedCount,
  trilRowOffset,
  valueAt,
} from "../src/lib/binary";
import { encodeStored, trilValues } from "./helpers";

const A = [
  [1, 0, 0],
  [2, 3, 0],
  [4, 5, 6],
];
const B = [
  [7, 0, 0],
  [8, 9, 0],
  [10, 11, 12],
];

function allValues(d: ReturnType<typeof decode>, m: number): number[][] {
  return Array.from({ length: d.n }, (_, q) => Array.from({ length: d.n }, (_, k) => valueAt(d, m, q, k)));
}

describe("decode", () => {
  it("decodes dense uint8 with scale and offset", () => {
    const enc = encodeStored("uint8", [0, 51, 255, 102], [2, 2], { scale: 1 / 255, pad: 1 });
    const d = decode(enc);
    expect(d.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(d.data)).toEqual([0, 51, 255, 102]);
    expect(d.shape).toEqual([2, 2]);
    expect(d.n).toBe(2);
    expect(d.matrices).toBe(1);
    expect(valueAt(d, 0, 0, 1)).toBeCloseTo(0.2, 10);
    expect(valueAt(d, 0, 1, 0)).toBe(1);
    const shifted = decode(encodeStored("uint8", [10], [1, 1], { scale: 0.5, offset: -3 }));
    expect(valueAt(shifted, 0, 0, 0)).toBe(2);
  });

  it("decodes float32 from an unaligned DataView without reading past it", () => {
    const values = [0.25, -1.5, 3.0e-8, 1e30, 0.1, 7];
    const enc = encodeStored("float32", values, [1, 2, 3], { pad: 3 });
    expect((enc.data as DataView).byteOffset).toBe(3);
    const d = decode(enc);
    expect(d.data).toBeInstanceOf(Float32Array);
    expect(d.data.length).toBe(6);
    expect(Array.from(d.data)).toEqual(values.map((v) => Math.fround(v)));
    expect(d.n).toBe(3);
    expect(d.matrices).toBe(1);
    expect(valueAt(d, 0, 1, 2)).toBe(7);
  });

  it("decodes int32 (negative values, unaligned)", () => {
    const d = decode(encodeStored("int32", [-2147483648, -1, 0, 2147483647], [4], { pad: 1 }));
    expect(d.data).toBeInstanceOf(Int32Array);
    expect(Array.from(d.data)).toEqual([-2147483648, -1, 0, 2147483647]);
  });

  it("decodes float16, including subnormals, infinities, NaN and -0", () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x3555];
    const d = decode(encodeStored("float16", bits, [bits.length], { pad: 1 }));
    expect(d.data).toBeInstanceOf(Float32Array);
    const v = Array.from(d.data);
    expect(v.slice(0, 3)).toEqual([1, -2, 65504]);
    expect(v[3]).toBe(Math.fround(2 ** -24));
    expect(v[4]).toBe(Math.fround(2 ** -14));
    expect(v[5]).toBe(Infinity);
    expect(v[6]).toBe(-Infinity);
    expect(Number.isNaN(v[7])).toBe(true);
    expect(Object.is(v[8], -0)).toBe(true);
    expect(v[9]).toBeCloseTo(0.33325, 5);
    expect(halfToFloat(0x3800)).toBe(0.5);
  });

  it("decodes every float16 bit pattern as halfToFloat does", () => {
    const bits = Array.from({ length: 65536 }, (_, i) => i);
    const v = decode(encodeStored("float16", bits, [bits.length], { pad: 3 })).data;
    const mismatches = bits.filter((b) => !Object.is(v[b], Math.fround(halfToFloat(b))));
    expect(mismatches).toEqual([]);
  });

  it("decodes the tril layout for several matrices", () => {
    const stored = trilValues([A, B]);
    expect(stored).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const enc = encodeStored("uint8", stored, [2, 3, 3], { layout: "tril", pad: 5 });
    expect(storedCount(enc)).toBe(12);
    const d = decode(enc);
    expect(d.matrices).toBe(2);
    expect(allValues(d, 0)).toEqual(A);
    expect(allValues(d, 1)).toEqual(B);
  });

  it("cells above a tril diagonal decode to offset", () => {
    const enc = encodeStored("float32", trilValues([A]), [1, 3, 3], { layout: "tril", offset: 0.5, scale: 2 });
    const d = decode(enc);
    expect(valueAt(d, 0, 0, 2)).toBe(0.5);
    expect(valueAt(d, 0, 2, 1)).toBe(0.5 + 2 * 5);
  });

  it("computes tril row offsets", () => {
    expect(trilRowOffset(0, 0, 3)).toBe(0);
    expect(trilRowOffset(0, 2, 3)).toBe(3);
    expect(trilRowOffset(1, 0, 3)).toBe(6);
    expect(trilRowOffset(1, 2, 3)).toBe(9);
    expect(trilRowOffset(2, 5, 1024)).toBe(2 * 524800 + 15);
    const d = decode(encodeStored("uint8", trilValues([A, B]), [2, 3, 3], { layout: "tril" }));
    expect(rowOffset(d, 1, 1)).toBe(7);
    const dense = decode(encodeStored("uint8", [...A.flat(), ...B.flat()], [2, 3, 3]));
    expect(rowOffset(dense, 1, 2)).toBe(15);
    expect(allValues(dense, 1)).toEqual(B);
  });

  it("copies the bytes (later writes to the source do not leak in)", () => {
    const source = new Uint8Array([1, 2, 3, 4]);
    const d = decodeArray({ dtype: "uint8", shape: [4], scale: 1, offset: 0, layout: "dense" }, source);
    source[0] = 99;
    expect(d.data[0]).toBe(1);
    expect(Array.from(copyBytes(new DataView(source.buffer, 1, 2)))).toEqual([2, 3]);
  });

  it("rejects a byte length that does not match the header", () => {
    const enc = encodeStored("float32", [1, 2, 3], [2, 2]);
    expect(() => decode(enc)).toThrow(/needs 16 bytes, got 12/);
  });

  it("rejects a tril layout on non-square matrices", () => {
    const enc = encodeStored("uint8", [1, 2, 3], [1, 2, 3], { layout: "tril" });
    expect(() => decode(enc)).toThrow(/square/);
  });
});
