// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { BlobStore } from "../src/standalone/blobs";
import { linkModels, traitPairs } from "../src/standalone/links";
import { StandInModel } from "../src/standalone/model";

const stand = (state: Record<string, unknown>) => new StandInModel(state, {}, new BlobStore(document));

function pair() {
  const scores = stand({ layer: 1, head: 2, score: "induction" });
  const attention = stand({ layer: 0, head: 0, query_token: null });
  const models = new Map([
    ["mi-view-0", scores],
    ["mi-view-1", attention],
  ]);
  const wired = linkModels(models, [{ source: "mi-view-0", target: "mi-view-1", traits: ["layer", "head"] }]);
  return { scores, attention, wired };
}

function countChanges(model: StandInModel): string[] {
  const seen: string[] = [];
  model.on("change:layer", () => seen.push(`layer=${model.get("layer")}`));
  model.on("change:head", () => seen.push(`head=${model.get("head")}`));
  return seen;
}

describe("report links", () => {
  it("start from the source and mirror both ways", () => {
    const { scores, attention, wired } = pair();
    expect(wired.length).toBe(1);
    expect([attention.get("layer"), attention.get("head")]).toEqual([1, 2]);
    scores.set("head", 3);
    expect(attention.get("head")).toBe(3);
    attention.set("layer", 0);
    expect(scores.get("layer")).toBe(0);
    expect(scores.get("score")).toBe("induction");
    expect(attention.get("query_token")).toBeNull();
  });

  it("copy each change once, with no echo", () => {
    const { scores, attention } = pair();
    const onScores = countChanges(scores);
    const onAttention = countChanges(attention);
    scores.set({ layer: 0, head: 1 });
    attention.set("head", 2);
    expect(onScores).toEqual(["layer=0", "head=1", "head=2"]);
    expect(onAttention).toEqual(["layer=0", "head=1", "head=2"]);
  });

  it("skip links to views that are not in the page", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const models = new Map([["mi-view-0", stand({ layer: 0 })]]);
    expect(linkModels(models, [{ source: "mi-view-0", target: "mi-view-9", traits: ["layer"] }])).toEqual([]);
    expect(linkModels(models, undefined)).toEqual([]);
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });

  it("map a source trait to a target trait of another name, both ways", () => {
    const lens = stand({ layer: 1, query_token: 4, row: 2 });
    const attention = stand({ layer: 0, head: 0, query_token: null });
    const models = new Map([
      ["a", lens],
      ["b", attention],
    ]);
    expect(linkModels(models, [{ source: "a", target: "b", traits: [["layer", "head"], "query_token"] }]).length).toBe(1);
    expect([attention.get("head"), attention.get("layer"), attention.get("query_token")]).toEqual([1, 0, 4]);
    attention.set("head", 3);
    expect([lens.get("layer"), lens.get("row")]).toEqual([3, 2]);
    lens.set("query_token", 1);
    expect(attention.get("query_token")).toBe(1);
    attention.set("layer", 2);
    expect(lens.get("layer")).toBe(3);
  });

  it("refuse malformed traits", () => {
    expect(traitPairs(["layer", ["layer", "head"]])).toEqual([
      ["layer", "layer"],
      ["layer", "head"],
    ]);
    expect(traitPairs([["layer"]])).toBeNull();
    expect(traitPairs([3])).toBeNull();
    expect(traitPairs("layer")).toBeNull();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const models = new Map([
      ["a", stand({ layer: 0 })],
      ["b", stand({ layer: 1 })],
    ]);
    expect(linkModels(models, [{ source: "a", target: "b", traits: [["layer", 1] as unknown as [string, string]] }])).toEqual([]);
    expect(models.get("b")?.get("layer")).toBe(1);
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });
});
