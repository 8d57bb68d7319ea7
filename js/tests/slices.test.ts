import { afterEach, describe, expect, it, vi } from "vitest";
import { valueAt, type Decoded } from "../src/lib/binary";
import { isMissing, SliceClient, type SliceResult } from "../src/lib/slices";
import { encodeStored, FakeModel } from "./helpers";

function header(enc: ReturnType<typeof encodeStored>) {
  const { data, ...rest } = enc;
  return { rest, data };
}

/** Answer the last request of `model` with `values` (float32, shape [n]). */
function answer(model: FakeModel, values: number[], index = model.sent.length - 1) {
  const { id, key } = model.sent[index];
  const { rest, data } = header(encodeStored("float32", values, [values.length], { pad: 1 }));
  model.emit("msg:custom", { type: "slice", id, key, array: rest }, [data]);
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe("SliceClient", () => {
  it("serves slices from the _slices trait without asking, and caches them", async () => {
    const enc = encodeStored("uint8", [0, 255, 51, 102], [1, 2, 2], { scale: 1 / 255, pad: 3 });
    const model = new FakeModel({ _slices: { "layer:0": enc } });
    const client = new SliceClient(model);
    const first = client.peek("layer:0");
    expect(first).toBeDefined();
    expect(valueAt(first as Decoded, 0, 1, 0)).toBeCloseTo(0.2, 10);
    expect(client.peek("layer:0")).toBe(first);
    expect(await client.get("layer:0")).toBe(first);
    expect(model.sent).toEqual([]);
    expect(client.peek("layer:1")).toBeUndefined();
  });

  it("requests a missing slice by id and resolves from the matching answer", async () => {
    const model = new FakeModel({ _slices: {} });
    const client = new SliceClient(model);
    const promise = client.get("layer:3");
    expect(model.sent).toHaveLength(1);
    const request = model.sent[0];
    expect(request.type).toBe("slice");
    expect(request.key).toBe("layer:3");
    expect(typeof request.id).toBe("string");
    // An answer to someone else's request is ignored.
    model.emit("msg:custom", { type: "slice", id: "other", key: "layer:3", missing: true, reason: "x" }, []);
    model.emit("msg:custom", { type: "something else" }, []);
    answer(model, [0.5, 0.25]);
    const result = (await promise) as Decoded;
    expect(isMissing(result)).toBe(false);
    expect(Array.from(result.data)).toEqual([0.5, 0.25]);
    // Cached: no second request.
    expect(await client.get("layer:3")).toBe(result);
    expect(model.sent).toHaveLength(1);
  });

  it("shares one request between concurrent gets of the same key, ids are unique", async () => {
    const model = new FakeModel({ _slices: {} });
    const client = new SliceClient(model);
    const a = client.get("layer:1");
    const b = client.get("layer:1");
    const c = client.get("layer:2");
    expect(a).toBe(b);
    expect(model.sent.map((m) => m.key)).toEqual(["layer:1", "layer:2"]);
    expect(model.sent[0].id).not.toBe(model.sent[1].id);
    answer(model, [1], 1);
    answer(model, [2], 0);
    expect(Array.from(((await a) as Decoded).data)).toEqual([2]);
    expect(Array.from(((await c) as Decoded).data)).toEqual([1]);
  });

  it("resolves missing slices with the reason, and asks again later", async () => {
    const model = new FakeModel({ _slices: {} });
    const client = new SliceClient(model);
    const promise = client.get("layer:9");
    const { id } = model.sent[0];
    model.emit("msg:custom", { type: "slice", id, key: "layer:9", missing: true, reason: "not embedded in this report" }, []);
    const result: SliceResult = await promise;
    expect(result).toEqual({ missing: true, reason: "not embedded in this report" });
    void client.get("layer:9");
    expect(model.sent).toHaveLength(2);
  });

  it("gives up after the timeout", async () => {
    vi.useFakeTimers();
    const model = new FakeModel({ _slices: {} });
    const client = new SliceClient(model, { timeoutMs: 1000 });
    const promise = client.get("layer:0");
    vi.advanceTimersByTime(1001);
    const result = await promise;
    expect(isMissing(result) && result.reason).toMatch(/no answer/);
  });

  it("refreshes on change:_slices: drops stale entries, keeps unchanged ones", async () => {
    const enc0 = encodeStored("uint8", [1], [1, 1, 1], { scale: 1 / 255 });
    const enc1 = encodeStored("uint8", [2], [1, 1, 1], { scale: 1 / 255 });
    const model = new FakeModel({ _slices: { "layer:0": enc0, "layer:1": enc1 } });
    let refreshed = 0;
    const client = new SliceClient(model, { onRefresh: () => refreshed++ });
    const kept = client.peek("layer:0");
    client.peek("layer:1");
    const fetched = client.get("layer:5");
    answer(model, [3]);
    await fetched;
    expect(client.cachedKeys().sort()).toEqual(["layer:0", "layer:1", "layer:5"]);
    const replaced = encodeStored("uint8", [200], [1, 1, 1], { scale: 1 / 255 });
    model.set("_slices", { "layer:0": enc0, "layer:1": replaced });
    expect(refreshed).toBe(1);
    expect(client.cachedKeys()).toEqual(["layer:0"]);
    expect(client.peek("layer:0")).toBe(kept);
    expect(client.peek("layer:1")?.data[0]).toBe(200);
  });

  it("an answer to a request made before a refresh resolves but is not cached", async () => {
    const model = new FakeModel({ _slices: {} });
    const client = new SliceClient(model);
    const old = client.get("layer:2");
    model.set("_slices", {});
    const fresh = client.get("layer:2");
    expect(fresh).not.toBe(old);
    expect(model.sent).toHaveLength(2);
    answer(model, [7], 0);
    expect(Array.from(((await old) as Decoded).data)).toEqual([7]);
    expect(client.cachedKeys()).toEqual([]);
    answer(model, [8], 1);
    expect(Array.from(((await fresh) as Decoded).data)).toEqual([8]);
    expect(client.cachedKeys()).toEqual(["layer:2"]);
  });

  it("bounds the cache by bytes, evicting least recently used but never the current slice", () => {
    const slices: Record<string, ReturnType<typeof encodeStored>> = {};
    for (let i = 0; i < 4; i++) slices[`layer:${i}`] = encodeStored("uint8", new Array(100).fill(i), [100]);
    const model = new FakeModel({ _slices: slices });
    const client = new SliceClient(model, { maxBytes: 250 });
    client.setCurrent("layer:0");
    client.peek("layer:0");
    client.peek("layer:1");
    client.peek("layer:2");
    expect(client.cachedKeys()).toEqual(["layer:0", "layer:2"]);
    expect(client.cachedBytes).toBe(200);
    client.peek("layer:3");
    expect(client.cachedKeys()).toEqual(["layer:0", "layer:3"]);
    expect(client.cachedBytes).toBeLessThanOrEqual(250);
  });

  it("turns undecodable answers into missing results and stops listening on dispose", async () => {
    const model = new FakeModel({ _slices: {} });
    const client = new SliceClient(model);
    const bad = client.get("layer:0");
    const { id } = model.sent[0];
    model.emit("msg:custom", { type: "slice", id, key: "layer:0", array: { dtype: "float32", shape: [4], scale: 1, offset: 0, layout: "dense" } }, [new DataView(new ArrayBuffer(3))]);
    const result = await bad;
    expect(isMissing(result) && result.reason).toMatch(/cannot decode/);
    const pending = client.get("layer:1");
    expect(model.listenerCount()).toBe(2);
    client.dispose();
    expect(model.listenerCount()).toBe(0);
    expect(isMissing(await pending)).toBe(true);
    await flush();
  });
});
