"""AttentionView in a live JupyterLab: clicks reach the kernel, Python reaches the page."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.pixels import (
    canvas_rgba,
    cell_center,
    cell_colors,
    luminance,
    probability_colors,
)
from tests.conftest import HOSTILE_TOKENS

pytestmark = pytest.mark.browser

N = 6
SETUP = f"""
import numpy as np
import mi_widgets as mw
n = {N}
identity = np.eye(n, dtype=np.float32)
previous = np.zeros((n, n), dtype=np.float32)
previous[np.arange(n), np.maximum(np.arange(n) - 1, 0)] = 1
attention = np.stack([np.stack([identity] * 4), np.stack([previous] * 4)])
view = mw.AttentionView(attention=attention, tokens=list("abcdef"))
view
"""
VIEW = ".mi-attention-view[data-ready='true']"
MAIN = ".mi-heatmap-main"


@pytest.fixture
def notebook(live_notebook):
    nb = live_notebook("attention_live.ipynb", [SETUP])
    nb.page.wait_for_selector(VIEW, timeout=60_000)
    return nb


def test_clicks_in_the_page_reach_the_kernel(notebook):
    page = notebook.page
    page.locator(".mi-head-thumb[data-head='2']").click()
    notebook.wait_for_kernel_value("view.head", "2")
    page.mouse.click(*cell_center(page, MAIN, N, 4, 4))
    notebook.wait_for_kernel_value("(view.query_token, view.locked)", "(4, True)")
    page.locator(".mi-token-strip .mi-token").nth(1).click()
    notebook.wait_for_kernel_value("(view.query_token, view.locked)", "(1, True)")
    page.locator(".mi-attention-view").focus()
    page.keyboard.press("Escape")
    notebook.wait_for_kernel_value("(view.query_token, view.locked)", "(None, False)")
    page.locator(".mi-layer-select").select_option("1")
    notebook.wait_for_kernel_value("view.layer", "1")
    assert notebook.errors == []


def test_python_changes_reach_the_page(notebook):
    page = notebook.page
    before = cell_colors(canvas_rgba(page, MAIN), N)
    assert luminance(before[3, 3]) < luminance(before[3, 2]) - 100, "layer 0 is the identity"
    notebook.run("view.layer = 1")
    page.wait_for_selector(".mi-attention-view[data-painted-layer='1']")
    after = cell_colors(canvas_rgba(page, MAIN), N)
    assert luminance(after[3, 2]) < luminance(after[3, 3]) - 100, "layer 1 is previous-token"
    notebook.run("view.head = 3")
    page.wait_for_selector(".mi-attention-view[data-painted-head='3']")
    assert page.locator(".mi-layer-select").input_value() == "1"
    notebook.run("view.query_token = 5; view.locked = True")
    strip = page.locator(".mi-token-strip .mi-token")
    page.wait_for_function(
        """() => { const s = document.querySelectorAll('.mi-token-strip .mi-token');
                   return getComputedStyle(s[4]).backgroundColor !== getComputedStyle(s[0]).backgroundColor; }"""
    )
    assert strip.nth(4).evaluate("e => getComputedStyle(e).backgroundColor") != strip.nth(
        0
    ).evaluate("e => getComputedStyle(e).backgroundColor")
    assert notebook.errors == []


def test_layers_past_the_budget_are_fetched_on_demand(live_notebook):
    code = """
import numpy as np
import mi_widgets as mw
rng = np.random.default_rng(0)
scores = rng.normal(size=(3, 2, 16, 16))
scores[..., np.triu_indices(16, 1)[0], np.triu_indices(16, 1)[1]] = -np.inf
attention = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
lazy = mw.AttentionView(attention=attention, tokens=[str(i) for i in range(16)], max_bytes=300)
print(sorted(lazy._slices))
lazy
"""
    nb = live_notebook("attention_lazy.ipynb", [code])
    nb.page.wait_for_selector(VIEW, timeout=60_000)
    assert nb.run("print(sorted(lazy._slices))").strip() == "['layer:0']"
    nb.run("lazy.layer = 2")
    nb.page.wait_for_selector(".mi-attention-view[data-painted-layer='2']")
    stored = nb.run("print((lazy.attention[2, 0] * 255).round().astype(int).tolist())")
    expected = probability_colors(dark=False)[np.array(json.loads(stored))]
    np.testing.assert_array_equal(cell_colors(canvas_rgba(nb.page, MAIN), 16), expected)
    assert nb.page.locator(".mi-missing").count() == 0


def test_hostile_tokens_in_the_live_page(live_notebook):
    tokens = repr(HOSTILE_TOKENS)
    code = f"""
import numpy as np
import mi_widgets as mw
tokens = {tokens}
n = len(tokens)
view = mw.AttentionView(attention=np.tril(np.ones((2, n, n), dtype=np.float32)) / np.arange(1, n + 1)[:, None], tokens=tokens)
view
"""
    nb = live_notebook("attention_hostile.ipynb", [code])
    nb.page.wait_for_selector(VIEW, timeout=60_000)
    view = nb.page.locator(".mi-attention-view")
    assert view.locator("img, script, iframe").count() == 0
    shown = view.locator(".mi-token-strip .mi-token").all_text_contents()
    assert shown[0] == HOSTILE_TOKENS[0] and shown[1] == HOSTILE_TOKENS[1]
    assert nb.dialogs == [] and nb.errors == []


def test_view_follows_the_jupyterlab_theme(notebook):
    page = notebook.page
    light, dark = probability_colors(dark=False), probability_colors(dark=True)
    identity = np.eye(N, dtype=int) * 255
    np.testing.assert_array_equal(cell_colors(canvas_rgba(page, MAIN), N), light[identity])
    change_theme = (
        "name => window.jupyterapp.commands.execute('apputils:change-theme', {theme: name})"
    )
    page.evaluate(change_theme, "JupyterLab Dark")
    try:
        page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
        page.wait_for_function(
            """([color]) => {
                 const c = document.querySelector('.mi-heatmap-main');
                 const p = c.getContext('2d').getImageData(1, 1, 1, 1).data;
                 return p[0] === color[0] && p[1] === color[1] && p[2] === color[2];
               }""",
            arg=[dark[255].tolist()],
        )
        np.testing.assert_array_equal(cell_colors(canvas_rgba(page, MAIN), N), dark[identity])
        SCREENSHOTS.mkdir(exist_ok=True)
        page.locator(".mi-attention-view").screenshot(
            path=str(SCREENSHOTS / "attention_live_dark.png")
        )
    finally:
        page.evaluate(change_theme, "JupyterLab Light")
        page.wait_for_selector("body[data-jp-theme-light='true']", state="attached")
