"""CompositionView in a live JupyterLab, linked to a HeadScoresView and an AttentionView:
clicks and keys reach the kernel, Python changes reach the page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import notebook_with_views

pytestmark = pytest.mark.browser

SETUP = """
from IPython.display import display
import mi_widgets as mw
model, tokenizer = mw.demo_model()
comp = mw.composition_scores(model)
trace = mw.trace(model, tokenizer, "key = value; key = value; key =")
attention_view = mw.AttentionView(trace)
scores_view = mw.HeadScoresView(mw.head_scores(trace))
view = mw.CompositionView(comp, kind="K", layer=1, head=0)
mw.link_heads(scores_view, view)
mw.link_heads(view, attention_view)
display(view)
display(scores_view)
display(attention_view)
"""
COMPOSITION = ".mi-composition-view"
ATTENTION = ".mi-attention-view"
N = 8  # 2 layers x 4 heads


@pytest.fixture(scope="module")
def notebook(browser, jupyterlab):
    nb = notebook_with_views(
        browser,
        jupyterlab,
        "composition_live.ipynb",
        [SETUP],
        [COMPOSITION, ".mi-head-scores-view", ATTENTION],
    )
    yield nb
    nb.close()


def cell_point(page, row: int, column: int):
    box = page.locator(f"{COMPOSITION} .mi-vgrid-overlay").bounding_box()
    x = box["x"] + (column + 0.5) * box["width"] / N
    return x, box["y"] + (row + 0.5) * box["height"] / N


def test_selection_and_kind_sync_both_ways(notebook):
    page = notebook.page
    page.locator(COMPOSITION).scroll_into_view_if_needed()
    page.mouse.click(*cell_point(page, 6, 2))  # reader L1H2, writer L0H2
    notebook.wait_for_kernel_value(
        "(view.layer, view.head, view.partner_layer, view.partner_head)", "(1, 2, 0, 2)"
    )
    notebook.wait_for_kernel_value(
        "(scores_view.layer, scores_view.head, attention_view.layer, attention_view.head)",
        "(1, 2, 1, 2)",
    )
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='1'][data-painted-head='2']")
    page.locator(COMPOSITION).focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("v")
    notebook.wait_for_kernel_value("(view.kind, view.layer, view.head)", "('V', 1, 1)")
    notebook.run("view.kind = 'Q'; view.layer, view.head = 1, 3")
    page.wait_for_selector(f"{COMPOSITION}[data-kind='Q'][data-selected='7,2']")
    writers = page.locator(COMPOSITION).get_attribute("data-writers").split(",")
    expected = notebook.run(
        "print(','.join(f'L{l}H{h}' for l, h, _ in view.partners()['writers']))"
    ).strip()
    assert writers == expected.split(",")
    notebook.run("attention_view.head = 0")
    page.wait_for_selector(f"{COMPOSITION}[data-selected='4,2']")
    notebook.wait_for_kernel_value("(view.layer, view.head)", "(1, 0)")
    assert notebook.errors == []
