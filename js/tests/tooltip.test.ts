import { describe, expect, it } from "vitest";
import { placeTooltip } from "../src/lib/tooltip";

const bounds = { width: 400, height: 300 };

describe("tooltip placement", () => {
  it("goes below right of the pointer when nothing is in the way", () => {
    expect(placeTooltip(100, 100, 80, 30, bounds, [])).toEqual({ left: 114, top: 114 });
  });

  it("flips left at the right edge", () => {
    expect(placeTooltip(350, 100, 80, 30, bounds, [])).toEqual({ left: 256, top: 114 });
  });

  it("goes above when below would cover a caption", () => {
    const caption = { left: 0, top: 120, right: 300, bottom: 135 };
    expect(placeTooltip(100, 110, 80, 30, bounds, [caption])).toEqual({ left: 114, top: 66 });
  });
});
