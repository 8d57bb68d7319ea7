"""Offline reports of the teaching notebooks: each notebook executed headless (nbclient), its
report written (`mi-widgets report`), its size, and the time until every view on the page is
drawn in Chromium with every network request aborted.

Writes the ``notebook_reports`` section of ``benchmarks/RESULTS.md``.

    python -m benchmarks.reports [--only 00_ 01_]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import tempfile
import time

import nbformat

from benchmarks._environment import write_results
from mi_widgets.export.notebook import DEFAULT_REPORT_MAX_BYTES
from mi_widgets.export.report import execute_notebook, report_html
from tests.browser.harness import OfflinePage, launch_chromium
from tests.browser.test_report_export import ALL_PAINTED, VIEWS_PAINTED
from tests.conftest import NOTEBOOKS

#: Resolves with the ms from navigation start until every view of the page has painted.
_ALL_PAINTED = f"""async () => {{
  const painted = {ALL_PAINTED};
  while (!painted() && performance.now() < 60000) await new Promise((r) => setTimeout(r, 5));
  return performance.now();
}}"""


def measure(path: pathlib.Path, browser, directory: pathlib.Path) -> dict:
    """Execute the notebook, write its report and open it offline; one result row."""
    notebook = nbformat.read(path, as_version=4)
    directory.mkdir()
    start = time.perf_counter()
    execute_notebook(notebook, directory)
    executed_s = time.perf_counter() - start
    executed_file = directory / path.name
    nbformat.write(notebook, executed_file)
    start = time.perf_counter()
    page_html, found = report_html(notebook, directory=path.parent, name=path.stem)
    report_s = time.perf_counter() - start
    report = directory / f"{path.stem}.html"
    report.write_text(page_html, encoding="utf-8")
    session = OfflinePage(browser)
    session.page.goto(report.resolve().as_uri())
    painted_ms = session.page.evaluate(_ALL_PAINTED)
    painted = session.page.evaluate(VIEWS_PAINTED)
    session.context.close()
    return {
        "notebook": path.name,
        "executed s": executed_s,
        "executed .ipynb MB": executed_file.stat().st_size / 2**20,
        "report MB": report.stat().st_size / 2**20,
        "report written s": report_s,
        "views (painted)": f"{found.views} ({sum(painted)})",
        "figures": found.figures,
        "not shown": found.placeholders,
        "slices left out": len(found.omitted),
        "all views painted s": painted_ms / 1000,
        "requests": len(session.requests),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="notebook name prefixes")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from playwright.sync_api import sync_playwright

    paths = [p for p in NOTEBOOKS if not arguments.only or p.name.startswith(tuple(arguments.only))]
    load_before = os.getloadavg()[:2]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        rows = [measure(path, browser, pathlib.Path(tmp) / path.stem) for path in paths]
        browser.close()
    load_after = os.getloadavg()[:2]
    notes = (
        "Each notebook executed by nbclient (widget state stored, as `mi-widgets report "
        "--execute` does), then written by the `mi_html` exporter with the default budget of "
        f"{DEFAULT_REPORT_MAX_BYTES / 2**20:.0f} MiB of view data; each view's data travels in "
        "its display bundle as a snapshot (at most 8 MiB each). Report MB is the single HTML "
        "file (nbconvert's lab page and styles, the views' modules, data as base64, plotly.js "
        "when a figure is shown). All views painted: from opening the file until every view "
        "has drawn a canvas, in Chromium with every network request aborted (gives up after "
        "60 s; the painted count says whether all did). Load average (1, 5 min) "
        f"{load_before[0]:.2f}, {load_before[1]:.2f} before and {load_after[0]:.2f}, "
        f"{load_after[1]:.2f} after, on 2 cores shared with other work."
    )
    write_results(
        "notebook_reports",
        "Offline reports of the teaching notebooks",
        rows,
        notes,
        command="python -m benchmarks.reports",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
