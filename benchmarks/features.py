"""FeatureDashboard of 16,384 features, exported and opened offline in headless Chromium.

Writes the ``features`` section of ``benchmarks/RESULTS.md`` and prints it: file size (and
bytes per embedded feature), first paint, feature switch (click on a list row -> every panel
repainted) and the frame time while the list scrolls.

    python -m benchmarks.features
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

import mi_widgets as mw
from benchmarks._environment import write_results
from mi_widgets.widgets import FeatureDashboard
from tests.browser.harness import OfflinePage, launch_chromium
from tests.synthetic_features import synthetic_stats

N_FEATURES = 16_384
SIZES = {
    "k": 20,
    "context": 8,
    "n_intervals": 10,
    "per_interval": 5,
    "n_logits": 10,
    "n_nearest": 4,
}
SWITCHES = 40

#: Clicks the list row at `position` (scrolled into view first); resolves with the feature and
#: the ms until the view reports its panels repainted, then until the next frame has been drawn
#: (a task queued from that frame's animation callback runs after its style, layout and paint).
SWITCH = """async (position) => {
  const root = document.querySelector('.mi-feature-dashboard');
  const list = root.querySelector('.mi-feature-list');
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  list.scrollTop = Math.max(0, (position - 5) * 24);
  list.dispatchEvent(new Event('scroll'));
  await frame();
  await new Promise((r) => setTimeout(r, 0));
  const row = list.querySelector(`.mi-feature-row[data-position="${position}"]`);
  const feature = row.dataset.feature;
  const start = performance.now();
  const done = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (root.dataset.paintedFeature === feature) { observer.disconnect(); resolve(); }
    });
    observer.observe(root, {attributes: true});
  });
  row.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  await done;
  const repainted = performance.now() - start;
  await frame();
  await new Promise((r) => setTimeout(r, 0));
  return [Number(feature), repainted, performance.now() - start];
}"""

#: Scrolls the list by `step` px per animation frame for `frames` frames; resolves with the
#: frame intervals, the time of each scroll handler and the rows in the DOM at the end.
SCROLL = """async ([step, frames]) => {
  const list = document.querySelector('.mi-feature-list');
  list.scrollTop = 0;
  const handlers = [];
  const measure = (event) => handlers.push(performance.now() - event.timeStamp);
  list.addEventListener('scroll', measure);
  const intervals = [];
  let last = await new Promise((r) => requestAnimationFrame(r));
  for (let i = 0; i < frames; i++) {
    list.scrollTop += step;
    const now = await new Promise((r) => requestAnimationFrame(r));
    intervals.push(now - last);
    last = now;
  }
  list.removeEventListener('scroll', measure);
  return {intervals, handlers, rows: list.querySelectorAll('.mi-feature-row').length,
          top: list.scrollTop};
}"""

NOTES = """
Synthetic `FeatureStats` (`tests/synthetic_features.py`): 16,384 features (one in five dead),
k = 20 top examples with ±8 tokens of context, 10 activation intervals of 5 examples, 9 histogram
bins, 10 raised and 10 lowered logit tokens, 4 nearest features; a vocabulary of 5,010 token
strings; each feature's top examples share 7 maximum tokens. Exported with the default
`embed=64` (the current feature and the 63 with the highest maximum activation; float16
activations). *bytes per embedded feature*: file size difference between `embed=64` and
`embed=1`, over 63. *first paint*: navigation until the list and the current feature's panels
are painted (`data-painted-feature`). *switch*: click event on a list row (sorted by max
activation, so the embedded features are the first rows) until the view reports the feature's
panels rebuilt (*panels rebuilt*: numbers, histogram, logit table, nearest features, the 20 top
examples and the interval groups near the view; the others are built when scrolled to), and
until the next frame has been drawn (*frame drawn*: an animation frame, then a task queued from
it, which runs after that frame's style, layout and paint); median and max of 40 switches, no
warm-up. *scroll*: `scrollTop` moved by 2,400 px (100 rows) per animation frame for 120 frames
(12,000 rows); frame interval median and max (60 Hz frames are 16.7 ms), the longest scroll
handler (event to the end of the view's re-render of the rows in view) and the rows in the DOM.
Target: feature switch well under 50 ms median.
"""


def measure(browser, workdir: pathlib.Path) -> dict:
    stats = synthetic_stats(N_FEATURES, **SIZES, n_words=5000)
    one = mw.to_html(FeatureDashboard(stats, embed=1), workdir / "features_1.html")
    start = time.perf_counter()
    path = mw.to_html(FeatureDashboard(stats), workdir / "features.html")
    build = time.perf_counter() - start
    size = path.stat().st_size
    session = OfflinePage(browser, viewport=(1400, 1000))
    start = time.perf_counter()
    page = session.open(
        path, ready=".mi-feature-dashboard[data-painted-feature]", timeout_ms=120_000
    )
    first_paint = time.perf_counter() - start
    page.locator(".mi-feature-sort").select_option("max:desc")
    page.wait_for_selector(".mi-feature-dashboard[data-sort='max:desc']")
    switches = [page.evaluate(SWITCH, position) for position in range(1, SWITCHES + 1)]
    repainted = [ms for _, ms, _ in switches]
    drawn = [ms for _, _, ms in switches]
    scroll = page.evaluate(SCROLL, [2400, 120])
    session.context.close()
    return {
        "features": f"{N_FEATURES:,}",
        "file MB": size / 2**20,
        "bytes per embedded feature": round((size - one.stat().st_size) / 63),
        "build s": build,
        "first paint s": first_paint,
        "switch: panels rebuilt ms (median of 40)": statistics.median(repainted),
        "switch: frame drawn ms (median)": statistics.median(drawn),
        "switch: frame drawn ms (max)": max(drawn),
        "scroll frame ms (median)": statistics.median(scroll["intervals"]),
        "scroll frame ms (max)": max(scroll["intervals"]),
        "scroll handler ms (max)": max(scroll["handlers"]),
        "rows in the DOM": scroll["rows"],
        "requests": len(session.requests),
    }


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        row = measure(browser, pathlib.Path(tmp))
        browser.close()
    write_results(
        "features", "FeatureDashboard, exported and opened offline in Chromium", [row], NOTES
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
