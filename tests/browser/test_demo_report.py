"""The `mi-widgets demo` report, opened from disk with every network request aborted."""

from __future__ import annotations

import pytest

from mi_widgets.cli import main
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.html"
    assert main(["demo", "-o", str(path)]) == 0
    return path


def test_demo_report_paints_both_views_and_links_them(offline, report):
    session = offline()
    page = session.open(report, ready=".mi-attention-view[data-ready='true']")
    page.wait_for_selector(".mi-head-scores-view[data-ready='true']")
    attention = page.locator(".mi-attention-view")
    layer, head = (
        attention.get_attribute("data-painted-layer"),
        attention.get_attribute("data-painted-head"),
    )
    assert page.locator(".mi-head-scores-view").get_attribute("data-selected") == f"{layer},{head}"
    grid = page.locator(".mi-score-grid").bounding_box()
    n_layers = page.locator(".mi-layer-select option").count()
    n_heads = page.locator(".mi-head-thumb").count()
    target = (0, (int(head) + 1) % n_heads) if layer != "0" else (n_layers - 1, 0)
    page.mouse.click(
        grid["x"] + (target[1] + 0.5) * grid["width"] / n_heads,
        grid["y"] + (target[0] + 0.5) * grid["height"] / n_layers,
    )
    page.wait_for_selector(
        f".mi-attention-view[data-painted-layer='{target[0]}'][data-painted-head='{target[1]}']"
    )
    assert session.requests == [] and session.errors == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "demo_report.png"), full_page=True)
