// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { ProbeController } from "../src/probe/view";
import { defineView } from "../src/lib/define_view";
import { chartFrame, yRange } from "../src/probe/chart";
import { pointPixels, scatterFrame } from "../src/probe/scatter";
import { toPx } from "../src/lib/plot";
import { encodeStored, FakeModel, find } from "./helpers";
import { mountView, tick, unmountAll } from "./mount";

const widget = defineView(ProbeController);

const LAYERS = [2, 3, 4];
const N = 4;
// [4, layer]: held out, train, control held out, control train
const SCORES = [0.5, 0.75, 0.9, 0.6, 0.8, 1, 0.5, 0.45, 0.55, 0.9, 0.92, 0.95];
// [2, layer, n]
const POINTS = [...[0, 1, 2, 3, -1, -2, 1, 2, -3, -1, 1, 3], ...[0, 1, 0, 1, 1, 1, 0, 0, 0.5, -0.5, 0.5, -0.5]];

function makeModel(overrides: Record<string, unknown> = {}) {
  return new FakeModel({
    title: "<img src=x onerror=alert(1)>",
    task: "classification",
    site: "hook_resid_post",
    layers: LAYERS,
    classes: ["<b>no</b>", "yes"],
    examples: ["<script>alert(1)</script>", "&amp;", "🦄 token", "\n"],
    chance: 0.5,
    layer: 4,
    example: -1,
    _scores: encodeStored("float32", SCORES, [4, 3], { pad: 1 }),
    _points: encodeStored("float32", POINTS, [2, 3, N], { pad: 3 }),
    _labels: encodeStored("float32", [0, 1, 0, 1], [N], { pad: 2 }),
    _test: encodeStored("uint8", [0, 0, 1, 1], [N], { pad: 1 }),
    _slices: {},
    ...overrides,
  });
}

const key = (root: HTMLElement, k: string) => root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

afterEach(unmountAll);

