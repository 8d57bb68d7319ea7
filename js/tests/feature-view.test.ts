// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { FeatureController } from "../src/feature/view";
import { defineView } from "../src/lib/define_view";
import { dashboardState, featureSlices } from "./feature-fixture";
import { encodeStored, FakeModel, find } from "./helpers";
import { mountView, tick, unmountAll } from "./mount";

const widget = defineView(FeatureController);

afterEach(unmountAll);

const mount = (model: FakeModel) => mountView(widget, model, ".mi-feature-dashboard");

/** Listed rows in list order: [feature, index text, density text, max text, token text]. */
function rows(root: HTMLElement): string[][] {
  return [...root.querySelectorAll<HTMLElement>(".mi-feature-list .mi-feature-row:not([hidden])")]
    .sort((a, b) => Number(a.dataset.position) - Number(b.dataset.position))
    .map((row) => [row.dataset.feature ?? "", ...[...row.children].map((c) => c.textContent ?? "")]);
}

/** Answer every slice request the page sent with the fixture's slices (or as missing). */
function answer(model: FakeModel, n: number, missing = false) {
  for (const m of model.sent.splice(0)) {
    if (m.type !== "slice") continue;
    const f = Number(m.key.split(":")[1]);
    const encoded = featureSlices(f, n)[m.key];
    if (missing) model.emit("msg:custom", { type: "slice", id: m.id, key: m.key, missing: true, reason: "not embedded in this report" }, []);
    else model.emit("msg:custom", { type: "slice", id: m.id, key: m.key, array: { ...encoded, data: undefined } }, [encoded.data]);
  }
}

const key = (target: HTMLElement, k: string) => target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

