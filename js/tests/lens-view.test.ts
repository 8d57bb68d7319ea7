// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { LensController } from "../src/lens/view";
import { defineView } from "../src/lib/define_view";
import { CELL_HEIGHT, cellWidth } from "../src/lens/grid";
import { makeLensModel } from "./lens-fixture";
import { mountView, tick, unmountAll } from "./mount";
import { find, type FakeModel } from "./helpers";

const widget = defineView(LensController);

afterEach(unmountAll);

async function mount(model: FakeModel) {
  const { root } = await mountView(widget, model, ".mi-lens-view");
  // happy-dom has no layout: give the overlay the size the page would
  const w = cellWidth(3);
  const overlay = find<HTMLCanvasElement>(root, ".mi-lens-overlay");
  overlay.getBoundingClientRect = () =>
    ({ left: 10, top: 20, width: 3 * w, height: 2 * CELL_HEIGHT, right: 0, bottom: 0, x: 10, y: 20 }) as DOMRect;
  const at = (row: number, position: number) => ({ clientX: 10 + (position + 0.5) * w, clientY: 20 + (row + 0.5) * CELL_HEIGHT, bubbles: true });
  const stack = overlay;
  return { root, at, stack };
}

const key = (root: HTMLElement, k: string, shiftKey = false) =>
  root.dispatchEvent(new KeyboardEvent("keydown", { key: k, shiftKey, bubbles: true }));

describe("lens view (DOM)", () => {
  it("renders labels, the selection, the target select and the chart, all as text", async () => {
    const { root } = await mount(makeLensModel());
    expect(root.dataset.ready).toBe("true");
    expect(root.dataset.selected).toBe("1,2");
    expect(find(root, ".mi-title").textContent).toBe("<i>lens</i>");
    expect(root.querySelectorAll("i, b, script").length).toBe(0);
    const rows = [...root.querySelectorAll(".mi-lens-rows .mi-lens-label")].map((e) => e.textContent);
    const columns = [...root.querySelectorAll(".mi-lens-columns .mi-lens-label")].map((e) => e.textContent);
    expect(rows).toEqual(["embed", "L0"]);
    expect(columns).toEqual(["<b>x</b>_0", " a_1", "↵_2"]);
    expect(find(root, ".mi-lens-rows .mi-selected").textContent).toBe("L0");
    expect(find(root, ".mi-selection").textContent).toBe('selected: L0 at ↵_2 · top " c" 0.7500');
    const select = find<HTMLSelectElement>(root, ".mi-target-select");
    expect([...select.options].map((o) => o.textContent)).toEqual(['" c" (target)', '"<script>alert(1)</script>" (top 2)']);
    expect(select.value).toBe("3");
    expect(find(root, ".mi-lens-chart-title").textContent).toBe('P(" c") per row at ↵_2');
    expect(root.dataset.chart).toBe("ready");
    expect(JSON.parse(root.dataset.line ?? "")).toEqual([0.125, 0.75]);
    const grid = find<HTMLCanvasElement>(root, ".mi-lens-grid");
    expect([grid.width, grid.height]).toEqual([3 * cellWidth(3), 2 * CELL_HEIGHT]);
  });

  it("hovers with the top k, clicks to select and sets the link traits", async () => {
    const model = makeLensModel();
    const { root, at, stack } = await mount(model);
    stack.dispatchEvent(new MouseEvent("mousemove", at(0, 0)));
    const tooltip = find<HTMLElement>(root, ".mi-tooltip");
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent).toBe('embed · <b>x</b>_0\n 1. 0.9000  "<script>alert(1)</script>"\n 2. 0.0500  " a"');
    expect(tooltip.dataset.row).toBe("0");
    expect(tooltip.querySelectorAll("*").length).toBe(0);
    stack.dispatchEvent(new MouseEvent("click", at(0, 1)));
    await tick();
    expect([model.get("row"), model.get("position"), model.get("query_token"), model.get("layer")]).toEqual([0, 1, 1, 0]);
    expect(root.dataset.selected).toBe("0,1");
    stack.dispatchEvent(new MouseEvent("click", at(1, 0)));
    expect([model.get("row"), model.get("position"), model.get("layer")]).toEqual([1, 0, 0]);
    stack.dispatchEvent(new MouseEvent("mouseleave", { bubbles: true }));
    expect(tooltip.hidden).toBe(true);
  });

  it("follows a linked view's layer and query token", async () => {
    const model = makeLensModel({ row: 0, position: 0, layer: 0 });
    const { root } = await mount(model);
    model.set("query_token", 2);
    model.set("layer", 0);
    await tick();
    expect([model.get("row"), model.get("position")]).toEqual([1, 2]);
    model.set("query_token", null);
    await tick();
    expect(model.get("position")).toBe(2);
    expect(root.dataset.selected).toBe("1,2");
  });

  it("moves with the keys, pins the tooltip with Enter, and the target select sets the line", async () => {
    const model = makeLensModel();
    const { root } = await mount(model);
    key(root, "ArrowLeft");
    key(root, "ArrowUp");
    await tick();
    expect([model.get("row"), model.get("position"), model.get("layer")]).toEqual([0, 1, 0]);
    key(root, "ArrowUp");
    key(root, "ArrowLeft");
    key(root, "ArrowLeft");
    expect([model.get("row"), model.get("position")]).toEqual([0, 0]);
    key(root, "Enter");
    const tooltip = find<HTMLElement>(root, ".mi-tooltip");
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.textContent?.startsWith("embed · <b>x</b>_0")).toBe(true);
    key(root, "Escape");
    expect(tooltip.hidden).toBe(true);
    await tick();
    const select = find<HTMLSelectElement>(root, ".mi-target-select");
    const options = [...select.options].map((o) => Number(o.value));
    expect(options).toEqual([3, 1, 0]); // target, next input, top 1 (" a" already listed)
    select.value = "1";
    select.dispatchEvent(new Event("change"));
    expect(model.get("target")).toBe(1);
    await tick();
    expect(root.dataset.paintedLine).toBe("1@0");
    expect(JSON.parse(root.dataset.line ?? "")).toEqual([Math.fround(0.05), Math.fround(0.7)]);
    key(root, "ArrowRight", true); // ten positions, clamped to the last
    expect(model.get("position")).toBe(2);
  });

  it("asks the kernel for a target not kept at the position and says when it is missing", async () => {
    const model = makeLensModel({ target: 4 });
    const { root } = await mount(model);
    expect(root.dataset.chart).toBe("loading");
    const request = model.sent.find((m) => m.type === "slice");
    expect(request.key).toBe("target:4");
    model.emit("msg:custom", { type: "slice", id: request.id, key: "target:4", missing: true, reason: "not embedded in this report" });
    await tick();
    await tick();
    expect(root.dataset.chart).toBe("missing");
    expect(find(root, ".mi-lens-note").textContent).toContain("not embedded in this report");
  });
});
