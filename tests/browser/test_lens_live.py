"""LogitLensView linked with an AttentionView in a live JupyterLab (one notebook for all)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from tests.browser.conftest import notebook_with_views
from tests.test_lens_view import RARE, ROWS, TOKENS, known_lens

pytestmark = pytest.mark.browser

R, N = len(ROWS), len(TOKENS)
SETUP = f"""
from IPython.display import display
import mi_widgets as mw
from tests.conftest import random_causal_attention
from tests.test_lens_view import known_lens
attention_view = mw.AttentionView(attention=random_causal_attention({R - 1}, 2, {N}),
                                  tokens=[f"t{{i}}" for i in range({N})])
lens_view = mw.LogitLensView(known_lens(), attention=attention_view, row=1, position=1)
display(lens_view)
display(attention_view)
"""
VIEW = ".mi-lens-view"
ATTENTION = ".mi-attention-view"
GRID = ".mi-lens-grid"
BOTH = "(lens_view.row, lens_view.position, attention_view.layer, attention_view.query_token)"


@pytest.fixture(scope="module")
def notebook(browser, jupyterlab):
    root = pathlib.Path(__file__).resolve().parents[2]
    cells = [f"import sys; sys.path.insert(0, {str(root)!r})", SETUP]
    nb = notebook_with_views(browser, jupyterlab, "lens_live.ipynb", cells, [VIEW, ATTENTION])
    yield nb
    nb.close()


def cell_point(page, row: int, position: int) -> tuple[float, float]:
    box = page.locator(GRID).bounding_box()
    return box["x"] + (position + 0.5) * box["width"] / N, box["y"] + (row + 0.5) * box[
        "height"
    ] / R


def test_a_click_reaches_the_kernel_and_the_attention_view(notebook):
    page = notebook.page
    assert page.locator(VIEW).get_attribute("data-selected") == "1,1"
    page.mouse.click(*cell_point(page, 2, 3))
    notebook.wait_for_kernel_value(BOTH, "(2, 3, 1, 3)")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='1']")
    page.wait_for_selector(f"{ATTENTION} .mi-token.mi-query[data-index='3']")
    page.locator(VIEW).focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")
    notebook.wait_for_kernel_value(BOTH, "(1, 2, 0, 2)")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='0']")
    assert notebook.errors == []


def test_python_sets_the_cell_and_target_and_the_page_follows(notebook):
    page = notebook.page
    notebook.run("lens_view.row, lens_view.position = 0, 4")
    page.wait_for_selector(f"{VIEW}[data-selected='0,4']")
    notebook.run("lens_view.target_token = '&amp;'")
    page.wait_for_selector(f"{VIEW}[data-painted-line='2@4'][data-chart='ready']")
    assert page.locator(".mi-target-select").input_value() == "2"
    line = json.loads(page.locator(VIEW).get_attribute("data-line"))
    np.testing.assert_array_equal(line, known_lens().probs[:, 4, 2].astype(np.float16))
    # a candidate the page does not have at this position comes from the kernel
    notebook.run(f"lens_view.target = {RARE}")
    page.wait_for_selector(f"{VIEW}[data-painted-line='{RARE}@4'][data-chart='ready']")
    line = json.loads(page.locator(VIEW).get_attribute("data-line"))
    np.testing.assert_array_equal(line, known_lens().probs[:, 4, RARE].astype(np.float16))
    page.locator(".mi-target-select").select_option("0")
    notebook.wait_for_kernel_value("lens_view.target_token", "value")
    assert notebook.errors == []


def test_the_attention_view_moves_the_lens(notebook):
    page = notebook.page
    notebook.run("attention_view.layer = 1")
    page.wait_for_selector(f"{VIEW}[data-selected='2,4']")
    page.locator(f"{ATTENTION} .mi-layer-select").select_option("0")
    notebook.wait_for_kernel_value("(lens_view.row, lens_view.layer)", "(1, 0)")
    page.wait_for_selector(f"{VIEW}[data-selected='1,4']")
    page.locator(f"{ATTENTION} .mi-token[data-index='2']").click()
    notebook.wait_for_kernel_value("lens_view.position", "2")
    page.wait_for_selector(f"{VIEW}[data-selected='1,2']")
    notebook.run("lens_view.links[0].unlink(); attention_view.layer = 1")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='1']")
    assert page.locator(VIEW).get_attribute("data-selected") == "1,2", "unlinked: the lens stays"
    assert notebook.errors == []