describe("feature dashboard (DOM)", () => {
  it("lists features with literal tokens and shows the selected one's panels", async () => {
    const { root } = await mount(new FakeModel(dashboardState(10)));
    expect(root.dataset.ready).toBe("true");
    expect(root.dataset.paintedFeature).toBe("0");
    expect(root.dataset.listed).toBe("9");
    expect(rows(root).slice(0, 3)).toEqual([
      ["0", "0", "1.00%", "1.0000", "<script>alert(1…"],
      ["1", "1", "2.00%", "2.0000", " the"],
      ["3", "3", "4.00%", "4.0000", "∅"],
    ]);
    expect(root.querySelector(".mi-feature-row.mi-current")?.getAttribute("data-feature")).toBe("0");
    expect(find<HTMLElement>(root, ".mi-feature-row[data-feature='0'] .mi-fr-token").title).toBe('"<script>alert(1)</script>"');
    expect(root.querySelector(".mi-feature-title")?.textContent).toBe("Feature 0");
    const examples = [...root.querySelectorAll<HTMLElement>(".mi-examples .mi-example")];
    expect(examples.map((e) => [...e.querySelectorAll(".mi-ntok")].map((s) => s.textContent))).toEqual([
      ["<script>alert(1)</script>", " the"],
      ["↵", "∅", " cat"],
    ]);
    expect(examples[0].querySelector(".mi-example-max")?.textContent).toBe("<script>alert(1)</script>");
    expect(root.querySelectorAll("script, img").length).toBe(0);
    const intervals = [...root.querySelectorAll<HTMLElement>(".mi-interval")];
    expect(intervals.map((g) => g.dataset.interval)).toEqual(["1", "0"]);
    expect(intervals[0].querySelector(".mi-interval-label")?.textContent).toBe("(0.5000, 1.0000] · 9 activations");
    expect(intervals[1].textContent).toContain("no examples in this interval");
    expect([...root.querySelectorAll(".mi-logit-value.mi-raised")].map((c) => c.textContent)).toEqual(["2.5000", "1.5000"]);
    expect([...root.querySelectorAll<HTMLElement>(".mi-neighbour")].map((b) => b.dataset.feature)).toEqual(["1", "2"]);
    expect(root.dataset.scale).toBe("1");
    expect(root.dataset.probe).toBe("idle");
  });

  it("keeps only the visible rows of 16,384 features in the DOM and follows the scroll", async () => {
    const n = 16384;
    const { root } = await mount(new FakeModel({ ...dashboardState(n), hide_dead: false }));
    const list = find<HTMLElement>(root, ".mi-feature-list");
    const spacer = find<HTMLElement>(list, ".mi-list-spacer");
    expect(spacer.style.height).toBe(`${n * 24}px`);
    expect(list.querySelectorAll(".mi-feature-row").length).toBeLessThan(40);
    list.scrollTop = 24 * 8000;
    list.dispatchEvent(new Event("scroll"));
    const shown = rows(root).map((r) => Number(r[0]));
    expect(shown).toContain(8000);
    expect(shown.every((f) => f >= 7990 && f < 8040)).toBe(true);
    expect(list.querySelectorAll(".mi-feature-row").length).toBeLessThan(40);
  });

  it("selects features by click, neighbour, keys, and fetches their slices", async () => {
    const model = new FakeModel(dashboardState(10));
    const { root } = await mount(model);
    find<HTMLElement>(root, ".mi-feature-row[data-feature='3']").click();
    expect(model.state.feature).toBe(3);
    await tick();
    expect(root.dataset.panels).toBe("loading");
    expect(model.sent.map((m) => m.key)).toEqual(["feature:3", "feature-ids:3"]);
    answer(model, 10);
    await tick();
    expect(root.dataset.paintedFeature).toBe("3");
    expect(root.dataset.scale).toBe("4");
    find<HTMLElement>(root, ".mi-neighbour[data-feature='5']").click();
    expect(model.state.feature).toBe(5);
    answer(model, 10);
    await tick();
    key(root, "ArrowDown");
    key(root, "ArrowDown");
    expect(model.state.feature).toBe(5);
    key(root, "Enter");
    expect(model.state.feature).toBe(7);
    key(root, "ArrowLeft");
    expect(model.state.feature).toBe(6);
    key(root, "/");
    expect(document.activeElement).toBe(root.querySelector(".mi-feature-search"));
  });

  it("searches, sorts and hides dead features through the traits", async () => {
    const model = new FakeModel(dashboardState(10));
    const { root } = await mount(model);
    const search = find<HTMLInputElement>(root, ".mi-feature-search");
    search.value = "the";
    search.dispatchEvent(new Event("input"));
    expect(model.state.query).toBe("the");
    await tick();
    expect(rows(root).map((r) => r[0])).toEqual(["1", "3", "5", "7", "9"]);
    key(search, "Enter");
    expect(model.state.feature).toBe(1);
    key(search, "Escape");
    expect(model.state.query).toBe("");
    const sort = find<HTMLSelectElement>(root, ".mi-feature-sort");
    sort.value = "max:desc";
    sort.dispatchEvent(new Event("change"));
    expect([model.state.sort, model.state.descending]).toEqual(["max", true]);
    await tick();
    expect(rows(root).map((r) => r[0]).slice(0, 3)).toEqual(["9", "8", "7"]);
    const hide = find<HTMLInputElement>(root, ".mi-hide-dead");
    hide.checked = false;
    hide.dispatchEvent(new Event("change"));
    expect(model.state.hide_dead).toBe(false);
    await tick();
    expect(root.dataset.listed).toBe("10");
    model.set("query", "#2");
    await tick();
    expect(search.value).toBe("#2");
    expect(rows(root).map((r) => r[0])).toEqual(["2"]);
  });

  it("marks features that are not embedded and draws nothing half", async () => {
    const model = new FakeModel(dashboardState(10, { embedded: [0, 1] }));
    const { root } = await mount(model);
    expect(root.querySelector(".mi-feature-row[data-feature='3']")?.classList.contains("mi-not-embedded")).toBe(true);
    expect(root.querySelector(".mi-feature-row[data-feature='1']")?.classList.contains("mi-not-embedded")).toBe(false);
    model.set("feature", 3);
    await tick();
    answer(model, 10, true);
    await tick();
    expect(root.dataset.panels).toBe("missing");
    expect(root.dataset.paintedFeature).toBe("3");
    expect(root.querySelector(".mi-feature-missing")?.textContent).toContain("Feature 3 is not embedded in this report");
    expect(find<HTMLElement>(root, ".mi-fd-panels").hidden).toBe(true);
    // slices of the wrong size: a message, no panels
    const bad = { ...dashboardState(10), feature: 4 };
    bad._slices = { "feature:4": encodeStored("float32", [1, 2], [2]), "feature-ids:4": featureSlices(4, 10)["feature-ids:4"] };
    const broken = await mount(new FakeModel(bad));
    expect(broken.root.dataset.panels).toBe("missing");
    expect(broken.root.querySelector(".mi-feature-missing")?.textContent).toMatch(/cannot be shown: cannot decode: .*expected 21 and 32/);
    expect(find<HTMLElement>(broken.root, ".mi-fd-panels").hidden).toBe(true);
  });

  it("refuses a summary it cannot read", async () => {
    const state = dashboardState(10);
    const { root } = await mount(new FakeModel({ ...state, n_features: 11 }));
    expect(root.dataset.state).toBe("error");
    expect(root.querySelector(".mi-error")?.textContent).toMatch(/cannot be shown: summary stats has 20 values/);
    expect(find<HTMLElement>(root, ".mi-fd-body").hidden).toBe(true);
  });

  it("runs your own text through the kernel and colours it", async () => {
    const model = new FakeModel(dashboardState(10, { slices: [0, 1] }));
    const { root } = await mount(model);
    const input = find<HTMLTextAreaElement>(root, ".mi-probe-input");
    input.value = "<b>hi</b> there";
    find<HTMLButtonElement>(root, ".mi-probe-run").click();
    const request = model.sent.find((m) => m.type === "text");
    expect(request).toEqual({ type: "text", id: expect.any(String), text: "<b>hi</b> there", feature: 0 });
    await tick();
    expect(root.dataset.probe).toBe("running");
    const values = encodeStored("float32", [0.5, 2], [2], { pad: 1 });
    model.emit("msg:custom", { type: "text", id: "stale", feature: 0, tokens: ["x"], array: { ...values, data: undefined } }, [values.data]);
    model.emit("msg:custom", { type: "text", id: request.id, feature: 0, tokens: ["<b>hi</b>", " there"], array: { ...values, data: undefined } }, [values.data]);
    await tick();
    expect(root.dataset.probe).toBe("ready");
    const spans = [...root.querySelectorAll<HTMLElement>(".mi-probe-text .mi-ntok")];
    expect(spans.map((s) => s.textContent)).toEqual(["<b>hi</b>", " there"]);
    expect(spans.every((s) => s.childElementCount === 0 && s.style.backgroundColor !== "")).toBe(true);
    // another feature: the same text is asked for again
    model.sent.length = 0;
    model.set("feature", 1);
    await tick();
    const again = model.sent.find((m) => m.type === "text");
    expect(again).toMatchObject({ text: "<b>hi</b> there", feature: 1 });
    model.emit("msg:custom", { type: "text", id: again.id, error: "ValueError: no model" });
    await tick();
    expect(root.dataset.probe).toBe("error");
    expect(root.querySelector(".mi-probe-status")?.textContent).toBe("ValueError: no model");
    expect(root.querySelectorAll(".mi-probe-text .mi-ntok").length).toBe(0);
  });

  it("disables the text box with the reason", async () => {
    const note = "Trying your own text needs a live kernel: this is an exported report.";
    const { root } = await mount(new FakeModel(dashboardState(10, { textNote: note })));
    expect(find<HTMLTextAreaElement>(root, ".mi-probe-input").disabled).toBe(true);
    expect(find<HTMLButtonElement>(root, ".mi-probe-run").disabled).toBe(true);
    expect(root.querySelector(".mi-probe-note")?.textContent).toBe(note);
    expect(root.dataset.probe).toBe("disabled");
  });

  it("builds an interval's rows when it comes near the view", async () => {
    const seen: ((entries: { isIntersecting: boolean; target: Element }[]) => void)[] = [];
    const observed: Element[] = [];
    class FakeObserver {
      constructor(callback: (entries: { isIntersecting: boolean; target: Element }[]) => void) {
        seen.push(callback);
      }
      observe(el: Element) {
        observed.push(el);
      }
      unobserve() {}
      disconnect() {}
    }
    const original = window.IntersectionObserver;
    (window as unknown as { IntersectionObserver: unknown }).IntersectionObserver = FakeObserver;
    try {
      const { root } = await mount(new FakeModel(dashboardState(10)));
      const [high, low] = [...root.querySelectorAll<HTMLElement>(".mi-interval")];
      expect(observed).toEqual([high]);
      expect(high.querySelectorAll(".mi-example").length).toBe(0);
      expect(low.dataset.built).toBe("true");
      seen[0]([{ isIntersecting: true, target: high }]);
      expect(high.dataset.built).toBe("true");
      const spans = [...high.querySelectorAll<HTMLElement>(".mi-ntok")];
      expect(spans.map((s) => s.textContent)).toEqual(["שלום", " dog", " The"]);
      expect(spans.every((s) => s.style.backgroundColor !== "")).toBe(true);
    } finally {
      (window as unknown as { IntersectionObserver: unknown }).IntersectionObserver = original;
    }
  });

  it("cleans up its listeners and elements", async () => {
    const model = new FakeModel(dashboardState(10));
    const { el, cleanup } = await mount(model);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.childElementCount).toBe(0);
  });
});
