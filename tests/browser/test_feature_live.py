"""FeatureDashboard in a live JupyterLab: clicks reach the kernel, Python reaches the page, any
feature's panels come from the kernel on demand, and your own text goes through the model."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from mi_widgets.widgets.feature import NO_ORIGIN_NOTE
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pixels import css_rgb, expected_colors
from tests.synthetic_features import FakeOrigin, synthetic_stats

pytestmark = pytest.mark.browser

REPO = pathlib.Path(__file__).resolve().parents[2]
LIVE = ".mi-feature-dashboard[aria-label='live features']"
LOADED = ".mi-feature-dashboard[aria-label='loaded features']"
TEXT = "<script>alert(1)</script> the cat\n<img src=x onerror=alert(1)> sat"


def painted(root: str, feature: int) -> str:
    return f"{root}[data-painted-feature='{feature}']"


@pytest.fixture
def notebook(live_notebook, jupyterlab):
    synthetic_stats(24).save(jupyterlab.notebooks / "features.npz")
    setup = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from mi_widgets.sae.stats import FeatureStats
from mi_widgets.widgets import FeatureDashboard
from tests.synthetic_features import FakeOrigin, synthetic_stats
origin = FakeOrigin(24)
dash = FeatureDashboard(synthetic_stats(24), origin=origin, feature=3, embed=1, title="live features")
dash
"""
    loaded = 'FeatureDashboard(FeatureStats.load("features.npz"), title="loaded features")'
    nb = live_notebook("feature_live.ipynb", [setup, loaded])
    nb.page.wait_for_selector(painted(LIVE, 3), timeout=60_000)
    nb.page.wait_for_selector(painted(LOADED, 0), timeout=60_000)
    nb.stats = synthetic_stats(24)
    return nb


def test_clicks_keys_and_controls_reach_the_kernel(notebook):
    page = notebook.page
    page.locator(f"{LIVE} .mi-feature-row[data-feature='7']").click()
    notebook.wait_for_kernel_value("dash.feature", "7")
    page.wait_for_selector(painted(LIVE, 7))
    page.locator(f"{LIVE} .mi-neighbour[data-feature='8']").click()
    notebook.wait_for_kernel_value("dash.feature", "8")
    page.locator(LIVE).focus()
    page.keyboard.press("ArrowRight")  # 9 is dead and hidden: 10
    notebook.wait_for_kernel_value("dash.feature", "10")
    page.keyboard.press("/")
    page.keyboard.type("w2")
    notebook.wait_for_kernel_value("dash.query", "w2")
    page.locator(f"{LIVE} .mi-feature-sort").select_option("density:desc")
    notebook.wait_for_kernel_value("(dash.sort, dash.descending)", "('density', True)")
    page.locator(f"{LIVE} .mi-hide-dead").uncheck()
    notebook.wait_for_kernel_value("dash.hide_dead", "False")
    assert notebook.errors == [] and notebook.dialogs == []


def test_python_changes_reach_the_page_and_panels_come_on_demand(notebook):
    page = notebook.page
    assert notebook.run("print(sorted(dash._slices))").strip() == "['feature-ids:3', 'feature:3']"
    notebook.run("dash.feature = 12")
    page.wait_for_selector(painted(LIVE, 12))
    assert page.locator(LIVE).get_attribute("data-panels") == "ready"
    assert page.locator(f"{LIVE} .mi-feature-title").text_content() == "Feature 12"
    docs = page.eval_on_selector_all(
        f"{LIVE} .mi-examples .mi-example", "els => els.map(e => +e.dataset.doc)"
    )
    assert docs == [e.doc for e in notebook.stats.examples(12)]
    assert page.locator(f"{LIVE} .mi-feature-row.mi-current").get_attribute("data-feature") == "12"
    notebook.run("dash.query = '#4'")
    page.wait_for_selector(f"{LIVE}[data-listed='1']")
    assert page.locator(f"{LIVE} .mi-feature-search").input_value() == "#4"
    notebook.run("dash.query = ''; dash.sort = 'max'; dash.descending = True")
    page.wait_for_selector(f"{LIVE}[data-sort='max:desc']")
    assert page.locator(f"{LIVE} .mi-feature-sort").input_value() == "max:desc"
    # statistics loaded from a file have no model: the text box says so
    note = page.locator(f"{LOADED} .mi-probe-note").text_content()
    assert note == NO_ORIGIN_NOTE and page.locator(f"{LOADED} .mi-probe-input").is_disabled()
    assert notebook.errors == []


def test_your_own_text_is_coloured_by_the_kernel(notebook):
    page = notebook.page
    page.locator(f"{LIVE} .mi-probe-input").fill(TEXT)
    page.locator(f"{LIVE} .mi-probe-run").click()
    page.wait_for_selector(f"{LIVE}[data-probe='ready'][data-probe-feature='3']")
    tokens, values = FakeOrigin.expected(TEXT, 3)
    spans = f"{LIVE} .mi-probe-text .mi-ntok"
    shown = page.eval_on_selector_all(
        spans, "els => els.map(e => [e.textContent, e.childElementCount])"
    )
    assert [text for text, _ in shown] == [t.replace("\n", "↵\n") for t in tokens]
    assert all(children == 0 for _, children in shown)
    scale = max(float(notebook.stats.max[3]), np.abs(values).max())
    np.testing.assert_array_equal(css_rgb(page, spans), expected_colors(values, False, scale))
    page.locator(f"{spans}[data-index='2']").hover()
    tooltip = page.locator(f"{LIVE} .mi-tooltip")
    tooltip.wait_for(state="visible")
    assert float(tooltip.get_attribute("data-value")) == values[2]
    assert json.dumps(tokens[2]) in tooltip.text_content()
    # another feature: the page asks again, the kernel reuses the model's answer
    notebook.run("dash.feature = 5")
    page.wait_for_selector(f"{LIVE}[data-probe='ready'][data-probe-feature='5']")
    np.testing.assert_array_equal(
        css_rgb(page, spans),
        expected_colors(FakeOrigin.expected(TEXT, 5)[1], False, float(notebook.stats.max[5])),
    )
    assert notebook.run("print(origin.calls)").strip() == "1"
    assert notebook.errors == [] and notebook.dialogs == []
    assert page.locator(f"{LIVE} img, {LIVE} script").count() == 0
    page.locator(LIVE).screenshot(path=SCREENSHOTS / "feature_live.png")
