import { describe, expect, it } from "vitest";
import { EMPTY_MARK, shortToken, tokenDisplay, tokenTitle } from "../src/lib/tokens";

describe("tokenDisplay", () => {
  it("makes newlines, tabs and control characters visible", () => {
    expect(tokenDisplay("\n").text).toBe("↵");
    expect(tokenDisplay("\t").text).toBe("⇥");
    expect(tokenDisplay("a\r\nb").text).toBe("a␍↵b");
    expect(tokenDisplay("\x00\x1b").text).toBe("␀␛");
    expect(tokenDisplay("\x7f").text).toBe("␡");
  });

  it("shows the empty token as a marker", () => {
    expect(tokenDisplay("")).toEqual({ text: EMPTY_MARK, empty: true, blank: false });
    expect(EMPTY_MARK).toBe("∅");
  });

  it("keeps markup, entities, spaces, emoji and RTL text literally", () => {
    for (const token of ["<script>alert(1)</script>", "&amp;", "<b>x</b>", " the", "end  ", "👩‍💻", "مرحبا", "\u202eabc"]) {
      expect(tokenDisplay(token).text).toBe(token);
    }
    expect(tokenDisplay(" the").blank).toBe(false);
    expect(tokenDisplay("   ").blank).toBe(true);
    expect(tokenDisplay("   ").text).toBe("   ");
  });

  it("shortens by code points and keeps the original in titles", () => {
    expect(shortToken("abcdef", 4)).toBe("abc…");
    expect(shortToken("😀😀😀", 2)).toBe("😀…");
    expect(shortToken("\n", 4)).toBe("↵");
    expect(tokenTitle("a\n\"b\"", 3)).toBe('3: "a\\n\\"b\\""');
  });
});
