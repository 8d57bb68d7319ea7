import { describe, expect, it } from "vitest";
import { CONTEXT_BEFORE_CHARS, type ExampleRow, offsetsFromExample } from "../src/lib/examples";
import { drawExampleRows, FIGURE_TOKENS_X } from "../src/lib/figure_tokens";
import type { ThemeColors } from "../src/lib/theme";

const CHAR = 7; // px per character of the fake monospace font

/** A canvas context that measures CHAR px per character and records the boxed tokens. */
function recordingContext() {
  const boxes: { x: number; y: number }[] = [];
  const texts: { text: string; x: number; y: number }[] = [];
  const ctx = {
    font: "",
    fillStyle: "",
    strokeStyle: "",
    lineWidth: 1,
    measureText: (text: string) => ({ width: text.length * CHAR }),
    fillText: (text: string, x: number, y: number) => texts.push({ text, x, y }),
    fillRect: () => {},
    strokeRect: (x: number, y: number) => boxes.push({ x, y }),
  };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, boxes, texts };
}

const COLORS: ThemeColors = { bg: "#fff", fg: "#000", muted: "#666", accent: "#d9480f", hover: "#fdd" };

function row(tokens: string[], center: number): ExampleRow {
  return { doc: 0, position: center, value: 1, tokens, values: tokens.map(() => 0.5), center };
}

describe("example rows aligned on their example token", () => {
  it("offsets put the tokens before the example token right before it", () => {
    expect(offsetsFromExample([2, 3, 4, 5], 2)).toEqual([-5, -3, 0, 4]);
    expect(offsetsFromExample([2, 3], 0)).toEqual([0, 2]);
    expect(offsetsFromExample([2, 3], 1)).toEqual([-2, 0]);
  });

  it("the PNG boxes every row's example token at the same x, context clipped at both ends", () => {
    const { ctx, boxes, texts } = recordingContext();
    const rows = [
      row(["a", "bb", "EX", "c"], 2),
      row(["EX", "dd", "e"], 0),
      row(["long context ".repeat(5), "f", "EX"], 2),
    ];
    drawExampleRows(ctx, rows, { x: 10, y: 0, right: 10 + FIGURE_TOKENS_X + 40 * CHAR, scale: 1, dark: false, colors: COLORS });
    const anchor = 10 + FIGURE_TOKENS_X + CONTEXT_BEFORE_CHARS * CHAR;
    expect(boxes.map((box) => box.x)).toEqual([anchor, anchor, anchor]);
    const drawn = (y: number) => texts.filter((t) => t.y === y + 3 && t.x >= 10 + FIGURE_TOKENS_X);
    expect(drawn(0).map((t) => [t.text, t.x])).toEqual([
      ["a", anchor - 3 * CHAR],
      ["bb", anchor - 2 * CHAR],
      ["EX", anchor],
      ["c", anchor + 2 * CHAR],
    ]);
    // the 65-character token does not fit in the 28 characters before the example token
    expect(drawn(40).map((t) => t.text)).toEqual(["f", "EX"]);
  });
});
