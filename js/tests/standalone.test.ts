// @vitest-environment happy-dom
// biome-ignore-all lint/suspicious/noExplicitAny: the stand-in model passes untyped anywidget messages and state
import { beforeEach, describe, expect, it } from "vitest";
import { base64ToBytes } from "../src/lib/base64";
import { decodeArray, valueAt } from "../src/lib/binary";
import { BlobStore, reviveBlobs } from "../src/standalone/blobs";
import { NOT_EMBEDDED, StandInModel } from "../src/standalone/model";
import { applyPageTheme } from "../src/standalone/runtime";

function addBlob(id: string, bytes: number[]): void {
  const script = document.createElement("script");
  script.type = "application/octet-stream";
  script.id = `mi-blob-${id}`;
  script.textContent = `\n${btoa(String.fromCharCode(...bytes))}\n`;
  document.body.appendChild(script);
}

const nextMessage = (model: StandInModel) =>
  new Promise<[any, DataView[]]>((resolve) => model.on("msg:custom", (msg: any, buffers: DataView[]) => resolve([msg, buffers])));

beforeEach(() => {
  document.body.replaceChildren();
  delete document.body.dataset.jpThemeLight;
});

describe("base64ToBytes", () => {
  it("decodes with and without whitespace", () => {
    expect(Array.from(base64ToBytes("AAEC/w=="))).toEqual([0, 1, 2, 255]);
    expect(Array.from(base64ToBytes("\n  AAEC/w==\n"))).toEqual([0, 1, 2, 255]);
    expect(base64ToBytes("").length).toBe(0);
  });
});

describe("BlobStore and reviveBlobs", () => {
  it("turns {$blob} references into DataViews, decoding each blob once", () => {
    addBlob("7", [1, 2, 3]);
    const blobs = new BlobStore(document);
    const state = reviveBlobs({ a: 1, list: [{ $blob: "7" }], nested: { data: { $blob: "7" }, keep: "x" } }, blobs) as any;
    expect(state.a).toBe(1);
    expect(state.nested.keep).toBe("x");
    expect(state.list[0]).toBeInstanceOf(DataView);
    expect(state.list[0]).toBe(state.nested.data);
    expect(Array.from(new Uint8Array(state.list[0].buffer, state.list[0].byteOffset, state.list[0].byteLength))).toEqual([1, 2, 3]);
    expect(blobs.has("7")).toBe(true);
    expect(blobs.has("8")).toBe(false);
    expect(() => blobs.get("8")).toThrow(/not in this report/);
  });
});

describe("StandInModel", () => {
  it("fires change events on set, supports off and several event names", () => {
    const model = new StandInModel({ head: 0, layer: 1 }, {}, new BlobStore(document));
    const seen: string[] = [];
    const onHead = () => seen.push(`head=${model.get("head")}`);
    model.on("change:head change:layer", onHead);
    model.on("change", () => seen.push("change"));
    model.set("head", 2);
    model.set("head", 2);
    model.set("layer", 0);
    model.off("change:head", onHead);
    model.set("head", 3);
    model.save_changes();
    expect(seen).toEqual(["head=2", "change", "head=2", "change", "change"]);
  });

  it("answers slice requests from embedded slices, asynchronously", async () => {
    addBlob("3", [0, 255, 51]);
    const header = { dtype: "uint8" as const, shape: [1, 2, 2], scale: 1 / 255, offset: 0, layout: "tril" as const };
    const model = new StandInModel({}, { "layer:1": { array: header, blob: "3" } }, new BlobStore(document));
    const answer = nextMessage(model);
    let sync = true;
    void answer.then(() => expect(sync).toBe(false));
    model.send({ type: "slice", key: "layer:1", id: "r1" });
    sync = false;
    const [msg, buffers] = await answer;
    expect(msg).toEqual({ type: "slice", id: "r1", key: "layer:1", array: header });
    const decoded = decodeArray(msg.array, buffers[0]);
    expect(valueAt(decoded, 0, 1, 0)).toBe(1);
    expect(valueAt(decoded, 0, 1, 1)).toBeCloseTo(0.2, 10);
  });

  it("says when a slice is not embedded, and ignores other messages", async () => {
    const model = new StandInModel({}, { "layer:2": { array: { dtype: "uint8", shape: [1], scale: 1, offset: 0, layout: "dense" }, blob: "99" } }, new BlobStore(document));
    const received: any[] = [];
    model.on("msg:custom", (msg: any) => received.push(msg));
    model.send({ type: "other" });
    model.send({ type: "slice", key: "layer:5", id: "a" });
    model.send({ type: "slice", key: "layer:2", id: "b" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toEqual([
      { type: "slice", id: "a", key: "layer:5", missing: true, reason: NOT_EMBEDDED },
      { type: "slice", id: "b", key: "layer:2", missing: true, reason: NOT_EMBEDDED },
    ]);
  });
});

describe("applyPageTheme", () => {
  it("sets body[data-jp-theme-light] from the report theme", () => {
    applyPageTheme(document, "dark");
    expect(document.body.dataset.jpThemeLight).toBe("false");
    applyPageTheme(document, "light");
    expect(document.body.dataset.jpThemeLight).toBe("true");
  });
});
