import { describe, expect, it } from "vitest";
import { decode } from "../src/lib/binary";
import { LIGHT_LUT, lutIndex } from "../src/lib/colormap";
import {
  clampIndex,
  cycleScore,
  formatScore,
  headValues,
  scoreLabel,
  tooltipText,
  valuesJson,
} from "../src/head_scores/format";
import {
  cellAtPixel,
  fillScorePixels,
  gridShape,
  hasNaN,
  isStripe,
  labelStep,
  nanColors,
  scoreAt,
  scoreCellSize,
} from "../src/head_scores/grid";
import { encodeStored } from "./helpers";

// two scores of a 2-layer, 3-head model: [score, layer, head]
const VALUES = [
  [0.1, 0.5, 1.0, 0.0, NaN, 0.25],
  [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
].flat();
const scores = () => decode(encodeStored("float32", VALUES, [2, 2, 3], { pad: 3 }));

describe("score grid", () => {
  it("reads [score, layer, head] values from an unaligned float32 buffer, NaN included", () => {
    const d = scores();
    expect(gridShape(d)).toEqual({ scores: 2, layers: 2, heads: 3 });
    expect(scoreAt(d, 0, 0, 1)).toBeCloseTo(0.5, 6);
    expect(scoreAt(d, 1, 1, 2)).toBeCloseTo(0.4, 6);
    expect(Number.isNaN(scoreAt(d, 0, 1, 1))).toBe(true);
    expect(hasNaN(d, 0)).toBe(true);
    expect(hasNaN(d, 1)).toBe(false);
  });

  it("rejects arrays that are not [score, layer, head]", () => {
    expect(() => gridShape(decode(encodeStored("float32", [1, 2], [2])))).toThrow(/\[score, layer, head\]/);
  });

  it("fills cell x cell blocks with LUT colours and hatches NaN", () => {
    const d = scores();
    const cell = 6;
    const width = 3 * cell;
    const pixels = new Uint32Array(width * 2 * cell);
    const nan = nanColors(false);
    fillScorePixels(pixels, d, 0, cell, LIGHT_LUT, nan);
    const at = (x: number, y: number) => pixels[y * width + x];
    for (const [layer, head, value] of [
      [0, 0, 0.1],
      [0, 1, 0.5],
      [0, 2, 1],
      [1, 0, 0],
      [1, 2, 0.25],
    ]) {
      const color = LIGHT_LUT[lutIndex(value)];
      for (const [dx, dy] of [[0, 0], [cell - 1, cell - 1], [2, 3]]) {
        expect(at(head * cell + dx, layer * cell + dy)).toBe(color);
      }
    }
    // the NaN cell (layer 1, head 1) has only the two hatch colours, in diagonal stripes
    for (let y = cell; y < 2 * cell; y++) {
      for (let x = cell; x < 2 * cell; x++) expect(at(x, y)).toBe(nan[isStripe(x, y) ? 1 : 0]);
    }
    expect(nan[0]).not.toBe(nan[1]);
    expect([...LIGHT_LUT]).not.toContain(nan[0]);
  });

  it("sizes cells between 8 and 40 px and thins labels on small cells", () => {
    expect(scoreCellSize(2, 4)).toBe(40);
    expect(scoreCellSize(12, 12)).toBe(35);
    expect(scoreCellSize(32, 32)).toBe(13);
    expect(scoreCellSize(80, 64)).toBe(8);
    expect(labelStep(40)).toBe(1);
    expect(labelStep(13)).toBe(2);
    expect(labelStep(8)).toBe(2);
  });

  it("finds the cell under a pixel", () => {
    expect(cellAtPixel(0, 0, 10, 2, 3)).toEqual({ layer: 0, head: 0 });
    expect(cellAtPixel(29.9, 19.9, 10, 2, 3)).toEqual({ layer: 1, head: 2 });
    expect(cellAtPixel(30, 5, 10, 2, 3)).toBeNull();
    expect(cellAtPixel(-1, 5, 10, 2, 3)).toBeNull();
  });
});

describe("score text", () => {
  it("labels and formats scores", () => {
    expect(scoreLabel("previous_token")).toBe("previous token");
    expect(scoreLabel("first_token")).toBe("first token (sink)");
    expect(scoreLabel("my_own_score")).toBe("my own score");
    expect(scoreLabel("constructor")).toBe("constructor");
    expect(formatScore(0.123456)).toBe("0.1235");
    expect(formatScore(NaN)).toBe("n/a");
  });

  it("writes every score of a head into the tooltip, marking the shown one", () => {
    const values = headValues(scores(), ["induction", "previous_token"], 1, 1);
    expect(values[0][0]).toBe("induction");
    expect(Number.isNaN(values[0][1])).toBe(true);
    const text = tooltipText(values, 7, 1, "previous_token");
    expect(text.split("\n")).toEqual(["layer 7 · head 1", "  induction       n/a", "▸ previous token  0.5000"]);
    expect(JSON.parse(valuesJson(values))).toEqual({ induction: null, previous_token: 0.5 });
  });

  it("clamps selections and cycles scores", () => {
    expect(clampIndex(-1, 4)).toBe(0);
    expect(clampIndex(9, 4)).toBe(3);
    expect(clampIndex(2, 0)).toBe(0);
    const names = ["a", "b", "c"];
    expect(cycleScore(names, "a", 1)).toBe("b");
    expect(cycleScore(names, "a", -1)).toBe("c");
    expect(cycleScore(names, "c", 1)).toBe("a");
    expect(cycleScore([], "x", 1)).toBe("x");
  });
});