describe("probe view (DOM)", () => {
  it("renders title, legends and the selected layer's scores as text only", async () => {
    const { root } = await mountView(widget, makeModel(), ".mi-probe-view");
    expect(root.dataset.ready).toBe("true");
    expect(root.dataset.layer).toBe("4");
    expect(find(root, ".mi-title").textContent).toBe("<img src=x onerror=alert(1)>");
    expect(root.querySelectorAll("img, b, script").length).toBe(0);
    expect([...root.querySelectorAll(".mi-probe-class")].map((e) => e.textContent)).toEqual(["<b>no</b>", "yes", "ringed: held out"]);
    expect(find(root, ".mi-selection").textContent).toBe("layer 4 · held-out accuracy 0.900 · control 0.550");
    expect(root.querySelector(".mi-save-png")).not.toBeNull();
  });

  it("hovering a layer shows its exact scores; a click selects it", async () => {
    const model = makeModel();
    const { root } = await mountView(widget, model, ".mi-probe-view");
    const chart = find<HTMLCanvasElement>(root, "canvas.mi-probe-scores");
    const frame = chartFrame(chart, { scores: new Float32Array(SCORES), layers: LAYERS, chance: 0.5, metric: "accuracy" });
    const at = { clientX: toPx(frame, 0), clientY: 50, bubbles: true };
    chart.dispatchEvent(new MouseEvent("mousemove", at));
    const tooltip = find<HTMLElement>(root, ".mi-tooltip");
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.dataset.layer).toBe("2");
    expect(JSON.parse(tooltip.dataset.values ?? "")).toEqual([0.5, 0.6, 0.5, 0.9].map(Math.fround));
    expect(tooltip.textContent).toBe(
      "layer 2\nheld-out accuracy: 0.500\ntraining accuracy: 0.600\ncontrol (shuffled labels): 0.500 held out, 0.900 training\nchance: 0.500",
    );
    chart.dispatchEvent(new MouseEvent("click", at));
    expect(model.get("layer")).toBe(2);
    await tick();
    expect(root.dataset.paintedLayer).toBe("2");
  });

  it("hovering a point shows its example literally; a click selects it, Escape clears", async () => {
    const model = makeModel();
    const { root } = await mountView(widget, model, ".mi-probe-view");
    const scatter = find<HTMLCanvasElement>(root, "canvas.mi-probe-scatter");
    const data = {
      along: new Float32Array([-3, -1, 1, 3]),
      across: new Float32Array([0.5, -0.5, 0.5, -0.5]),
      labels: new Float32Array([0, 1, 0, 1]),
      test: new Uint8Array([0, 0, 1, 1]),
      regression: false,
    };
    const [xs, ys] = pointPixels(scatterFrame(scatter, data), data);
    scatter.dispatchEvent(new MouseEvent("mousemove", { clientX: xs[0], clientY: ys[0], bubbles: true }));
    const tooltip = find<HTMLElement>(root, ".mi-tooltip");
    expect(tooltip.textContent).toBe("<script>alert(1)</script>\nlabel: <b>no</b> · training\nalong the probe: -3.000 · other component: 0.500");
    expect(root.querySelectorAll("script, b").length).toBe(0);
    expect([tooltip.dataset.along, tooltip.dataset.across]).toEqual(["-3", "0.5"]);
    scatter.dispatchEvent(new MouseEvent("click", { clientX: xs[3], clientY: ys[3], bubbles: true }));
    expect(model.get("example")).toBe(3);
    await tick();
    expect(root.dataset.example).toBe("3");
    key(root, "Escape");
    expect(model.get("example")).toBe(-1);
  });

  it("arrow keys move the layer within range; Python changes repaint", async () => {
    const model = makeModel();
    const { root } = await mountView(widget, model, ".mi-probe-view");
    key(root, "ArrowRight");
    expect(model.get("layer")).toBe(4);
    key(root, "ArrowLeft");
    key(root, "ArrowUp");
    expect(model.get("layer")).toBe(2);
    model.set("layer", 3);
    await tick();
    expect(root.dataset.paintedLayer).toBe("3");
  });

  it("a regression shows R² and a value legend", async () => {
    const model = makeModel({ task: "regression", classes: [], chance: 0, _labels: encodeStored("float32", [-1, 2, 0.5, 3], [N]) });
    const { root } = await mountView(widget, model, ".mi-probe-view");
    expect(find(root, ".mi-selection").textContent).toBe("layer 4 · held-out R² 0.900 · control 0.550");
    expect(find(root, ".mi-probe-classes").textContent).toContain("target value");
  });

  it("AUC is charted when chosen, and the switch sets the metric", async () => {
    const auc = [0.6, 0.7, 0.95, 0.5, 0.52, 0.48];
    const model = makeModel({ metrics: ["accuracy", "auc"], metric: "auc", _auc: encodeStored("float32", auc, [2, 3], { pad: 2 }) });
    const { root } = await mountView(widget, model, ".mi-probe-view");
    expect(find(root, ".mi-selection").textContent).toBe("layer 4 · held-out AUC 0.950 · control 0.480");
    const select = find<HTMLSelectElement>(root, ".mi-probe-metric-select");
    expect(select.getAttribute("aria-label")).toBe("score shown in the chart");
    expect([...select.options].map((o) => o.textContent)).toEqual(["accuracy", "AUC"]);
    expect(select.value).toBe("auc");
    select.value = "accuracy";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("metric")).toBe("accuracy");
    await tick();
    expect(root.dataset.metric).toBe("accuracy");
    expect(find(root, ".mi-selection").textContent).toBe("layer 4 · held-out accuracy 0.900 · control 0.550");
  });

  it("the y-axis zooms to close lines and keeps [0, 1] otherwise", () => {
    const close = new Float32Array([0.965, 0.96, 0.97, 0.99, 0.99, 0.99, 0.927, 0.93, 0.925, 0.93, 0.93, 0.93]);
    const [low, high] = yRange({ scores: close, layers: LAYERS, chance: 0.927, metric: "accuracy" });
    expect(low).toBeGreaterThan(0.85);
    expect(low).toBeLessThan(0.925);
    expect(high).toBeGreaterThan(0.97);
    expect(high).toBeLessThanOrEqual(1);
    expect(yRange({ scores: new Float32Array(SCORES), layers: LAYERS, chance: 0.5, metric: "accuracy" })).toEqual([0, 1]);
  });
});
