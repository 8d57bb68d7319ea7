import { describe, expect, it } from "vitest";
import {
  DARK_LUT,
  LIGHT_COLORS,
  LIGHT_LUT,
  luminance,
  lutIndex,
  probabilityColor,
  probabilityLut,
  rgb,
  textColorOn,
  type Rgb,
} from "../src/lib/colormap";
import { DARK_DIVERGING, LIGHT_DIVERGING } from "../src/lib/diverging";

const unpack = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];

describe("colormap", () => {
  it("has the documented endpoints", () => {
    expect(probabilityColor(0, false)).toEqual([0xf7, 0xfa, 0xfd]);
    expect(probabilityColor(1, false)).toEqual([0x0a, 0x2f, 0x6e]);
    expect(probabilityColor(0, true)).toEqual([0x1b, 0x1d, 0x24]);
    expect(probabilityColor(1, true)).toEqual([0xfd, 0xe6, 0x63]);
  });

  it("maps v to LUT entry Math.round(v * 255), clamped", () => {
    expect(lutIndex(0.5)).toBe(128);
    expect(lutIndex(0.2)).toBe(51);
    expect(lutIndex(-0.3)).toBe(0);
    expect(lutIndex(1.7)).toBe(255);
    expect(lutIndex(Number.NaN)).toBe(0);
    expect(probabilityColor(0.5, false)).toEqual(LIGHT_COLORS[128]);
  });

  it("interpolates like numpy.interp and rounds exact halves up", () => {
    // t = 0.8 lies 3/4 of the way from #d0503c to #f59a2a: blue = 60 - 13.5 = 46.5 -> 47.
    expect(probabilityColor(0.8, true)).toEqual([236, 136, 47]);
    expect(probabilityColor(0.2, true)).toEqual([0x3a, 0x21, 0x52]);
  });

  it("packs LUT entries as little-endian opaque RGBA", () => {
    expect(LIGHT_LUT.length).toBe(256);
    expect(unpack(LIGHT_LUT[255])).toEqual([0x0a, 0x2f, 0x6e, 255]);
    expect(unpack(DARK_LUT[0])).toEqual([0x1b, 0x1d, 0x24, 255]);
    expect(unpack(DARK_LUT[128])).toEqual([...probabilityColor(128 / 255, true), 255]);
    expect(probabilityLut(true)).toBe(DARK_LUT);
    expect(probabilityLut(false)).toBe(LIGHT_LUT);
  });

  it("is monotonic in luminance (light gets darker, dark gets brighter)", () => {
    for (let i = 1; i < 256; i++) {
      const v0 = (i - 1) / 255;
      const v1 = i / 255;
      expect(luminance(probabilityColor(v1, false))).toBeLessThanOrEqual(luminance(probabilityColor(v0, false)));
      expect(luminance(probabilityColor(v1, true))).toBeGreaterThanOrEqual(luminance(probabilityColor(v0, true)));
    }
  });

  it("chooses a readable text colour", () => {
    expect(textColorOn([255, 255, 255])).toBe("#111111");
    expect(textColorOn(probabilityColor(1, false))).toBe("#ffffff");
    expect(textColorOn(probabilityColor(0, true))).toBe("#ffffff");
    expect(textColorOn(probabilityColor(1, true))).toBe("#111111");
    expect(rgb([1, 2, 3])).toBe("rgb(1, 2, 3)");
  });

  it("writes text of at least 4.5:1 contrast (WCAG AA) on every colour of the maps", () => {
    const ink: Record<string, Rgb> = { "#111111": [17, 17, 17], "#000000": [0, 0, 0], "#ffffff": [255, 255, 255] };
    const contrast = (a: Rgb, b: Rgb) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    const maps = [LIGHT_DIVERGING, DARK_DIVERGING, Array.from({ length: 256 }, (_, i) => probabilityColor(i / 255, false)), Array.from({ length: 256 }, (_, i) => probabilityColor(i / 255, true))];
    for (const colors of maps) for (const c of colors) expect(contrast(c, ink[textColorOn(c)])).toBeGreaterThanOrEqual(4.5);
    expect(textColorOn([189, 96, 39])).toBe("#000000"); // #111111 reaches only 4.3:1 here
  });
});
