import { describe, expect, it, vi } from "vitest";
import { whenIdle } from "../src/lib/idle";

describe("whenIdle", () => {
  it("runs the work in the browser's idle callback, not at once, and can cancel it", () => {
    const pending = new Map<number, () => void>();
    const win = {
      requestIdleCallback: (work: () => void) => pending.set(pending.size + 1, work).size,
      cancelIdleCallback: (handle: number) => pending.delete(handle),
    } as unknown as Window;
    const work = vi.fn();
    whenIdle(win, work);
    const cancel = whenIdle(win, work);
    expect(work).not.toHaveBeenCalled();
    cancel();
    for (const run of pending.values()) run();
    expect(work).toHaveBeenCalledTimes(1);
  });

  it("falls back to a timeout without requestIdleCallback", async () => {
    const work = vi.fn();
    whenIdle(null, work);
    whenIdle(null, work)();
    expect(work).not.toHaveBeenCalled();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(work).toHaveBeenCalledTimes(1);
  });
});
