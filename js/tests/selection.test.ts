import { describe, expect, it } from "vitest";
import { clickQuery, displayedQuery, moveQuery, unlocked } from "../src/attention/selection";
import { keyAction } from "../src/lib/keyboard";

describe("selection", () => {
  it("shows the locked token, else the hovered one, else query_token", () => {
    expect(displayedQuery({ query_token: 3, locked: true }, 5)).toBe(3);
    expect(displayedQuery({ query_token: 3, locked: false }, 5)).toBe(5);
    expect(displayedQuery({ query_token: 3, locked: false }, null)).toBe(3);
    expect(displayedQuery({ query_token: null, locked: false }, null)).toBe(null);
    expect(displayedQuery({ query_token: null, locked: true }, 2)).toBe(2);
  });

  it("locks on click and unlocks on a second click of the locked token", () => {
    expect(clickQuery({ query_token: null, locked: false }, 4)).toEqual({ query_token: 4, locked: true });
    expect(clickQuery({ query_token: 4, locked: true }, 2)).toEqual({ query_token: 2, locked: true });
    expect(clickQuery({ query_token: 4, locked: true }, 4)).toEqual({ query_token: null, locked: false });
    expect(clickQuery({ query_token: 4, locked: false }, 4)).toEqual({ query_token: 4, locked: true });
    expect(unlocked()).toEqual({ query_token: null, locked: false });
  });

  it("moves the query token with clamping and locks it", () => {
    expect(moveQuery({ query_token: 2, locked: true }, null, 1, 6)).toEqual({ query_token: 3, locked: true });
    expect(moveQuery({ query_token: 5, locked: true }, null, 1, 6)).toEqual({ query_token: 5, locked: true });
    expect(moveQuery({ query_token: null, locked: false }, null, 1, 6)).toEqual({ query_token: 0, locked: true });
    expect(moveQuery({ query_token: null, locked: false }, null, -1, 6)).toEqual({ query_token: 5, locked: true });
    expect(moveQuery({ query_token: null, locked: false }, 3, -1, 6)).toEqual({ query_token: 2, locked: true });
  });
});

describe("keyAction", () => {
  it("maps arrows, shift+arrows and escape", () => {
    expect(keyAction({ key: "ArrowLeft" })).toEqual({ kind: "head", delta: -1 });
    expect(keyAction({ key: "ArrowRight" })).toEqual({ kind: "head", delta: 1 });
    expect(keyAction({ key: "ArrowUp" })).toEqual({ kind: "layer", delta: -1 });
    expect(keyAction({ key: "ArrowDown" })).toEqual({ kind: "layer", delta: 1 });
    expect(keyAction({ key: "ArrowLeft", shiftKey: true })).toEqual({ kind: "query", delta: -1 });
    expect(keyAction({ key: "ArrowRight", shiftKey: true })).toEqual({ kind: "query", delta: 1 });
    expect(keyAction({ key: "Escape" })).toEqual({ kind: "unlock" });
    expect(keyAction({ key: "ArrowRight", ctrlKey: true })).toBeNull();
    expect(keyAction({ key: "a" })).toBeNull();
  });
});
