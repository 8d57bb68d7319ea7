// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { renderToken } from "../src/lib/tokens";

describe("renderToken", () => {
  it("inserts text only, never markup", () => {
    const el = document.createElement("span");
    renderToken(el, "<script>alert(1)</script><img src=x onerror=alert(2)>", 0);
    expect(el.childElementCount).toBe(0);
    expect(el.textContent).toBe("<script>alert(1)</script><img src=x onerror=alert(2)>");
    expect(el.dataset.token).toBe("<script>alert(1)</script><img src=x onerror=alert(2)>");
  });

  it("isolates bidi text and marks empty tokens", () => {
    const el = document.createElement("span");
    renderToken(el, "مرحبا", 1);
    expect(el.dir).toBe("auto");
    expect(el.classList.contains("mi-tok")).toBe(true);
    const empty = document.createElement("span");
    renderToken(empty, "", 2);
    expect(empty.textContent).toBe("∅");
    expect(empty.classList.contains("mi-token-empty")).toBe(true);
    expect(empty.dataset.token).toBe("");
    const newline = document.createElement("span");
    renderToken(newline, "\n", 3);
    expect(newline.textContent).toBe("↵");
    expect(newline.dataset.token).toBe("\n");
    expect(newline.title).toBe('3: "\\n"');
  });
});
