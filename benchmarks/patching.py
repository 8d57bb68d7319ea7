"""Activation patching sweep: every (layer, position) cell of the residual stream of a
GPT-2-small-shaped model (12 layers, d_model 768, random weights, built from config) on a
128-token input: ``mw.patch`` (many cells per forward pass, each run only from its cell's
layer and position on) and ``mw.patch(method="attribution")`` (every cell estimated from one
gradient) against one full forward pass per cell (a hook patching one cell, the whole model
run each time, as a hand-written patching loop does).

Every exact result is checked against the one-pass-per-cell loop; the estimates are compared
with it by rank (Spearman) and top cells. Writes the ``patching`` section of
``benchmarks/RESULTS.md``.

The ``patching_view`` section: a ``PatchingView`` of every head at every position of that model
shape (12 x 12 rows x 128 positions, synthetic values) exported and opened offline in
Chromium: file size, first paint, and the time from a key press to the next drawn frame.

    python -m benchmarks.patching [--tokens 128] [--batch-sizes 4 32] [--loop-every 1]
                                  [--view-only | --sweep-only]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import tempfile
import time

import numpy as np
import torch

import mi_widgets as mw
from benchmarks._environment import write_results
from benchmarks.neurons import gpt2_small, stdlib_corpus
from mi_widgets.capture.sites import at_site, reading
from tests.browser.harness import OfflinePage, launch_chromium

#: Presses → on the view's root; resolves with the ms until the selection is repainted and
#: until the next frame has been drawn (a task queued from its animation callback).
MOVE = """async () => {
  const root = document.querySelector('.mi-patching-view');
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const before = root.dataset.selected;
  const start = performance.now();
  const done = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (root.dataset.selected !== before) { observer.disconnect(); resolve(); }
    });
    observer.observe(root, {attributes: true});
  });
  root.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
  await done;
  const repainted = performance.now() - start;
  await frame();
  await new Promise((r) => setTimeout(r, 0));
  return [repainted, performance.now() - start];
}"""


def inputs(tokenizer, n_tokens: int) -> tuple[str, str, int, int]:
    """A clean text of exactly ``n_tokens`` tokens, a corrupted one with one token changed
    (half-way) that tokenizes to the same length, and the two answer ids for the metric."""
    corpus = stdlib_corpus(200)
    ids = next(ids for ids in tokenizer(corpus)["input_ids"] if len(ids) >= n_tokens)[:n_tokens]
    clean = tokenizer.decode(ids)
    assert len(tokenizer(clean)["input_ids"]) == n_tokens
    middle = n_tokens // 2
    for replacement in range(200, len(tokenizer)):
        changed = [*ids[:middle], replacement, *ids[middle + 1 :]]
        corrupted = tokenizer.decode(changed)
        if tokenizer(corrupted)["input_ids"] == changed:
            return clean, corrupted, ids[middle], replacement
    raise RuntimeError("no single-token corruption keeps the length")


def one_pass_per_cell(
    model, tokenizer, clean: str, corrupted: str, a: int, b: int, every: int = 1
) -> np.ndarray:
    """``[layer, position]`` logit difference of the corrupted run with one cell of the
    residual stream (after each block) replaced by the clean run's: one full pass per cell,
    for every ``every``-th position (NaN at the others)."""
    ids = [torch.tensor([tokenizer(text)["input_ids"]]) for text in (clean, corrupted)]
    n_layers, n_tokens = model.config.n_layer, ids[0].shape[1]
    sites = [f"blocks.{layer}.hook_resid_post" for layer in range(n_layers)]
    with torch.no_grad(), reading(model, sites) as records:
        model(ids[0])
    out = np.full((n_layers, n_tokens), np.nan, dtype=np.float32)
    for layer, site in enumerate(sites):
        for position in range(0, n_tokens, every):

            def edit(x, donor=records[site][0], position=position):
                x = x.clone()
                x[0, position] = donor[position]
                return x

            with torch.no_grad(), at_site(model, site, edit):
                logits = model(ids[1]).logits[0, -1]
            out[layer, position] = logits[a] - logits[b]
    return out


def timed(work) -> tuple[float, object]:
    """``(seconds, result)`` of ``work()``: the process's CPU seconds, which other jobs on a
    shared machine do not inflate (run with one torch thread); wall seconds go to ``WALL``."""
    start, wall = time.process_time(), time.perf_counter()
    result = work()
    WALL.append(time.perf_counter() - wall)
    return time.process_time() - start, result


#: The wall-clock seconds of every ``timed`` call, in order.
WALL: list[float] = []


def synthetic_heads(
    n_layers: int = 12, n_heads: int = 12, n_tokens: int = 128
) -> mw.PatchingResult:
    """A head x position result of a GPT-2-small-shaped grid with random values."""
    rng = np.random.default_rng(0)
    shape = (n_layers, n_heads, n_tokens)
    values = rng.normal(0, 0.2, shape).astype(np.float32)
    return mw.PatchingResult(
        values=values,
        raw=values,
        clean_metric=1.0,
        corrupted_metric=0.0,
        clean_tokens=[f" tok{i}" for i in range(n_tokens)],
        corrupted_tokens=[f" tok{i}" for i in range(n_tokens)],
        top_ids=rng.integers(0, 50, (*shape, 5)),
        top_probs=rng.uniform(0, 1, (*shape, 5)).astype(np.float32),
        clean_top_ids=np.arange(5),
        clean_top_probs=np.full(5, 0.2, dtype=np.float32),
        corrupted_top_ids=np.arange(5),
        corrupted_top_probs=np.full(5, 0.2, dtype=np.float32),
        vocabulary={i: f" word{i}" for i in range(50)},
        component="head",
        over="layer,head,position",
        direction="denoise",
        metric="synthetic",
        position=n_tokens - 1,
        layers=tuple(range(n_layers)),
        model_name="synthetic",
    )


def measure_view(moves: int = 40) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        path = mw.to_html(
            mw.PatchingView(synthetic_heads(), row=0, column=0), pathlib.Path(tmp) / "p.html"
        )
        session = OfflinePage(browser, viewport=(1400, 1000))
        start = time.perf_counter()
        page = session.open(path, ready=".mi-patching-view[data-ready='true']")
        first_paint = time.perf_counter() - start
        timings = [page.evaluate(MOVE) for _ in range(moves)]
        requests = len(session.requests)
        size = path.stat().st_size
        browser.close()
    drawn = [ms for _, ms in timings]
    return {
        "grid": "144 rows (12 layers x 12 heads) x 128 positions",
        "file MB": size / 2**20,
        "first paint s": first_paint,
        f"key to repaint ms (median of {moves})": statistics.median(ms for ms, _ in timings),
        "key to frame drawn ms (median)": statistics.median(drawn),
        "key to frame drawn ms (max)": max(drawn),
        "requests": requests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--view-only", action="store_true", help="only the PatchingView part")
    parser.add_argument("--sweep-only", action="store_true", help="only the patching sweep")
    parser.add_argument(
        "--loop-every", type=int, default=1, help="time the loop on every n-th position only"
    )
    args = parser.parse_args(argv)
    if not args.sweep_only:
        _view_section()
    if args.view_only:
        return 0
    _sweep_section(args.tokens, args.batch_sizes, args.loop_every)
    return 0


def _view_section() -> None:
    view = measure_view()
    write_results(
        "patching_view",
        "PatchingView, exported and opened offline in Chromium",
        [view],
        "Every head at every position of a GPT-2-small-shaped model, random values; each cell "
        "keeps its top 5 predictions. One → key press moves the selection one column.",
        command="python -m benchmarks.patching --view-only",
    )


def _sweep_section(n_tokens: int, batch_sizes: list[int], loop_every: int) -> None:
    torch.manual_seed(0)
    model, tokenizer = gpt2_small(stdlib_corpus(2000))
    clean, corrupted, a, b = inputs(tokenizer, n_tokens)
    metric = mw.logit_diff(a, b)
    cells = model.config.n_layer * n_tokens

    def sweep(batch_size: int):
        return mw.patch(model, tokenizer, clean, corrupted, metric, batch_size=batch_size)

    mw.patch(model, tokenizer, clean, corrupted, metric, layers=[-1], over="layer")  # warm-up
    seconds, loop = timed(
        lambda: one_pass_per_cell(model, tokenizer, clean, corrupted, a, b, loop_every)
    )
    looped = ~np.isnan(loop)
    scale = cells / looped.sum()  # every cell costs one full pass
    loop_seconds = seconds * scale
    sampled = "" if loop_every == 1 else f", timed on 1 position in {loop_every}, scaled"
    rows = [
        {
            "runs": f"one full forward pass per cell (hook, loop{sampled})",
            "forward passes": cells,
            "CPU seconds": loop_seconds,
            "wall seconds": WALL[-1] * scale,
            "ms per cell": 1000 * loop_seconds / cells,
            "speed-up": 1.0,
        }
    ]
    for batch_size in batch_sizes:
        seconds, result = timed(lambda size=batch_size: sweep(size))
        np.testing.assert_allclose(result.raw[looped], loop[looped], atol=1e-3)
        rows.append(
            {
                "runs": f"mw.patch, batch_size={batch_size}",
                "forward passes": model.config.n_layer * -(-n_tokens // batch_size),
                "CPU seconds": seconds,
                "wall seconds": WALL[-1],
                "ms per cell": 1000 * seconds / cells,
                "speed-up": loop_seconds / seconds,
            }
        )
    seconds, estimate = timed(
        lambda: mw.patch(model, tokenizer, clean, corrupted, metric, method="attribution")
    )
    agreement = mw.patching_agreement(estimate, result, k=10)
    rows.append(
        {
            "runs": 'mw.patch, method="attribution"',
            "forward passes": "1 (both inputs) + 1 backward",
            "CPU seconds": seconds,
            "wall seconds": WALL[-1],
            "ms per cell": 1000 * seconds / cells,
            "speed-up": loop_seconds / seconds,
        }
    )
    notes = (
        f"{cells:,} cells (12 layers x {n_tokens} positions), component resid "
        "(hook_resid_post), denoising, metric a logit difference at the last position; torch "
        f"threads {torch.get_num_threads()}; speed-ups and ms per cell from CPU seconds (the "
        "machine was shared; wall seconds for reference). mw.patch runs each cell from its "
        "own layer (the base run's residual stream entering that block; the blocks before it "
        "skipped; a block's output patched as the next block's input) and its own position "
        "(the base run's cached keys and values of the earlier tokens), in chunks of "
        "consecutive positions of one layer, and the logits only at the metric's position. "
        "Every mw.patch result equals the loop's to 1e-3 where the loop ran (checked in the "
        "run). The attribution estimates against exact patching: "
        f"Spearman {agreement.spearman:.3f}, first cell "
        f"{'the same' if agreement.top_cell_agrees else 'different'}, top-10 overlap "
        f"{agreement.top_k_overlap:.1f} (random weights)."
    )
    title = "Activation patching sweep: batched vs one pass per cell"
    write_results("patching", title, rows, notes)


if __name__ == "__main__":
    raise SystemExit(main())
