import { describe, expect, it } from "vitest";
import { runningText } from "../src/lib/spans";
import { EMPTY_MARK, MAX_TOKEN_CHARS, shortToken, tokenDisplay, tokenTitle, visibleToken } from "../src/lib/tokens";

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

describe("visibleToken", () => {
  it("gives every invisible character a visible stand-in", () => {
    expect(visibleToken("\u202eabc").text).toBe("⟨U+202E⟩abc");
    for (const ch of ["\u202a", "\u202d", "\u2066", "\u2069", "\u200b", "\u200f", "\u2060", "\ufeff", "\x85", "\x9f", "\xad"]) {
      const code = ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      expect(visibleToken(ch).text).toBe(`⟨U+${code}⟩`);
    }
    expect(visibleToken("\x00\n\t").text).toBe("␀↵⇥");
    expect(visibleToken("").text).toBe(EMPTY_MARK);
  });

  it("keeps visible text, markup and RTL letters as they are", () => {
    for (const token of ["<script>alert(1)</script>", "&amp;", " the", "👩‍💻", "مرحبا", "naïve"]) {
      expect(visibleToken(token).text).toBe(token);
    }
  });

  it("cuts long tokens to MAX_TOKEN_CHARS code points and keeps the full text in the title", () => {
    const long = "x".repeat(5000);
    const shown = visibleToken(long).text;
    expect(Array.from(shown)).toHaveLength(MAX_TOKEN_CHARS);
    expect(shown.endsWith("…")).toBe(true);
    expect(visibleToken("😀".repeat(MAX_TOKEN_CHARS + 1)).text).toBe(`${"😀".repeat(MAX_TOKEN_CHARS - 1)}…`);
    expect(visibleToken("y".repeat(MAX_TOKEN_CHARS)).text).toBe("y".repeat(MAX_TOKEN_CHARS));
    expect(tokenTitle(long)).toBe(JSON.stringify(long));
  });

  it("names invisible characters by code point in the title", () => {
    expect(tokenTitle("\u202eabc", 2)).toBe('2: "\\u202eabc" (U+202E)');
    expect(tokenTitle("\u200b\u200b\ufeff")).toBe('"\\u200b\\u200b\\ufeff" (U+200B, U+FEFF)');
  });

  it("shows invisible characters and cuts long tokens in running text", () => {
    expect(runningText("a\u202e\n")).toBe("a⟨U+202E⟩↵\n");
    expect(Array.from(runningText("z".repeat(5000)))).toHaveLength(MAX_TOKEN_CHARS);
  });
});
