// @vitest-environment happy-dom
import type { AnyModel } from "@anywidget/types";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../src/lib/controller";
import type { Loaded } from "../src/lib/loader";
import { buildFrame, frameCss, frameLine } from "../src/lib/frame";
import { encodeStored, FakeModel } from "./helpers";
import { tick } from "./mount";

type Model = { value: number; _slices: Record<string, unknown> };

const VALUE = 1;
const SLICE = 2;

/** A minimal view: records what it renders and loads one slice. */
class Probe extends Controller<Model> {
  readonly renders: number[] = [];
  readonly root = buildFrame(document, { className: "mi-test-view", css: frameCss("mi-test-view", ""), help: "keys" }).root;
  readonly loader = this.sliceLoader<number>(SLICE);
  state: Loaded<number> = { kind: "loading" };

  constructor(model: FakeModel) {
    super(model as unknown as AnyModel<Model>);
    this.listen("change:value", VALUE);
    this.followTheme(this.root, VALUE);
    this.invalidate(VALUE | SLICE);
  }

  get isDark(): boolean {
    return this.dark;
  }

  protected render(flags: number): void {
    this.renders.push(flags);
    if (flags & SLICE) this.state = this.loader.load(["s:0"], ([d]) => d.data[0]);
  }
}

afterEach(() => {
  document.body.replaceChildren();
  delete document.body.dataset.jpThemeLight;
});

describe("Controller", () => {
  it("renders once per burst of changes with the union of their flags, never after dispose", async () => {
    const model = new FakeModel({ value: 0, _slices: {} });
    const view = new Probe(model);
    await tick();
    expect(view.renders).toEqual([VALUE | SLICE]);
    model.set("value", 1);
    model.set("value", 2);
    await tick();
    expect(view.renders).toEqual([VALUE | SLICE, VALUE]);
    view.dispose();
    model.set("value", 3);
    await tick();
    expect(view.renders).toHaveLength(2);
    expect(model.listenerCount()).toBe(0);
  });

  it("loads slices by request and asks again when _slices changes", async () => {
    const model = new FakeModel({ value: 0, _slices: {} });
    const view = new Probe(model);
    await tick();
    expect(view.state.kind).toBe("loading");
    expect(model.sent.map((m) => [m.type, m.key])).toEqual([["slice", "s:0"]]);
    const { data, ...header } = encodeStored("float32", [7], [1]);
    model.emit("msg:custom", { type: "slice", id: model.sent[0].id, key: "s:0", array: header }, [data]);
    await tick();
    expect(view.state).toEqual({ kind: "ready", data: 7 });
    model.set("_slices", { "s:0": encodeStored("float32", [9], [1]) });
    await tick();
    expect(view.state).toEqual({ kind: "ready", data: 9 });
    expect(model.sent).toHaveLength(1);
    view.dispose();
  });

  it("follows the page's theme: the root's class, `dark`, and a render", async () => {
    document.body.dataset.jpThemeLight = "true";
    const model = new FakeModel({ value: 0, _slices: {} });
    const view = new Probe(model);
    await tick();
    expect(view.root.classList.contains("mi-dark")).toBe(false);
    document.body.dataset.jpThemeLight = "false";
    await tick();
    await tick();
    expect(view.isDark).toBe(true);
    expect(view.root.classList.contains("mi-dark")).toBe(true);
    expect(view.renders.at(-1)).toBe(VALUE);
    view.dispose();
  });
});

describe("frame", () => {
  it("builds header (title, controls, save) then status lines then help", () => {
    const frame = buildFrame(document, { className: "mi-x-view", css: frameCss("mi-x-view", ".mi-x-view .mine {}"), help: "press keys" });
    const control = document.createElement("select");
    frame.save.before(control);
    const selection = frameLine(frame, "mi-selection", true);
    const classes = [...frame.root.children].map((el) => el.className);
    expect(classes).toEqual(["", "mi-header", "mi-selection", "mi-help"]);
    expect([...frame.header.children].map((el) => el.className)).toEqual(["mi-title", "", "mi-save-png"]);
    expect(selection.getAttribute("aria-live")).toBe("polite");
    expect(frame.help.textContent).toBe("press keys");
    const css = frame.root.querySelector("style")?.textContent ?? "";
    expect(css).toContain(".mi-x-view .mi-header {");
    expect(css.indexOf(".mi-x-view .mine")).toBeGreaterThan(css.indexOf(".mi-x-view .mi-help"));
  });
});
