// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { HeadScoresController } from "../src/head_scores/view";
import { defineView } from "../src/lib/define_view";
import { scoreCellSize } from "../src/head_scores/grid";
import { encodeStored, FakeModel, find } from "./helpers";

const widget = defineView(HeadScoresController);

const NAMES = ["previous_token", "induction"];
const LAYERS = 2;
const HEADS = 3;
// [score, layer, head]
const VALUES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.9, NaN, 0.7, 0.6, 0.5, 0.4];

function makeModel() {
  return new FakeModel({
    names: NAMES,
    layer_labels: [4, 5],
    n_layers: LAYERS,
    n_heads: HEADS,
    title: "<b>scores</b>",
    score: "induction",
    layer: 0,
    head: 0,
    _values: encodeStored("float32", VALUES, [2, LAYERS, HEADS], { pad: 1 }),
    _slices: {},
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
  cleanups.push(widget.render({ model, el } as never) as () => void);
  await tick();
  const root = find<HTMLElement>(el, ".mi-head-scores-view");
  // happy-dom has no layout: give the overlay the size the page would
  const cell = scoreCellSize(LAYERS, HEADS);
  const overlay = find<HTMLCanvasElement>(root, ".mi-score-overlay");
  overlay.getBoundingClientRect = () =>
    ({ left: 10, top: 20, width: HEADS * cell, height: LAYERS * cell, right: 0, bottom: 0, x: 10, y: 20 }) as DOMRect;
  const at = (layer: number, head: number) => ({ clientX: 10 + (head + 0.5) * cell, clientY: 20 + (layer + 0.5) * cell, bubbles: true });
  return { el, root, at, stack: find<HTMLElement>(root, ".mi-score-stack") };
}

const key = (root: HTMLElement, k: string, shiftKey = false) =>
  root.dispatchEvent(new KeyboardEvent("keydown", { key: k, shiftKey, bubbles: true }));

describe("head scores view (DOM)", () => {
  it("renders the grid, the score select, axis labels and the legend", async () => {
    const { root } = await mount(makeModel());
    expect(root.dataset.ready).toBe("true");
    expect(root.dataset.selected).toBe("0,0");
    expect(find(root, ".mi-title").textContent).toBe("<b>scores</b>");
    expect(root.querySelectorAll("b").length).toBe(0);
    const select = find<HTMLSelectElement>(root, "select.mi-score-select");
    expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
      ["previous_token", "previous token"],
      ["induction", "induction"],
    ]);
    expect(select.value).toBe("induction");
    const grid = find<HTMLCanvasElement>(root, "canvas.mi-score-grid");
    const cell = scoreCellSize(LAYERS, HEADS);
    expect([grid.width, grid.height]).toEqual([HEADS * cell, LAYERS * cell]);
    const layerLabels = [...root.querySelectorAll(".mi-score-layer-label")].map((l) => l.textContent);
    expect(layerLabels).toEqual(["4", "5"]);
    expect(root.querySelectorAll(".mi-score-head-label").length).toBe(HEADS);
    expect(find(root, ".mi-score-layer-label.mi-selected").textContent).toBe("4");
    expect(find<HTMLElement>(root, ".mi-score-legend-na").hidden).toBe(false);
    expect(find(root, ".mi-selection").textContent).toBe("selected: layer 4, head 0 · induction 0.9000");
    expect(root.querySelector(".mi-save-png")).not.toBeNull();
  });

  it("hides the n/a legend when the shown score has no NaN", async () => {
    const model = makeModel();
    const { root } = await mount(model);
    model.set("score", "previous_token");
    await tick();
    expect(find<HTMLElement>(root, ".mi-score-legend-na").hidden).toBe(true);
    expect(root.dataset.score).toBe("previous_token");
  });

  it("hover shows every score of the head; a click selects it", async () => {
    const model = makeModel();
    const { root, stack, at } = await mount(model);
    stack.dispatchEvent(new MouseEvent("mousemove", at(0, 1)));
    const tooltip = find<HTMLElement>(root, ".mi-tooltip");
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toBe("layer 4 · head 1\n  previous token  0.2000\n▸ induction       n/a");
    expect(JSON.parse(tooltip.dataset.values ?? "")).toEqual({ previous_token: Math.fround(0.2), induction: null });
    stack.dispatchEvent(new MouseEvent("click", at(1, 2)));
    expect([model.get("layer"), model.get("head")]).toEqual([1, 2]);
    await tick();
    expect(root.dataset.selected).toBe("1,2");
    stack.dispatchEvent(new MouseEvent("mouseleave", {}));
    expect(tooltip.hidden).toBe(true);
  });

  it("arrow keys move the selection, Shift+arrows the score, Enter/Escape the values", async () => {
    const model = makeModel();
    const { root } = await mount(model);
    key(root, "ArrowRight");
    key(root, "ArrowRight");
    key(root, "ArrowRight");
    key(root, "ArrowDown");
    expect([model.get("layer"), model.get("head")]).toEqual([1, 2]);
    key(root, "ArrowUp");
    key(root, "ArrowLeft");
    expect([model.get("layer"), model.get("head")]).toEqual([0, 1]);
    key(root, "ArrowRight", true);
    expect(model.get("score")).toBe("previous_token");
    await tick();
    expect(root.dataset.selected).toBe("0,1");
    const tooltip = find<HTMLElement>(root, ".mi-tooltip");
    key(root, "Enter");
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toContain("layer 4 · head 1");
    key(root, "ArrowDown");
    await tick();
    expect(tooltip.textContent).toContain("layer 5 · head 1");
    key(root, "Escape");
    expect(tooltip.hidden).toBe(true);
  });

  it("follows the model: selection, score, new scores", async () => {
    const model = makeModel();
    const { root } = await mount(model);
    model.set("head", 2);
    model.set("layer", 1);
    await tick();
    expect(root.dataset.selected).toBe("1,2");
    model.state.n_layers = 1;
    model.state.n_heads = 2;
    model.state.layer_labels = [9];
    model.set("_values", encodeStored("float32", [0.5, 0.5, 0.1, 0.2], [2, 1, 2]));
    model.set("layer", 0);
    model.set("head", 1);
    await tick();
    expect(root.querySelectorAll(".mi-score-head-label").length).toBe(2);
    expect(find(root, ".mi-score-layer-label").textContent).toBe("9");
    expect(root.dataset.selected).toBe("0,1");
  });

  it("cleans up its listeners", async () => {
    const model = makeModel();
    const { el } = await mount(model);
    cleanups.pop()?.();
    expect(model.listenerCount()).toBe(0);
    expect(el.querySelector(".mi-head-scores-view")).toBeNull();
  });
});

