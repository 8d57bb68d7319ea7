"""GraphView in a live JupyterLab: selection, pins, supernodes and thresholds go both ways, and
an intervention runs the real model in the kernel."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from tests.browser.conftest import notebook_with_views
from tests.browser.pixels import canvas_rgba, expected_colors

pytestmark = pytest.mark.browser

REPO = pathlib.Path(__file__).resolve().parents[2]
KNOWN = ".mi-graph-view[aria-label='Attribution graph: known']"
DEMO = ".mi-graph-view[aria-label='Attribution graph: demo']"
SETUP = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import mi_widgets as mw
from IPython.display import display
from tests.graph_fixtures import demo_graph, demo_transcoders, known_graph
view = mw.GraphView(known_graph(), node_threshold=1.0, edge_threshold=1.0, title="known")
model, tokenizer = mw.demo_model()
graph, node = demo_graph((model, tokenizer, demo_transcoders(model)))
graph.attach_model(model, tokenizer, demo_transcoders(model))
demo = mw.GraphView(graph, selected=node, node_threshold=1.0, edge_threshold=1.0, title="demo")
display(view)
display(demo)
"""


@pytest.fixture(scope="module")
def notebook(browser, jupyterlab):
    nb = notebook_with_views(browser, jupyterlab, "graph_live.ipynb", [SETUP], [KNOWN, DEMO])
    yield nb
    nb.close()


def test_page_choices_reach_the_kernel(notebook):
    page = notebook.page
    rgba = canvas_rgba(page, f"{KNOWN} .mi-graph-canvas")
    color = expected_colors(np.array([2.0, 1.0, 0.5, 0.1]), False)[2]
    ys, xs = np.nonzero((rgba[..., :3].astype(int) == color).all(-1))
    box = page.locator(f"{KNOWN} .mi-graph-overlay").bounding_box()
    page.mouse.click(box["x"] + xs.mean(), box["y"] + ys.mean())
    notebook.wait_for_kernel_value("view.selected", "1_88_4")
    page.locator(KNOWN).focus()
    page.keyboard.press("p")
    notebook.wait_for_kernel_value("view.pinned", "['1_88_4']")
    page.locator(f"{KNOWN} .mi-group-name").fill("say dog")
    page.locator(f"{KNOWN} .mi-group").click()
    notebook.wait_for_kernel_value("view.supernodes", "{'say dog': ['1_88_4']}")
    notebook.wait_for_kernel_value("(view.selected, view.pinned)", "('say dog', [])")
    page.eval_on_selector(
        f"{KNOWN} .mi-node-threshold",
        "el => { el.value = '0.3'; el.dispatchEvent(new Event('change', {bubbles: true})); }",
    )
    notebook.wait_for_kernel_value("view.node_threshold", "0.3")
    page.eval_on_selector(
        f"{KNOWN} .mi-edge-threshold",
        "el => { el.value = '0.5'; el.dispatchEvent(new Event('change', {bubbles: true})); }",
    )
    notebook.wait_for_kernel_value("view.edge_threshold", "0.5")
    assert notebook.errors == []


def test_python_changes_reach_the_page(notebook):
    page = notebook.page
    notebook.run("view.supernodes = {}; view.node_threshold = 1.0; view.edge_threshold = 1.0")
    page.wait_for_function(f"document.querySelector(\"{KNOWN}\").dataset.kept === '13'")
    notebook.run("view.selected = '0_7_1'")
    page.wait_for_selector(f"{KNOWN}[data-selected='0_7_1']")
    notebook.run("view.node_threshold = 0.5")
    assert page.locator(f"{KNOWN} .mi-node-threshold").input_value() == "0.5"
    notebook.run("view.edge_threshold = 0.98")
    page.wait_for_function(f"document.querySelector(\"{KNOWN}\").dataset.kept !== '13'")
    notebook.run("view.pinned = ['1_3_2']")
    page.wait_for_function(
        f"document.querySelector(\"{KNOWN}\").dataset.keptIds.split(',').includes('1_3_2')"
    )
    notebook.run("view.supernodes = {'pair': ['0_7_1', '0_412_4']}")
    page.wait_for_function(
        f"!document.querySelector(\"{KNOWN}\").dataset.keptIds.split(',').includes('0_7_1')"
    )
    assert notebook.errors == []


def test_an_intervention_runs_the_model_in_the_kernel(notebook):
    page = notebook.page
    ablate = page.locator(f"{DEMO} .mi-ablate")
    assert not ablate.is_disabled()
    ablate.click()
    page.wait_for_selector(f"{DEMO}[data-intervention='done']", timeout=30_000)
    rows = page.locator(f"{DEMO} .mi-graph-result tr")
    expected = notebook.run(
        "r = graph.intervene({node: 0.0}); print(' '.join(f'{p:.3f}' for p in r.new_probabilities))"
    ).split()
    cells = [rows.nth(i + 1).locator("td").nth(4).text_content() for i in range(len(expected))]
    assert cells == expected
    assert notebook.errors == []
