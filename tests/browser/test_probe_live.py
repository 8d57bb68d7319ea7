"""ProbeView in a live JupyterLab: clicks reach the kernel, Python changes reach the page."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.browser.conftest import notebook_with_views
from tests.browser.test_probe_export import frame, padded

pytestmark = pytest.mark.browser

SETUP = """
import torch
from IPython.display import display
import mi_widgets as mw
generator = torch.Generator().manual_seed(7)
acts = torch.randn(3, 40, 6, generator=generator)
labels = torch.arange(40) % 2
acts[1, :, 0] += (2 * labels - 1) * 5.0
probes = mw.probe(acts, labels=labels, layers=[0, 1, 2], seed=1)
view = mw.ProbeView(probes, layer=1)
display(view)
"""
VIEW = ".mi-probe-view"
CHART = "canvas.mi-probe-scores"
SCATTER = "canvas.mi-probe-scatter"


@pytest.fixture(scope="module")
def notebook(browser, jupyterlab):
    nb = notebook_with_views(browser, jupyterlab, "probe_live.ipynb", [SETUP], [VIEW])
    yield nb
    nb.close()


def test_clicks_and_keys_reach_the_kernel(notebook):
    page = notebook.page
    box = page.locator(CHART).bounding_box()
    to_pixel = frame(340, 240, (46, 12, 10, 34), (-0.5, 2.5), (0.0, 1.0))
    page.mouse.click(box["x"] + to_pixel(2, 0)[0], box["y"] + 100)
    notebook.wait_for_kernel_value("view.layer", "2")
    page.wait_for_selector(f"{VIEW}[data-painted-layer='2']")
    page.keyboard.press("ArrowLeft")
    notebook.wait_for_kernel_value("view.layer", "1")
    # click the point farthest from the others: the kernel gets its index
    printed = notebook.run(
        "import json; print(json.dumps([probes.projection[1].tolist(), probes.component[1].tolist()]))"
    )
    along, across = (np.float32(v).astype(np.float64) for v in json.loads(printed))
    xs, ys = frame(400, 300, (52, 12, 10, 34), padded(along), padded(across))(along, across)
    distance = np.hypot(xs[:, None] - xs[None], ys[:, None] - ys[None]) + np.eye(len(xs)) * 99
    i = int(np.argmax(distance.min(1)))
    box = page.locator(SCATTER).bounding_box()
    page.mouse.click(box["x"] + xs[i], box["y"] + ys[i])
    notebook.wait_for_kernel_value("view.example", str(i))
    page.wait_for_selector(f"{VIEW}[data-example='{i}']")
    assert notebook.errors == []


def test_python_changes_reach_the_page(notebook):
    page = notebook.page
    notebook.run("view.layer = 0")
    page.wait_for_selector(f"{VIEW}[data-painted-layer='0']")
    notebook.run("view.example = 5")
    page.wait_for_selector(f"{VIEW}[data-example='5']")
    assert "selected example 5: example 5" in page.locator(f"{VIEW} .mi-selection").text_content()
    notebook.run("view.example = -1")
    page.wait_for_selector(f"{VIEW}[data-example='-1']")
    assert notebook.errors == []
