"""PatchingView and AttributionView in a live JupyterLab: clicks reach the kernel, Python
changes reach the page (one notebook for both)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import notebook_with_views

pytestmark = pytest.mark.browser

SETUP = """
from IPython.display import display
import mi_widgets as mw
model, tokenizer = mw.demo_model()
clean = "The list holds key value file name. The list holds key"
corrupted = "The list holds key error file name. The list holds key"
result = mw.patch(model, tokenizer, clean, corrupted, mw.logit_diff(" value", " error"))
patching_view = mw.PatchingView(result, row=0, column=0)
trace = mw.trace(model, tokenizer, clean)
attention_view = mw.AttentionView(trace)
attribution_view = mw.AttributionView(
    mw.direct_logit_attribution(trace, " value", " error"), attention=attention_view
)
display(patching_view)
display(attribution_view)
display(attention_view)
"""
PATCHING = ".mi-patching-view"
ATTRIBUTION = ".mi-attribution-view"
ATTENTION = ".mi-attention-view"


@pytest.fixture(scope="module")
def notebook(browser, jupyterlab):
    nb = notebook_with_views(
        browser, jupyterlab, "patching_live.ipynb", [SETUP], [PATCHING, ATTRIBUTION, ATTENTION]
    )
    yield nb
    nb.close()


def cell_point(page, view: str, rows: int, columns: int, row: int, column: int):
    box = page.locator(f"{view} .mi-vgrid-overlay").bounding_box()
    x = box["x"] + (column + 0.5) * box["width"] / columns
    return x, box["y"] + (row + 0.5) * box["height"] / rows


def test_patching_selection_syncs_both_ways(notebook):
    page = notebook.page
    page.locator(PATCHING).scroll_into_view_if_needed()
    page.mouse.click(*cell_point(page, PATCHING, 2, 19, 0, 8))
    notebook.wait_for_kernel_value("(patching_view.row, patching_view.column)", "(0, 8)")
    assert notebook.run("print(patching_view.cell)").strip() == "{'layer': 0, 'position': 8}"
    page.locator(PATCHING).focus()
    page.keyboard.press("ArrowDown")
    notebook.wait_for_kernel_value("(patching_view.row, patching_view.column)", "(1, 8)")
    notebook.run("patching_view.row, patching_view.column = 1, 18")
    page.wait_for_selector(f"{PATCHING}[data-selected='1,18']")
    patched = page.locator(f"{PATCHING} .mi-pred .mi-tok").nth(2)
    assert patched.get_attribute("data-token") == " value"  # L1 at the last position: clean
    assert notebook.errors == []


def test_attribution_selection_syncs_and_moves_the_attention_view(notebook):
    page = notebook.page
    page.locator(ATTRIBUTION).scroll_into_view_if_needed()
    page.mouse.click(*cell_point(page, ATTRIBUTION, 2, 4, 0, 3))
    notebook.wait_for_kernel_value(
        "(attribution_view.component, attention_view.layer, attention_view.head)",
        "('L0H3', 0, 3)",
    )
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='0'][data-painted-head='3']")
    page.locator(f"{ATTRIBUTION} .mi-sort").select_option("model")
    notebook.wait_for_kernel_value("attribution_view.sort", "model")
    notebook.run("attribution_view.component = 'L1 MLP'")
    page.wait_for_selector(f"{ATTRIBUTION}[data-selected='L1 MLP']")
    notebook.run("attention_view.layer = 1")
    page.wait_for_selector(f"{ATTRIBUTION}[data-selected='L1H3']")
    notebook.wait_for_kernel_value("attribution_view.component", "L1H3")
    assert notebook.errors == []
