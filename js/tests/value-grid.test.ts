import { describe, expect, it } from "vitest";
import { barCount, barOrder } from "../src/attribution/bars";
import { divergingIndex, divergingLut } from "../src/lib/diverging";
import { cellSize, fillGrid, labelEvery, symmetricScale } from "../src/lib/value_grid";

describe("value grid", () => {
  it("sizes cells to fit and spaces labels", () => {
    expect(cellSize(4)).toBe(28);
    expect(cellSize(128)).toBe(6);
    expect(cellSize(19)).toBe(28);
    expect(cellSize(40)).toBe(19);
    expect(labelEvery(28)).toBe(1);
    expect(labelEvery(6)).toBe(2);
  });

  it("scales symmetrically, ignoring NaN, with a floor", () => {
    expect(symmetricScale(new Float32Array([0.5, -2, NaN]))).toBe(2);
    expect(symmetricScale(new Float32Array([0.5, -0.25]), 1)).toBe(1);
    expect(symmetricScale(new Float32Array([0, 0]))).toBe(1);
  });

  it("fills each cell with its colour, NaN neutral", () => {
    const lut = divergingLut(false);
    const values = new Float32Array([1, -1, 0, NaN]);
    const cell = 3;
    const pixels = new Uint32Array(2 * cell * 2 * cell);
    fillGrid(pixels, values, 2, 2, cell, 1, lut);
    const at = (row: number, col: number) => pixels[(row * cell + 1) * 2 * cell + col * cell + 1];
    expect(at(0, 0)).toBe(lut[divergingIndex(1, 1)]);
    expect(at(0, 1)).toBe(lut[divergingIndex(-1, 1)]);
    expect(at(1, 0)).toBe(lut[128]);
    expect(at(1, 1)).toBe(lut[128]);
    expect(pixels.every((p) => p !== 0)).toBe(true);
  });
});

describe("attribution bars", () => {
  const values = new Float32Array([0.2, -3, 1, 3, -0.5]);
  it("orders by magnitude, value or model order; ties keep model order", () => {
    expect(barOrder(values, "abs")).toEqual([1, 3, 2, 4, 0]);
    expect(barOrder(values, "value")).toEqual([3, 2, 0, 4, 1]);
    expect(barOrder(values, "model")).toEqual([0, 1, 2, 3, 4]);
  });
  it("shows the top N or all", () => {
    expect(barCount(2, 5)).toBe(2);
    expect(barCount(0, 5)).toBe(5);
    expect(barCount(9, 5)).toBe(5);
  });
});