describe("head scores view: the scores-on switch", () => {
  const TEXT = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.25, 0.5, 0.75, 1, NaN, 0];

  function switchModel(scoresOn = "given") {
    const model = makeModel();
    Object.assign(model.state, {
      title: "Scores: random, not the text shown.",
      text_title: "Scores: the text.",
      source_labels: { given: "random repeats", text: "this text" },
      scores_on: scoresOn,
      _text_values: encodeStored("float32", TEXT, [2, LAYERS, HEADS]),
    });
    return model;
  }

  it("is hidden without the text's scores", async () => {
    const { root } = await mount(makeModel());
    expect(find<HTMLElement>(root, ".mi-source-switch").hidden).toBe(true);
    expect(root.dataset.scoresOn).toBe("given");
  });

  it("a click shows the text's scores, its heading and values", async () => {
    const model = switchModel();
    const { root } = await mount(model);
    const sw = find<HTMLElement>(root, ".mi-source-switch");
    expect(sw.hidden).toBe(false);
    expect(sw.getAttribute("role")).toBe("radiogroup");
    expect(sw.textContent).toBe("Scores on:random repeatsthis text");
    const text = find<HTMLInputElement>(root, ".mi-source-radio[value='text']");
    expect(text.parentElement?.getAttribute("title")).toBe("Scores: the text.");
    expect(find(root, ".mi-selection").textContent).toContain("induction 0.9000");
    text.checked = true;
    text.dispatchEvent(new Event("change", { bubbles: true }));
    await tick();
    expect(model.get("scores_on")).toBe("text");
    expect(root.dataset.scoresOn).toBe("text");
    expect(find(root, ".mi-title").textContent).toBe("Scores: the text.");
    expect(find(root, ".mi-selection").textContent).toContain("induction 0.2500");
  });

  it("arrow keys on the switch choose the input; Python's value is followed", async () => {
    const model = switchModel("text");
    const { root } = await mount(model);
    expect(find(root, ".mi-title").textContent).toBe("Scores: the text.");
    const sw = find<HTMLElement>(root, ".mi-source-switch");
    sw.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    await tick();
    expect(model.get("scores_on")).toBe("given");
    expect(find<HTMLInputElement>(root, ".mi-source-radio[value='given']").checked).toBe(true);
    expect(model.get("head")).toBe(0); // the grid's own arrow keys did not move the head
    model.set("scores_on", "text");
    await tick();
    expect(root.dataset.scoresOn).toBe("text");
    expect(find<HTMLInputElement>(root, ".mi-source-radio[value='text']").checked).toBe(true);
  });
});
