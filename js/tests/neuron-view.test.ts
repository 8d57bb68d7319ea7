// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { NeuronController } from "../src/neuron/view";
import { defineView } from "../src/lib/define_view";
import { encodeStored, FakeModel, find } from "./helpers";

const widget = defineView(NeuronController);

const TOKENS = ["<script>alert(1)</script>", "\n", "", "😀", "مرحبا", " end"];
const N = TOKENS.length;
const M = 4;

function layerValues(layer: number): number[] {
  return Array.from({ length: N * M }, (_, i) => ((i % M) - 1.5) * (1 + Math.floor(i / M)) * (layer + 1));
}

function makeModel(options: { slices?: string[]; examples?: boolean } = {}) {
  const _slices: Record<string, unknown> = {};
  for (const key of options.slices ?? ["layer:3"]) {
    const layer = Number(key.split(":")[1]);
    _slices[key] = encodeStored("float32", layerValues(layer), [N, M], { pad: 1 });
  }
  const examples = options.examples ?? false;
  if (examples) {
    _slices["examples:3:0"] = encodeStored("float32", [1, 5, -1, NaN, NaN, NaN], [2, 3], { pad: 2 });
    _slices["example-ids:3:0"] = encodeStored("int32", [7, 9, 0, 1, 2, -1, -1, -1, -1, -1], [2, 5]);
  }
  return new FakeModel({
    tokens: TOKENS, layers: [3, 5], n_neurons: M, title: "Test", layer: 3, neuron: 0, token: null,
    examples_info: examples ? { layers: [3], k: 2, context: 1, n_docs: 10, n_tokens: 100 } : {},
    example_tokens: examples ? ["<b>x</b>", " y", "\n"] : [],
    _example_stats: examples ? encodeStored("float32", [0.5, 0, 0, 0, 5, 1, 1, 1], [1, 2, M]) : {},
    _slices,
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
  return { el, root: find<HTMLElement>(el, ".mi-neuron-view"), cleanup };
}

describe("neuron view (DOM)", () => {
  it("renders literal tokens coloured by the neuron, with a legend", async () => {
    const { root } = await mount(makeModel());
    expect(root.dataset.ready).toBe("true");
    expect(root.dataset.paintedLayer).toBe("3");
    expect(root.dataset.paintedNeuron).toBe("0");
    const spans = [...root.querySelectorAll<HTMLElement>(".mi-neuron-text .mi-ntok")];
    expect(spans.map((s) => s.textContent)).toEqual(["<script>alert(1)</script>", "↵\n", "∅", "😀", "مرحبا", " end"]);
    expect(spans.every((s) => s.childElementCount === 0 && s.style.backgroundColor !== "")).toBe(true);
    expect(root.querySelectorAll("script").length).toBe(0);
    // neuron 0 of layer 3 is -1.5 * (t + 1) * 4: the scale is its largest magnitude, 36
    expect(root.dataset.scale).toBe("36");
    expect([...root.querySelectorAll(".mi-legend-tick")].map((t) => t.textContent)).toEqual(["-36.0000", "0", "36.0000"]);
    expect([...root.querySelectorAll(".mi-layer-select option")].map((o) => o.textContent)).toEqual(["Layer 3", "Layer 5"]);
    expect(root.querySelector(".mi-examples")?.hasAttribute("hidden")).toBe(true);
  });

  it("follows keys and Python-side changes, and asks the kernel for other layers", async () => {
    const model = makeModel();
    const { root } = await mount(model);
    const key = (k: string, shiftKey = false) => root.dispatchEvent(new KeyboardEvent("keydown", { key: k, shiftKey, bubbles: true }));
    key("ArrowRight");
    await tick();
    expect(model.state.neuron).toBe(1);
    expect(root.dataset.paintedNeuron).toBe("1");
    key("ArrowRight", true);
    expect(model.state.token).toBe(0);
    key("Escape");
    expect(model.state.token).toBe(null);
    key("ArrowDown");
    expect(model.state.layer).toBe(5);
    await tick();
    expect(model.sent).toEqual([{ type: "slice", key: "layer:5", id: expect.any(String) }]);
    expect(root.querySelector(".mi-status")?.textContent).toBe("loading layer 5…");
    model.emit("msg:custom", { type: "slice", id: model.sent[0].id, key: "layer:5", missing: true, reason: "not embedded in this report" }, []);
    await tick();
    expect(root.querySelector(".mi-missing")?.textContent).toBe("Layer 5 is not embedded in this report");
    model.set("layer", 3);
    model.set("neuron", 3);
    await tick();
    expect(root.querySelector(".mi-missing")).toBeNull();
    expect(root.dataset.paintedNeuron).toBe("3");
    expect((root.querySelector(".mi-neuron-input") as HTMLInputElement).value).toBe("3");
  });

  it("selects a token by click and lists the top neurons there", async () => {
    const model = makeModel();
    const { root } = await mount(model);
    find<HTMLElement>(root, ".mi-ntok[data-index='2']").click();
    await tick();
    expect(model.state.token).toBe(2);
    const listed = [...root.querySelectorAll<HTMLElement>(".mi-top-neuron")].map((b) => Number(b.dataset.neuron));
    expect(listed).toEqual([3, 2, 1, 0]);
    find<HTMLElement>(root, ".mi-top-neuron[data-neuron='2']").click();
    expect(model.state.neuron).toBe(2);
    find<HTMLElement>(root, ".mi-ntok[data-index='2']").click();
    expect(model.state.token).toBe(null);
  });

  it("shows embedded examples and marks absent ones", async () => {
    const model = makeModel({ examples: true });
    const { root } = await mount(model);
    const rows = [...root.querySelectorAll<HTMLElement>(".mi-example")];
    expect(rows.length).toBe(1);
    expect(rows[0].dataset.doc).toBe("7");
    expect([...rows[0].querySelectorAll(".mi-ntok")].map((s) => s.textContent)).toEqual(["<b>x</b>", " y", "↵"]);
    expect(rows[0].querySelector(".mi-example-max")?.textContent).toBe(" y");
    expect(root.dataset.scale).toBe("36");
    model.set("neuron", 1);
    await tick();
    const request = model.sent.find((m) => m.key === "examples:3:1");
    expect(request).toBeDefined();
    for (const m of model.sent) model.emit("msg:custom", { type: "slice", id: m.id, key: m.key, missing: true, reason: "not embedded in this report" }, []);
    await tick();
    expect(root.querySelector(".mi-examples")?.getAttribute("data-state")).toBe("missing");
    expect(root.querySelector(".mi-examples-status")?.textContent).toBe("The examples of neuron 1 (layer 3) are not embedded in this report");
  });

  it("cleans up its listeners and elements", async () => {
    const model = makeModel();
    const { el, cleanup } = await mount(model);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });
});
