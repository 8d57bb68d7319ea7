// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";
import { BlobStore } from "../src/standalone/blobs";
import { linkModels } from "../src/standalone/links";
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
});
