/**
 * Work that can wait until the page is idle (after the first frame), e.g. text for screen
 * readers: `requestIdleCallback` where the browser has it, else a timeout.
 */

/** Longest wait (ms) before the work runs even if the page never idles. */
const DEADLINE_MS = 500;

/** Run `work` when `win` is idle; returns a function that cancels it if it has not run. */
export function whenIdle(win: Window | null, work: () => void): () => void {
  if (win && typeof win.requestIdleCallback === "function") {
    const handle = win.requestIdleCallback(() => work(), { timeout: DEADLINE_MS });
    return () => win.cancelIdleCallback(handle);
  }
  const handle = setTimeout(work, 0);
  return () => clearTimeout(handle);
}
