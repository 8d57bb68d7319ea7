import { describe, expect, it } from "vitest";
import { chartPoint, rowAtX, CHART_HEIGHT } from "../src/lens/chart";
import { columnOf, decodeLens, lineAt, topEntries, topEntry } from "../src/lens/data";
import { entriesJson, positionLabel, targetChoices, tooltipText } from "../src/lens/format";
import { cellWidth, charsPerCell, fillCells } from "../src/lens/grid";
import { LIGHT_LUT, lutIndex } from "../src/lib/colormap";
import { cellUnder } from "../src/lib/marks";
import { encodeStored } from "./helpers";
import { makeLensModel, PROBS } from "./lens-fixture";

function lens() {
  const m = makeLensModel();
  return decodeLens({ columns: m.get("_columns"), starts: m.get("_column_starts"), probs: m.get("_column_probs"), top: m.get("_top") });
}

describe("lens data", () => {
  it("decodes unaligned buffers and reads each cell's top k", () => {
    const d = lens();
    expect([d.rows, d.positions, d.k]).toEqual([2, 3, 2]);
    expect(topEntries(d, 0, 0)).toEqual([
      { candidate: 0, prob: Math.fround(0.9) },
      { candidate: 1, prob: Math.fround(0.05) },
    ]);
    expect(topEntry(d, 1, 2)).toEqual({ candidate: 3, prob: 0.75 });
    expect(topEntry(d, 1, 1, 1)).toEqual({ candidate: 1, prob: Math.fround(0.3) });
  });

  it("finds a candidate's column per position and its line over rows", () => {
    const d = lens();
    expect([columnOf(d, 0, 0), columnOf(d, 0, 2), columnOf(d, 1, 3), columnOf(d, 2, 3)]).toEqual([0, 2, 4, 7]);
    expect([columnOf(d, 1, 0), columnOf(d, 0, 3), columnOf(d, 2, 4)]).toEqual([-1, -1, -1]);
    expect(Array.from(lineAt(d, 2, 3) ?? [])).toEqual([0.125, 0.75]);
    expect(lineAt(d, 1, 2)).toBeNull();
  });

  it("reads float16 probabilities and rejects arrays that disagree", () => {
    const m = makeLensModel();
    const halves = PROBS.map(() => 0x3800); // 0.5 in float16
    const d = decodeLens({
      columns: m.get("_columns"),
      starts: m.get("_column_starts"),
      probs: encodeStored("float16", halves, [8, 2], { pad: 1 }),
      top: m.get("_top"),
    });
    expect(topEntry(d, 0, 0).prob).toBe(0.5);
    expect(() =>
      decodeLens({ columns: m.get("_columns"), starts: m.get("_column_starts"), probs: encodeStored("float32", [1, 2], [2]), top: m.get("_top") }),
    ).toThrow(/_column_probs must be \[8, 2\]/);
    expect(() =>
      decodeLens({ columns: m.get("_columns"), starts: encodeStored("int32", [0, 3], [2]), probs: m.get("_column_probs"), top: m.get("_top") }),
    ).toThrow(/_column_starts must be \[4\]/);
  });
});

describe("lens text", () => {
  it("labels positions with the token as shown and its index", () => {
    expect(positionLabel(" key", 18)).toBe(" key_18");
    expect(positionLabel("\n", 3)).toBe("↵_3");
    expect(positionLabel("<b>", 0)).toBe("<b>_0");
  });

  it("lists the top k with exact values, tokens quoted", () => {
    const d = lens();
    const text = tooltipText("embed", "<b>x</b>_0", topEntries(d, 0, 0), ["<script>alert(1)</script>", " a"]);
    expect(text).toBe('embed · <b>x</b>_0\n 1. 0.9000  "<script>alert(1)</script>"\n 2. 0.0500  " a"');
    expect(JSON.parse(entriesJson(topEntries(d, 0, 0), ["x", "y"]))).toEqual([
      ["x", Math.fround(0.9)],
      ["y", Math.fround(0.05)],
    ]);
  });

  it("offers targets, the next token and the cell's top k once each", () => {
    const top = [
      { candidate: 1, prob: 0.5 },
      { candidate: 3, prob: 0.2 },
    ];
    const choices = targetChoices([3], 1, top, 4);
    expect(choices).toEqual([
      { candidate: 3, why: "target" },
      { candidate: 1, why: "next input" },
      { candidate: 4, why: "chosen" },
    ]);
    expect(targetChoices([], -1, top, 1).map((c) => c.why)).toEqual(["top 1", "top 2"]);
  });
});

describe("lens grid and chart geometry", () => {
  it("sizes cells to keep the canvas under 30,000 px", () => {
    expect(cellWidth(19)).toBe(48);
    expect(cellWidth(1000)).toBe(30);
    expect(cellWidth(20000)).toBe(4);
    expect(charsPerCell(48)).toBe(6);
    // a 3-position × 2-row grid of 48 × 22 px cells at (10, 20) on the page
    const element = { getBoundingClientRect: () => ({ left: 10, top: 20, width: 144, height: 44 }) } as Element;
    const at = (x: number, y: number) => cellUnder(element, { clientX: x, clientY: y } as MouseEvent, 2, 3);
    expect(at(10 + 47, 20 + 21)).toEqual({ row: 0, column: 0 });
    expect(at(10 + 48, 20 + 22)).toEqual({ row: 1, column: 1 });
    expect(at(10 + 144, 20)).toBeNull();
    expect(at(9, 20)).toBeNull();
  });

  it("colours each cell by its top-1 probability", () => {
    const d = lens();
    const w = 2;
    const h = 2;
    const pixels = new Uint32Array(3 * w * 2 * h);
    fillCells(pixels, d, w, h, LIGHT_LUT);
    const at = (r: number, p: number) => pixels[r * h * 3 * w + p * w];
    expect(at(0, 0)).toBe(LIGHT_LUT[lutIndex(Math.fround(0.9))]);
    expect(at(0, 2)).toBe(LIGHT_LUT[lutIndex(0.5)]);
    expect(at(1, 2)).toBe(LIGHT_LUT[lutIndex(0.75)]);
    expect(pixels[(2 * h - 1) * 3 * w + 3 * w - 1]).toBe(LIGHT_LUT[lutIndex(0.75)]);
  });

  it("places rows along x and probability along y", () => {
    const first = chartPoint(0, 3, 0);
    const last = chartPoint(2, 3, 1);
    expect(first.y).toBeGreaterThan(last.y);
    expect(first.y).toBeLessThan(CHART_HEIGHT);
    expect(chartPoint(1, 3, 0.5).x).toBeCloseTo((first.x + last.x) / 2);
    expect(chartPoint(0, 3, 2).y).toBe(last.y);
    expect(rowAtX(last.x, 3)).toBe(2);
    expect(rowAtX(first.x - 100, 3)).toBe(0);
  });
});
