"""LogitLensView of a GPT-2-small-shaped model (12 layers, d_model 768, random weights, built
from config, 8,192-token vocabulary) on a 128-token input: the lens, the exported file, its
first paint, and hover and key-press frame times, opened offline in Chromium.

Writes the ``lens_view`` section of ``benchmarks/RESULTS.md``.

    python -m benchmarks.lens [--tokens 128] [--moves 40]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import tempfile
import time

import torch

import mi_widgets as mw
from benchmarks._environment import write_results
from benchmarks.neurons import gpt2_small, stdlib_corpus
from tests.browser.harness import OfflinePage, launch_chromium

#: Waits until ``changed()`` after ``act()``; resolves with the ms to that change and to the
#: next drawn frame (a task queued from the animation callback that follows).
_TIMED = """
const timed = async (act, changed) => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const start = performance.now();
  const done = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (changed()) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.querySelector('.mi-lens-view'), {attributes: true, subtree: true});
  });
  act();
  await done;
  const shown = performance.now() - start;
  await frame();
  await new Promise((r) => setTimeout(r, 0));
  return [shown, performance.now() - start];
};"""

#: Presses ← (one position to the left; → at the first position).
KEY = f"""async () => {{ {_TIMED}
  const root = document.querySelector('.mi-lens-view');
  const before = root.dataset.selected;
  const key = before.endsWith(',0') ? 'ArrowRight' : 'ArrowLeft';
  return timed(
    () => root.dispatchEvent(new KeyboardEvent('keydown', {{key, bubbles: true}})),
    () => root.dataset.selected !== before);
}}"""

#: Moves the pointer to cell (row, position); times until the tooltip shows that cell.
HOVER = f"""async ([row, position]) => {{ {_TIMED}
  const overlay = document.querySelector('.mi-lens-overlay');
  const tooltip = document.querySelector('.mi-lens-view .mi-tooltip');
  const box = overlay.getBoundingClientRect();
  const rows = document.querySelectorAll('.mi-lens-rows > *').length;
  const columns = document.querySelectorAll('.mi-lens-columns > *').length;
  const x = box.left + (position + 0.5) * box.width / columns;
  const y = box.top + (row + 0.5) * box.height / rows;
  return timed(
    () => overlay.dispatchEvent(
      new MouseEvent('mousemove', {{clientX: x, clientY: y, bubbles: true}})),
    () => !tooltip.hidden && tooltip.dataset.row === String(row)
      && tooltip.dataset.position === String(position));
}}"""


def lens_of_gpt2_small(n_tokens: int) -> tuple[mw.LogitLens, float]:
    """The logit lens of ``n_tokens`` tokens of text through the model, and seconds it took."""
    torch.manual_seed(0)
    model, tokenizer = gpt2_small(stdlib_corpus(2000))
    corpus = stdlib_corpus(200)
    ids = next(ids for ids in tokenizer(corpus)["input_ids"] if len(ids) >= n_tokens)[:n_tokens]
    trace = mw.trace(model, tokenizer, tokenizer.decode(ids))
    start = time.perf_counter()
    lens = mw.logit_lens(trace, targets=[trace.tokens[-1]])
    return lens, time.perf_counter() - start


def measure(lens: mw.LogitLens, moves: int) -> dict:
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    view = mw.LogitLensView(lens)
    construct = time.perf_counter() - start
    traits = sum(
        len(getattr(view, name)["data"])
        for name in ("_columns", "_column_starts", "_column_probs", "_top")
    )
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        path = mw.to_html(view, pathlib.Path(tmp) / "lens.html")
        session = OfflinePage(browser, viewport=(1400, 1000))
        start = time.perf_counter()
        page = session.open(path, ready=".mi-lens-view[data-ready='true']")
        first_paint = time.perf_counter() - start
        keys = [page.evaluate(KEY) for _ in range(moves)]
        rows, positions = len(lens.rows), len(lens.tokens)
        cells = [((i * 5) % rows, (i * 37) % positions) for i in range(moves)]
        hovers = [page.evaluate(HOVER, list(cell)) for cell in cells]
        requests = len(session.requests)
        size = path.stat().st_size
        browser.close()
    return {
        "grid": f"{len(lens.rows)} rows x {len(lens.tokens)} positions, top {lens.k}",
        "candidates": len(lens.candidates),
        "binary KB": traits / 1024,
        "view built ms": 1000 * construct,
        "file MB": size / 2**20,
        "first paint s": first_paint,
        f"hover to tooltip ms (median of {moves})": statistics.median(s for s, _ in hovers),
        "hover to frame ms (median)": statistics.median(f for _, f in hovers),
        "hover to frame ms (max)": max(f for _, f in hovers),
        "key to frame ms (median)": statistics.median(f for _, f in keys),
        "key to frame ms (max)": max(f for _, f in keys),
        "requests": requests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[:2]
    lens, seconds = lens_of_gpt2_small(args.tokens)
    row = {"logit_lens s": seconds, **measure(lens, args.moves)}
    load_after = os.getloadavg()[:2]
    notes = (
        "GPT-2-small shape (12 layers, 12 heads, d_model 768) with random weights built from "
        "config and an 8,192-token BPE vocabulary trained on the standard library's docstrings; "
        f"{args.tokens} tokens of that text; `mw.logit_lens(trace, targets=[last token])`, "
        "default k = 5, probabilities as float16. First paint: from opening the file to the "
        "grid drawn (cells and their token text). Hover: a pointer move over a cell until its "
        "tooltip shows that cell, then the next frame. Key: ← moves the selected cell one "
        "position (the chart follows), then the next frame. Frames come every 16.7 ms "
        "(60 Hz), so a frame time includes up to one frame of waiting. torch threads "
        f"{torch.get_num_threads()}. Load average (1, 5 min) {load_before[0]:.2f}, "
        f"{load_before[1]:.2f} before and {load_after[0]:.2f}, {load_after[1]:.2f} after, on "
        f"{os.cpu_count()} cores shared with other work."
    )
    title = "LogitLensView, exported and opened offline in Chromium"
    write_results("lens_view", title, [row], notes, command="python -m benchmarks.lens")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
