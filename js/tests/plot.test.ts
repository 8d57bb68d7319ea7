import { describe, expect, it } from "vitest";
import { classColor, CLASS_COLORS_DARK, CLASS_COLORS_LIGHT, formatNumber, fromPx, nearestPoint, niceTicks, paddedRange, toPx, toPy, type Frame } from "../src/lib/plot";
import { layerAtPixel } from "../src/probe/chart";

const frame: Frame = { x0: -1, x1: 3, y0: 0, y1: 2, left: 10, top: 5, width: 200, height: 100 };

describe("plot frame", () => {
  it("maps data to pixels and back", () => {
    expect(toPx(frame, -1)).toBe(10);
    expect(toPx(frame, 3)).toBe(210);
    expect(toPy(frame, 2)).toBe(5);
    expect(toPy(frame, 0)).toBe(105);
    expect(fromPx(frame, toPx(frame, 1.25))).toBeCloseTo(1.25);
  });

  it("picks round ticks inside the range", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    expect(niceTicks(-2.6, 2.6, 4)).toEqual([-2, 0, 2]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it("pads the finite range and survives constant or empty input", () => {
    expect(paddedRange([0, 10, NaN], 0.1)).toEqual([-1, 11]);
    expect(paddedRange([5, 5], 0.1)).toEqual([4.5, 5.5]);
    expect(paddedRange([], 0.1)).toEqual([0, 1]);
  });

  it("finds the nearest point within the radius only", () => {
    const xs = [0, 10, 20];
    const ys = [0, 0, 0];
    expect(nearestPoint(xs, ys, 9, 1, 3)).toBe(1);
    expect(nearestPoint(xs, ys, 15, 9, 3)).toBe(-1);
  });

  it("maps a chart column to its layer", () => {
    const chart: Frame = { ...frame, x0: -0.5, x1: 2.5 };
    expect(layerAtPixel(chart, toPx(chart, 0), 3)).toBe(0);
    expect(layerAtPixel(chart, toPx(chart, 1.4), 3)).toBe(1);
    expect(layerAtPixel(chart, 5, 3)).toBe(-1);
  });

  it("cycles class colours per theme and formats numbers", () => {
    expect(classColor(0, false)).toBe(CLASS_COLORS_LIGHT[0]);
    expect(classColor(CLASS_COLORS_DARK.length + 1, true)).toBe(CLASS_COLORS_DARK[1]);
    expect(formatNumber(0.98765)).toBe("0.988");
    expect(formatNumber(NaN)).toBe("n/a");
    expect(formatNumber(12345)).toBe("1.23e+4");
  });
});
