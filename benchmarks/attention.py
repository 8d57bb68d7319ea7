"""AttentionView at real sequence lengths, in headless Chromium, from exported files.

Measures, per size: export bytes per attention value (base64 included), Python build time
(view + export), navigation -> every heatmap painted, head switch (input event -> repainted),
layer switch for the lazily loaded 12-layer case, and the JS heap. Writes a markdown table to
its section of ``benchmarks/RESULTS.md`` and prints it.

    python benchmarks/attention.py            # all sizes (a few minutes)
    python benchmarks/attention.py --quick    # N = 256 only
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

import torch

import mi_widgets as mw
from benchmarks._environment import write_results
from tests.browser.harness import JupyterLab, LiveNotebook, OfflinePage, launch_chromium

REPO = pathlib.Path(__file__).resolve().parents[1]

SIZES = [(1, 12, 256), (1, 12, 1024), (1, 12, 2048), (12, 12, 1024)]

#: Clicks a head thumbnail and resolves with the ms until the view says it repainted it.
SWITCH = """async ([selector, attribute, value, action]) => {
  const root = document.querySelector('.mi-attention-view');
  const start = performance.now();
  const done = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (root.getAttribute(attribute) === value) { observer.disconnect(); resolve(); }
    });
    observer.observe(root, {attributes: true});
  });
  const target = document.querySelector(selector);
  if (action === 'click') {
    target.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  } else {
    target.value = value;
    target.dispatchEvent(new Event('change', {bubbles: true}));
  }
  await done;
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - start;
}"""


NOTES = """
Synthetic causal softmax attention, uint8 lower triangle. *bytes/value*: whole file size over
L×H×N² (base64 and the inlined code included). *first paint*: navigation to every thumbnail and
the main heatmap painted (`data-ready`). *head switch*: click event dispatched to the view
reporting the repaint, plus one animation frame. *layer switch*: the 12-layer file decodes a
layer's embedded slice on demand. *JS heap* excludes the typed-array backing stores, counted in
*array buffers*. Targets at 1 × 12 × 1024 (issue): ≤ 1.1 bytes/value, first paint ≤ 1.5 s,
head switch ≤ 50 ms. For scale, the issue reports CircuitsVis and BertViz never finishing at
N = 1024 (> 120 s, 175–350 MB pages) and CircuitsVis needing 54 s to render N = 256.
"""


LIVE_NOTES = """
12 layers × 12 heads × N = 1024 is 75 MB of uint8 lower triangles, past the default 32 MiB
budget: the widget carries the current layer only and the page asks the kernel for each other
layer (custom message, binary buffer) when it is shown. *kernel start + cell run*: opening the
notebook until its cell (building the synthetic attention and the view) finished. *cell done ->
painted*: from then until every thumbnail and the main heatmap are painted. *layer fetched
from kernel*: select event to repainted, kernel round trip included.
"""


def causal_attention(n_layers: int, n_heads: int, n: int) -> torch.Tensor:
    """Random causal softmax attention ``[layer, head, N, N]`` (seeded), built per layer."""
    generator = torch.Generator().manual_seed(0)
    mask = torch.ones(n, n, dtype=torch.bool).triu(1)
    layers = []
    for _ in range(n_layers):  # one layer at a time bounds the float32 scratch memory
        scores = torch.randn(n_heads, n, n, generator=generator) * 3
        layers.append(scores.masked_fill_(mask, float("-inf")).softmax(-1))
    return torch.stack(layers)


def measure(browser, n_layers: int, n_heads: int, n: int, workdir: pathlib.Path) -> dict:
    attention = causal_attention(n_layers, n_heads, n)
    tokens = [f" tok{i}" for i in range(n)]
    path = workdir / f"attention_{n_layers}x{n_heads}x{n}.html"
    start = time.perf_counter()
    view = mw.AttentionView(attention=attention, tokens=tokens)
    mw.to_html(view, path)
    build = time.perf_counter() - start
    del attention
    values = n_layers * n_heads * n * n

    session = OfflinePage(browser, viewport=(1400, 1000))
    start = time.perf_counter()
    page = session.open(path, ready=".mi-attention-view[data-ready='true']", timeout_ms=180_000)
    first_paint = time.perf_counter() - start

    switches = []
    for i in range(1, 11):
        head = i % n_heads
        switches.append(
            page.evaluate(
                SWITCH,
                [f".mi-head-thumb[data-head='{head}']", "data-painted-head", str(head), "click"],
            )
        )
    layer_switches = []
    for layer in range(1, min(n_layers, 6)):
        layer_switches.append(
            page.evaluate(SWITCH, [".mi-layer-select", "data-painted-layer", str(layer), "select"])
        )
    cdp = session.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    usage = cdp.send("Runtime.getHeapUsage")
    session.context.close()
    return {
        "size": f"{n_layers} x {n_heads} x {n}",
        "file MB": path.stat().st_size / 2**20,
        "bytes/value": path.stat().st_size / values,
        "build s": build,
        "first paint s": first_paint,
        "head switch ms (median of 10)": statistics.median(switches),
        "head switch ms (max)": max(switches),
        "layer switch ms (median)": statistics.median(layer_switches) if layer_switches else None,
        "JS heap MB": usage["usedSize"] / 2**20,
        "array buffers MB": usage.get("backingStorageSize", float("nan")) / 2**20,
        "requests": len(session.requests),
    }


LIVE_CELL = """
import sys
sys.path.insert(0, {repo!r})
import mi_widgets as mw
from benchmarks.attention import causal_attention
attention = causal_attention({layers}, {heads}, {n})
view = mw.AttentionView(attention=attention, tokens=[f" tok{{i}}" for i in range({n})])
view
"""


def measure_live(browser, n_layers: int, n_heads: int, n: int, workdir: pathlib.Path) -> dict:
    """The same view in a live JupyterLab: layers past the budget come from the kernel."""
    (workdir / "lab").mkdir()
    lab = JupyterLab(workdir / "lab")
    try:
        cell = LIVE_CELL.format(repo=str(REPO), layers=n_layers, heads=n_heads, n=n)
        start = time.perf_counter()
        notebook = LiveNotebook(browser, lab, "bench.ipynb", [cell])
        kernel_ready = time.perf_counter()
        page = notebook.page
        page.wait_for_selector(".mi-attention-view[data-ready='true']", timeout=300_000)
        first_paint = time.perf_counter() - kernel_ready
        up_front = float(notebook.run("print(sum(len(s['data']) for s in view._slices.values()))"))
        heads = [
            page.evaluate(
                SWITCH, [f".mi-head-thumb[data-head='{h}']", "data-painted-head", str(h), "click"]
            )
            for h in (1, 2, 3, 4, 5)
        ]
        layers = [
            page.evaluate(SWITCH, [".mi-layer-select", "data-painted-layer", str(layer), "select"])
            for layer in (1, 2, 3, 4, 5)
        ]
        notebook.close()
    finally:
        lab.stop()
    return {
        "size": f"{n_layers} x {n_heads} x {n}",
        "sent with the widget MB": up_front / 2**20,
        "kernel start + cell run s": kernel_ready - start,
        "cell done -> painted s": first_paint,
        "head switch ms (median)": statistics.median(heads),
        "layer fetched from kernel ms (median)": statistics.median(layers),
        "layer fetched from kernel ms (max)": max(layers),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only N = 256")
    parser.add_argument("--live-only", action="store_true", help="only the live JupyterLab case")
    arguments = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    sizes = [] if arguments.live_only else SIZES[:1] if arguments.quick else SIZES
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        rows = [measure(browser, *size, pathlib.Path(tmp)) for size in sizes]
        live = [] if arguments.quick else [measure_live(browser, 12, 12, 1024, pathlib.Path(tmp))]
        browser.close()
    if rows:
        title = "AttentionView, exported and opened offline in Chromium"
        write_results("attention", title, rows, NOTES)
    if live:
        write_results("attention_live", "AttentionView in a live JupyterLab", live, LIVE_NOTES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
