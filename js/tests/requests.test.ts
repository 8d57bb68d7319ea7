import { afterEach, describe, expect, it, vi } from "vitest";
import { NO_ANSWER, RequestClient, VIEW_CLOSED } from "../src/lib/requests";
import { FakeModel } from "./helpers";

afterEach(() => {
  vi.useRealTimers();
});

describe("RequestClient", () => {
  it("sends {type, id, ...content} and resolves each request from the answer with its id", async () => {
    const model = new FakeModel({});
    const client = new RequestClient(model);
    const first = client.request("text", { text: "a", feature: 1 });
    const second = client.request("text", { text: "b", feature: 2 });
    expect(model.sent.map((m) => [m.type, m.text, m.feature])).toEqual([
      ["text", "a", 1],
      ["text", "b", 2],
    ]);
    const [a, b] = model.sent.map((m) => m.id as string);
    expect(a).not.toBe(b);
    const bytes = new DataView(new ArrayBuffer(4));
    // answered out of order: each goes to its own request
    model.emit("msg:custom", { type: "text", id: b, tokens: ["b"] }, [bytes]);
    model.emit("msg:custom", { type: "text", id: a, tokens: ["a"] }, []);
    const replyB = await second;
    expect(replyB.message.tokens).toEqual(["b"]);
    expect(replyB.buffers[0]).toBe(bytes);
    expect((await first).message.tokens).toEqual(["a"]);
    expect(client.waiting).toBe(0);
  });

  it("ignores answers of another type, unknown ids and malformed messages", async () => {
    const model = new FakeModel({});
    const client = new RequestClient(model);
    const pending = client.request("slice", { key: "layer:0" });
    const { id } = model.sent[0];
    model.emit("msg:custom", { type: "text", id }, []);
    model.emit("msg:custom", { type: "slice", id: "someone-else" }, []);
    model.emit("msg:custom", null, []);
    model.emit("msg:custom", "slice", []);
    expect(client.waiting).toBe(1);
    model.emit("msg:custom", { type: "slice", id, missing: true }, []);
    expect((await pending).message.missing).toBe(true);
  });

  it("rejects a request with no answer after the timeout; a late answer changes nothing", async () => {
    vi.useFakeTimers();
    const model = new FakeModel({});
    const client = new RequestClient(model, 1000);
    const pending = client.request("slice", { key: "layer:2" });
    const outcome = pending.then(
      () => "resolved",
      (error: Error) => error.message,
    );
    vi.advanceTimersByTime(999);
    expect(client.waiting).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await outcome).toBe(NO_ANSWER);
    model.emit("msg:custom", { type: "slice", id: model.sent[0].id }, []);
    expect(client.waiting).toBe(0);
  });

  it("rejects pending requests and stops listening on dispose", async () => {
    const model = new FakeModel({});
    const client = new RequestClient(model);
    const pending = client.request("text", { text: "x" });
    client.dispose();
    await expect(pending).rejects.toThrow(VIEW_CLOSED);
    expect(model.handlers.get("msg:custom") ?? []).toHaveLength(0);
  });
});
