// @vitest-environment happy-dom
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defineView } from "../src/lib/define_view";
import { FakeModel } from "./helpers";

interface Registered {
  module: string;
  python: string;
  controller: string;
}

const REGISTRY = join(__dirname, "..", "..", "mi_widgets", "widgets", "views.json");
const views: Registered[] = JSON.parse(readFileSync(REGISTRY, "utf8"));

/** A controller that records what it was given and how often it was disposed. */
class Recorder {
  static made: Recorder[] = [];
  disposed = 0;
  constructor(
    readonly model: unknown,
    readonly el: HTMLElement,
  ) {
    Recorder.made.push(this);
  }
  dispose(): void {
    this.disposed += 1;
  }
}

function renderRecorder(signal?: AbortSignal) {
  Recorder.made = [];
  const model = new FakeModel({});
  const el = document.createElement("div");
  const cleanup = defineView(Recorder).render({ model, el, signal } as never);
  return { model, el, cleanup, controller: Recorder.made[0] };
}

describe("defineView", () => {
  it("makes one controller from the model and the element per render", () => {
    const { model, el, controller } = renderRecorder();
    expect(Recorder.made).toHaveLength(1);
    expect(controller.model).toBe(model);
    expect(controller.el).toBe(el);
    expect(controller.disposed).toBe(0);
  });

  it("disposes the controller once, on abort or on cleanup", () => {
    const abort = new AbortController();
    const { cleanup, controller } = renderRecorder(abort.signal);
    abort.abort();
    expect(controller.disposed).toBe(1);
    cleanup();
    expect(controller.disposed).toBe(1);

    const plain = renderRecorder();
    plain.cleanup();
    expect(plain.controller.disposed).toBe(1);
  });
});

describe("the view registry (mi_widgets/widgets/views.json)", () => {
  it("names, for every view, a controller class that src/<module>/view.ts exports", async () => {
    expect(views.length).toBeGreaterThan(0);
    for (const { module, controller } of views) {
      const exports: Record<string, unknown> = await import(`../src/${module}/view.ts`);
      expect(typeof exports[controller], `${controller} exported by src/${module}/view.ts`).toBe("function");
    }
  });
});
