// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { AttentionController, cellSize } from "../src/attention/view";
import { defineView } from "../src/lib/define_view";
import { encodeStored, FakeModel, find, trilValues } from "./helpers";

const widget = defineView(AttentionController);

const TOKENS = ["<script>alert(1)</script>", "\n", "", "😀", "مرحبا", " end"];
const N = TOKENS.length;

function causalLayer(heads: number, seed: number): number[] {
  const matrices: number[][][] = [];
  for (let h = 0; h < heads; h++) {
    matrices.push(
      Array.from({ length: N }, (_, q) =>
        Array.from({ length: N }, (_, k) => (k <= q ? Math.round(255 / (q + 1)) + ((h + seed + k) % 2) : 0)),
      ),
    );
  }
  return trilValues(matrices);
}

function makeModel(slices: string[] = ["layer:0"]) {
  const _slices: Record<string, unknown> = {};
  for (const key of slices) {
    const layer = Number(key.split(":")[1]);
    _slices[key] = encodeStored("uint8", causalLayer(4, layer), [4, N, N], { layout: "tril", scale: 1 / 255, pad: 1 });
  }
  return new FakeModel({
    tokens: TOKENS, n_layers: 2, n_heads: 4, causal: true, layer: 0, head: 0,
    query_token: null, locked: false, title: "Test", _slices,
  });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  document.body.replaceChildren();
});

async function mount(model: FakeModel) {
  const el = document.createElement("div");
  document.body.appendChild(el);
  const cleanup = widget.render({ model, el } as never) as () => void;
  cleanups.push(cleanup);
  await tick();
  return { el, root: find<HTMLElement>(el, ".mi-attention-view"), cleanup };
}

describe("attention view (DOM)", () => {
  it("sizes cells as max(1, floor(480 / N)) capped at 24", () => {
    expect(cellSize(6)).toBe(24);
    expect(cellSize(30)).toBe(16);
    expect(cellSize(1024)).toBe(1);
    expect(cellSize(2048)).toBe(1);
  });

  it("renders header, thumbnails, strip and labels with literal tokens", async () => {
    const { root } = await mount(makeModel());
    expect(root.dataset.ready).toBe("true");
    expect(root.dataset.paintedLayer).toBe("0");
    expect(root.dataset.paintedHead).toBe("0");
    expect(root.tabIndex).toBe(0);
    const options = [...root.querySelectorAll(".mi-layer-select option")].map((o) => o.textContent);
    expect(options).toEqual(["Layer 0", "Layer 1"]);
    expect(root.querySelectorAll("canvas.mi-head-thumb").length).toBe(4);
    expect(root.querySelector(".mi-head-thumb.mi-selected")?.getAttribute("data-head")).toBe("0");
    const strip = [...root.querySelectorAll<HTMLElement>(".mi-token-strip .mi-token")];
    expect(strip.map((s) => s.textContent)).toEqual(["<script>alert(1)</script>", "↵", "∅", "😀", "مرحبا", " end"]);
    expect(strip.every((s) => s.childElementCount === 0)).toBe(true);
    expect(root.querySelectorAll("script").length).toBe(0);
    expect(root.querySelectorAll(".mi-query-labels .mi-axis-label").length).toBe(N);
    expect(find<HTMLCanvasElement>(root, ".mi-heatmap-main").style.width).toBe(`${N * 24}px`);
    expect(root.querySelector(".mi-save-png")).not.toBeNull();
    expect(root.querySelector(".mi-missing")).toBeNull();
  });

  it("clicking a token locks it, clicking again unlocks; strip colours follow", async () => {
    const model = makeModel();
    const { root } = await mount(model);
    const token = (i: number) => find<HTMLElement>(root, `.mi-token[data-index="${i}"]`);
    expect(token(0).style.backgroundColor).toBe("");
    token(2).click();
    await tick();
    expect(model.state.query_token).toBe(2);
    expect(model.state.locked).toBe(true);
    expect(token(0).style.backgroundColor).not.toBe("");
    expect(token(0).dataset.value).toBe((85 / 255).toFixed(4));
    token(2).click();
    await tick();
    expect(model.state.query_token).toBe(null);
    expect(model.state.locked).toBe(false);
    expect(token(0).style.backgroundColor).toBe("");
  });

  it("follows keys and Python-side changes", async () => {
    const model = makeModel(["layer:0", "layer:1"]);
    const { root } = await mount(model);
    const key = (k: string, shiftKey = false) => root.dispatchEvent(new KeyboardEvent("keydown", { key: k, shiftKey, bubbles: true }));
    key("ArrowRight");
    await tick();
    expect(model.state.head).toBe(1);
    expect(root.dataset.paintedHead).toBe("1");
    key("ArrowDown");
    await tick();
    expect(model.state.layer).toBe(1);
    expect(root.dataset.paintedLayer).toBe("1");
    key("ArrowDown");
    expect(model.state.layer).toBe(1);
    key("ArrowRight", true);
    expect(model.state).toMatchObject({ query_token: 0, locked: true });
    key("Escape");
    expect(model.state).toMatchObject({ query_token: null, locked: false });
    model.set("head", 3);
    await tick();
    expect(root.dataset.paintedHead).toBe("3");
    expect(root.querySelector(".mi-head-thumb.mi-selected")?.getAttribute("data-head")).toBe("3");
  });

  it("requests a layer that was not sent and says when it is missing", async () => {
    const model = makeModel();
    const { root } = await mount(model);
    model.set("layer", 1);
    await tick();
    expect(root.querySelector(".mi-status")?.textContent).toBe("loading layer 1…");
    expect(model.sent).toEqual([{ type: "slice", key: "layer:1", id: expect.any(String) }]);
    const { id } = model.sent[0];
    model.emit("msg:custom", { type: "slice", id, key: "layer:1", missing: true, reason: "not embedded in this report" }, []);
    await tick();
    expect(root.querySelectorAll(".mi-missing").length).toBe(1);
    expect(find(root, ".mi-missing").textContent).toBe("Layer 1 is not embedded in this report");
    expect(root.dataset.state).toBe("missing");
    model.set("layer", 0);
    await tick();
    expect(root.querySelector(".mi-missing")).toBeNull();
    expect(root.dataset.state).toBe("ready");
    expect(root.dataset.paintedLayer).toBe("0");
  });

  it("cleans up its listeners and elements", async () => {
    const model = makeModel();
    const { el, cleanup } = await mount(model);
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });
});
