"""GraphView at scale, in headless Chromium, from exported files.

Synthetic attribution graphs of 1,000 and 7,500 feature nodes with ~100,000 edges (4 layers ×
16 positions, random edges from lower to higher rows). Per graph and thresholds: the exported
file's size, Python build time (view + export), navigation → first paint (pruned in the page,
laid out and drawn), hover → frame (a mousemove over a node until the next animation frame,
tooltip and overlay drawn) and select → frame (a click on a node until the next frame after
the selection is drawn). Writes its section of ``benchmarks/RESULTS.md``.

    python -m benchmarks.graph_view
"""

from __future__ import annotations

import os
import pathlib
import statistics
import sys
import tempfile
import time

import mi_widgets as mw
from benchmarks._environment import write_results
from tests.browser.harness import OfflinePage, launch_chromium
from tests.graph_fixtures import random_graph

SIZES = [(1_000, 100_000), (7_500, 100_000)]
#: Thresholds, and whether every feature is pinned (shown whatever pruning drops).
SETTINGS = [((0.8, 0.98), False), ((1.0, 1.0), False), ((1.0, 1.0), True)]

#: Moves the pointer over a grid of points; resolves with the ms from each mousemove that
#: lands on a node to the next animation frame (at most `count` of them) and those nodes.
HOVER = """async (count) => {
  const overlay = document.querySelector('.mi-graph-overlay');
  const tip = document.querySelector('.mi-graph-view .mi-tooltip');
  const box = overlay.getBoundingClientRect();
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const root = document.querySelector('.mi-graph-view');
  const times = [], nodes = [], paints = [];
  for (let gy = 0; gy < 60 && times.length < count; gy++) {
    for (let gx = 0; gx < 80 && times.length < count; gx++) {
      const x = box.left + (gx + 0.5) * box.width / 80, y = box.top + (gy + 0.5) * box.height / 60;
      const start = performance.now();
      overlay.dispatchEvent(new MouseEvent('mousemove', {clientX: x, clientY: y, bubbles: true}));
      await frame();
      const took = performance.now() - start;
      if (!tip.hidden && !nodes.some((n) => n[2] === tip.dataset.node)) {
        times.push(took);
        paints.push(Number(root.dataset.overlayMs));
        nodes.push([x, y, tip.dataset.node]);
      }
    }
  }
  return [times, nodes, paints];
}"""

#: Clicks each point; resolves with the ms until the view shows the selection, plus a frame.
SELECT = """async (points) => {
  const root = document.querySelector('.mi-graph-view');
  const overlay = document.querySelector('.mi-graph-overlay');
  const times = [], paints = [];
  for (const [x, y, node] of points) {
    const start = performance.now();
    const shown = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (root.dataset.selected === node) { observer.disconnect(); resolve(); }
      });
      observer.observe(root, {attributes: true});
    });
    overlay.dispatchEvent(new MouseEvent('click', {clientX: x, clientY: y, bubbles: true}));
    await shown;
    await new Promise((r) => requestAnimationFrame(() => r()));
    times.push(performance.now() - start);
    paints.push(Number(root.dataset.overlayMs));
  }
  return [times, paints];
}"""

NOTES = """
*first paint*: navigation to the view's first frame (`data-ready`): decoding, pruning in the
page (influence on the logits through all paths; once more on the kept nodes' graph unless
pruning keeps every edge), layout and drawing the shown edges (see below) and every shown node
(one path per colour); the list of nodes for screen readers follows when the page is idle.
*hover → frame*: a mousemove dispatched over a node until the next animation frame
(tooltip with exact edge weights, overlay with the node's edges); median and max of 10 nodes.
*select → frame*: a click on a node until the view shows it selected plus one frame (the
graph dimmed, the 5 strongest inputs and outputs drawn, the selection line); 10 nodes.
*overlay paint*: the view's own drawing of that frame (`data-overlay-ms`: overlay cleared,
edges and rings drawn; the main canvas is not redrawn), the rest of a frame is event dispatch,
tooltip layout, the selection's text and buttons, and compositing.
The main canvas draws the 20,000 strongest shown edges (2,000 with widths by |weight|, the rest
1 px wide: thick translucent lines are slow to stroke without a GPU). Thresholds 1.0 / 1.0
keep every node with edges (features need inputs and outputs); *all pinned* shows every feature
and all their edges whatever pruning drops: the worst case. Goals (issue 18):
first paint ≤ 1.5 s, ≤ 50 ms per interaction. The edges travel as int32 source/target and
float32 weights (12 bytes each, base64 in the file).
"""


def measure(
    browser, n_features: int, n_edges: int, thresholds, pin_all: bool, workdir: pathlib.Path
) -> dict:
    graph = random_graph(n_features, n_edges, n_pos=16, n_layers=4, seed=0)
    path = workdir / f"graph_{n_features}_{thresholds[0]}_{pin_all}.html"
    start = time.perf_counter()
    pinned = graph.node_ids[: graph.counts["feature"]] if pin_all else []
    view = mw.GraphView(
        graph, node_threshold=thresholds[0], edge_threshold=thresholds[1], pinned=pinned
    )
    mw.to_html(view, path)
    build = time.perf_counter() - start
    session = OfflinePage(browser, viewport=(1400, 1000))
    start = time.perf_counter()
    page = session.open(path, ready=".mi-graph-view[data-ready='true']", timeout_ms=120_000)
    first_paint = time.perf_counter() - start
    root = page.locator(".mi-graph-view")
    hover, points, hover_paint = page.evaluate(HOVER, 10)
    select, select_paint = page.evaluate(SELECT, points)
    row = {
        "features": f"{n_features:,}",
        "edges": f"{int((graph.adjacency != 0).sum()):,}",
        "thresholds": f"{thresholds[0]} / {thresholds[1]}" + (", all pinned" if pin_all else ""),
        "shown nodes / edges": f"{root.get_attribute('data-kept')} / "
        f"{root.get_attribute('data-edges')}",
        "file MB": path.stat().st_size / 2**20,
        "build s": build,
        "first paint s": first_paint,
        "prune + layout ms": float(root.get_attribute("data-prune-ms")),
        "hover → frame ms (median)": statistics.median(hover),
        "hover → frame ms (max)": max(hover),
        "hover overlay paint ms (median)": statistics.median(hover_paint),
        "select → frame ms (median)": statistics.median(select),
        "select → frame ms (max)": max(select),
        "select overlay paint ms (median)": statistics.median(select_paint),
        "requests": len(session.requests),
    }
    session.context.close()
    return row


def main() -> int:
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for n_features, n_edges in SIZES:
            for thresholds, pin_all in SETTINGS:
                row = measure(
                    browser, n_features, n_edges, thresholds, pin_all, pathlib.Path(folder)
                )
                rows.append(row)
                print(rows[-1], file=sys.stderr)
        browser.close()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    notes = f"{NOTES.strip()}\nLoad average when measured (1, 5, 15 min): {load} (2 cores)."
    write_results("graph_view", "GraphView, exported and opened offline in Chromium", rows, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
