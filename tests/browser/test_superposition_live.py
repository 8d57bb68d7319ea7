"""SuperpositionView in a live JupyterLab: the selector, clicks and keys reach the kernel,
Python changes reach the page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import notebook_with_views
from tests.browser.test_superposition_export import tips

pytestmark = pytest.mark.browser

SETUP = """
import numpy as np
from IPython.display import display
import mi_widgets as mw
angles = 2 * np.pi * np.arange(5) / 5 + 0.3
dense = np.zeros((2, 5)); dense[0, 0], dense[1, 1] = 1.0, 0.9
toy = mw.ToySuperposition(
    sparsities=np.array([0.0, 0.95]), importance=0.9 ** np.arange(5),
    W=np.stack([dense, np.stack([np.cos(angles), np.sin(angles)])]), b=np.zeros((2, 5)),
    loss=np.zeros(2), steps=0, seed=0,
)
view = mw.SuperpositionView(toy)
display(view)
"""
VIEW = ".mi-superposition-view"


@pytest.fixture(scope="module")
def notebook(browser, jupyterlab):
    nb = notebook_with_views(browser, jupyterlab, "superposition_live.ipynb", [SETUP], [VIEW])
    yield nb
    nb.close()


def test_page_choices_reach_the_kernel(notebook):
    from tests.browser.test_superposition_export import known_toy

    page = notebook.page
    xs, ys = tips(known_toy(), 1)
    box = page.locator("canvas.mi-toy-vectors").bounding_box()
    page.mouse.click(box["x"] + xs[2], box["y"] + ys[2])
    notebook.wait_for_kernel_value("view.feature", "2")
    page.locator(".mi-toy-sparsity").select_option("0")
    notebook.wait_for_kernel_value("view.sparsity", "0")
    page.wait_for_selector(f"{VIEW}[data-represented='2']")
    page.locator(VIEW).focus()
    page.keyboard.press("ArrowRight")
    notebook.wait_for_kernel_value("(view.sparsity, view.feature)", "(1, 2)")
    page.keyboard.press("Escape")
    notebook.wait_for_kernel_value("view.feature", "-1")
    assert notebook.errors == []


def test_python_changes_reach_the_page(notebook):
    page = notebook.page
    notebook.run("view.sparsity = 0")
    page.wait_for_selector(f"{VIEW}[data-painted-sparsity='0']")
    assert page.locator(".mi-toy-sparsity").input_value() == "0"
    notebook.run("view.feature = 1")
    page.wait_for_selector(f"{VIEW}[data-feature='1']")
    assert "feature 1: W_1 = (0.000, 0.900)" in page.locator(f"{VIEW} .mi-selection").text_content()
    assert notebook.errors == []
