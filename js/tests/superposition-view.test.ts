// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { SuperpositionController } from "../src/superposition/view";
import { defineView } from "../src/lib/define_view";
import { interferenceCell } from "../src/superposition/panels";
import { encodeStored, FakeModel, find } from "./helpers";
import { mountView, tick, unmountAll } from "./mount";

const widget = defineView(SuperpositionController);

const N = 3;
// two sparsities, d = 2: [S, d, n]
const W = [...[1, 0, 0, 0, 1, 0], ...[1, -0.5, -0.5, 0, 0.866, -0.866]];
const norms = [[1, 1, 0], [1, 1, 1]];
const dims = [[1, 1, 0], [0.4, 0.4, 0.4]];
const STATS = [...norms[0], ...dims[0], ...norms[1], ...dims[1]];
const INTER = [...[1, 0, 0, 0, 1, 0, 0, 0, 0], ...[1, -0.5, -0.5, -0.5, 1, -0.5, -0.5, -0.5, 1]];

function makeModel() {
  return new FakeModel({
    title: "<b>toy</b>",
    sparsities: [0, 0.9],
    n_features: N,
    d_hidden: 2,
    sparsity: 1,
    feature: -1,
    _W: encodeStored("float32", W, [2, 2, N], { pad: 1 }),
    _stats: encodeStored("float32", STATS, [2, 2, N], { pad: 2 }),
    _interference: encodeStored("float32", INTER, [2, N, N], { pad: 3 }),
    _importance: encodeStored("float32", [1, 0.9, 0.81], [N]),
    _slices: {},
  });
}

const key = (root: HTMLElement, k: string) => root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

afterEach(unmountAll);

describe("superposition view (DOM)", () => {
  it("renders the selector and a summary as text", async () => {
    const { root } = await mountView(widget, makeModel(), ".mi-superposition-view");
    expect(root.dataset.ready).toBe("true");
    expect(find(root, ".mi-title").textContent).toBe("<b>toy</b>");
    expect(root.querySelectorAll("b").length).toBe(0);
    const select = find<HTMLSelectElement>(root, "select.mi-toy-sparsity");
    expect([...select.options].map((o) => o.textContent)).toEqual([
      "sparsity 0 (feature present 100 % of the time)",
      "sparsity 0.9 (feature present 10 % of the time)",
    ]);
    expect(select.value).toBe("1");
    expect(root.dataset.represented).toBe("3");
    expect(find(root, ".mi-selection").textContent).toBe("sparsity 0.9: 3 of 3 features represented (‖W_i‖ > 0.5) in 2 dimensions");
    const heat = find<HTMLCanvasElement>(root, "canvas.mi-toy-interference");
    expect(heat.width).toBe(N * interferenceCell(N));
  });

  it("keys change sparsity and feature; the selector and Python follow each other", async () => {
    const model = makeModel();
    const { root } = await mountView(widget, model, ".mi-superposition-view");
    key(root, "ArrowLeft");
    expect(model.get("sparsity")).toBe(0);
    await tick();
    expect(root.dataset.represented).toBe("2");
    key(root, "ArrowDown");
    expect(model.get("feature")).toBe(0);
    key(root, "ArrowDown");
    expect(model.get("feature")).toBe(1);
    await tick();
    expect(find(root, ".mi-selection").textContent).toContain("feature 1: W_1 = (0.000, 1.000) · ‖W_1‖ = 1.000 · D_1 = 1.000 · importance 0.900");
    key(root, "Escape");
    expect(model.get("feature")).toBe(-1);
    const select = find<HTMLSelectElement>(root, "select.mi-toy-sparsity");
    select.value = "1";
    select.dispatchEvent(new Event("change"));
    expect(model.get("sparsity")).toBe(1);
    model.set("sparsity", 0);
    await tick();
    expect(select.value).toBe("0");
    expect(root.dataset.paintedSparsity).toBe("0");
  });

  it("hovering an interference cell shows its exact value", async () => {
    const { root } = await mountView(widget, makeModel(), ".mi-superposition-view");
    const heat = find<HTMLCanvasElement>(root, "canvas.mi-toy-interference");
    const cell = interferenceCell(N);
    heat.getBoundingClientRect = () => ({ left: 0, top: 0, width: heat.width, height: heat.height }) as DOMRect;
    heat.dispatchEvent(new MouseEvent("mousemove", { clientX: 2.5 * cell, clientY: 0.5 * cell, bubbles: true }));
    const tooltip = find<HTMLElement>(root, ".mi-tooltip");
    expect(tooltip.textContent).toBe("W_0 · W_2 = -0.500");
    expect([tooltip.dataset.row, tooltip.dataset.col, tooltip.dataset.value]).toEqual(["0", "2", "-0.5"]);
  });
});
