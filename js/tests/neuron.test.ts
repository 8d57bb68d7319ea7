import { describe, expect, it } from "vitest";
import { decode } from "../src/lib/binary";
import { fillBar } from "../src/neuron/bar";
import { divergingIndex, divergingLut, formatValue, LIGHT_DIVERGING, scaleFor } from "../src/lib/diverging";
import { column, mostActiveNeuron, neuronMaxima, neuronsByMax, peakAbs, topNeuronsAt, valueAt } from "../src/neuron/data";
import { exampleRows } from "../src/lib/examples";
import { runningText } from "../src/lib/spans";
import { encodeStored } from "./helpers";

// [N = 3, neurons = 4]
const LAYER = [0.5, -1, 2, 0, 1.5, 3, -2, 0, -0.5, 1, 2, 0.25];
const layer = () => decode(encodeStored("float32", LAYER.map((v) => new Float32Array([v])[0]), [3, 4], { pad: 3 }));

describe("diverging colour map", () => {
  it("puts 0 at the middle and ±scale at the ends", () => {
    expect(divergingIndex(0, 2)).toBe(128);
    expect(divergingIndex(2, 2)).toBe(255);
    expect(divergingIndex(-2, 2)).toBe(0);
    expect(divergingIndex(5, 2)).toBe(255);
    expect(divergingIndex(-1, 2)).toBe(64);
    expect(LIGHT_DIVERGING[0]).toEqual([8, 48, 107]);
    expect(LIGHT_DIVERGING[255]).toEqual([103, 0, 13]);
    for (const c of LIGHT_DIVERGING[128]) expect(Math.abs(c - 247)).toBeLessThan(3);
    expect(scaleFor(0)).toBe(1);
    expect(scaleFor(3)).toBe(3);
    expect(formatValue(1.23456)).toBe("1.2346");
    expect(formatValue(123456)).toBe("1.235e+5");
  });

  it("fills an activation bar cell by cell", () => {
    const lut = divergingLut(false);
    const pixels = new Uint32Array(3 * 2 * 2);
    fillBar(pixels, [-1, 0, 1], 2, 2, 1, lut);
    expect([...pixels.slice(0, 6)]).toEqual([lut[0], lut[0], lut[128], lut[128], lut[255], lut[255]]);
    expect([...pixels.slice(6)]).toEqual([...pixels.slice(0, 6)]);
  });
});

describe("reading a layer [N, neurons]", () => {
  it("reads columns, maxima and the top neurons at a token (unaligned bytes)", () => {
    const d = layer();
    expect([...column(d, 1)]).toEqual([-1, 3, 1]);
    expect(peakAbs([-3, 2])).toBe(3);
    expect([...neuronMaxima(d)]).toEqual([1.5, 3, 2, 0.25]);
    expect([...neuronsByMax(d)]).toEqual([1, 2, 0, 3]);
    expect(mostActiveNeuron(d)).toBe(1);
    expect(topNeuronsAt(d, 1, 2)).toEqual([[1, 3], [0, 1.5]]);
    expect(topNeuronsAt(d, 0, 4)).toEqual([[2, 2], [0, 0.5], [3, 0], [1, -1]]);
    expect(valueAt(d, 2, 2)).toBe(2);
  });
});

describe("tokens and examples", () => {
  it("keeps newlines and tabs in running text and shows the rest visibly", () => {
    expect(runningText("\n")).toBe("↵\n");
    expect(runningText("a\tb")).toBe("a\tb");
    expect(runningText("")).toBe("∅");
    expect(runningText("\x01<b>")).toBe("␁<b>");
  });

  it("reads example rows from the two slices, cutting windows at document ends", () => {
    // k = 2, window = 3 (context 1); row 1 is an empty slot (doc -1)
    const values = decode(encodeStored("float32", [NaN, 2, 0.5, NaN, NaN, NaN], [2, 3], { pad: 1 }));
    const ids = decode(encodeStored("int32", [4, 0, -1, 1, 0, -1, -1, -1, -1, -1], [2, 5], { pad: 2 }));
    const rows = exampleRows({ values, ids }, ["<a>", "b"]);
    expect(rows).toEqual([{ doc: 4, position: 0, value: 2, tokens: ["b", "<a>"], values: [2, 0.5], center: 0 }]);
  });
});
