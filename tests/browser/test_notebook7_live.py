"""An AttentionView in Jupyter Notebook 7 (the ``notebook`` package): it draws, clicks reach
the kernel, Python reaches the page, and the saved notebook makes an offline report."""

from __future__ import annotations

import time

import pytest

from mi_widgets.export.report import write_report
from mi_widgets.export.snapshot import SNAPSHOT_MIME
from tests.browser.conftest import SCREENSHOTS
from tests.browser.harness import LiveNotebook
from tests.browser.test_attention_live import SETUP, VIEW
from tests.browser.test_report_export import VIEWS_PAINTED, open_report

pytestmark = pytest.mark.browser


@pytest.fixture
def notebook(browser, notebook7):
    nb = LiveNotebook(browser, notebook7, "attention_nb7.ipynb", [SETUP])
    nb.page.wait_for_selector(VIEW, timeout=90_000)
    yield nb
    nb.close()


def test_attention_view_syncs_both_ways_in_notebook7(notebook, offline, notebook7, tmp_path):
    page = notebook.page
    assert "/notebooks/" in page.url and page.locator(".jp-LabShell").count() == 0
    page.locator(".mi-head-thumb[data-head='2']").click()
    notebook.wait_for_kernel_value("view.head", "2")
    page.locator(".mi-layer-select").select_option("1")
    notebook.wait_for_kernel_value("view.layer", "1")
    notebook.run("view.head = 3\nview.layer = 0")
    page.wait_for_selector(".mi-attention-view[data-painted-layer='0'][data-painted-head='3']")
    assert page.locator(".mi-layer-select").input_value() == "0"
    # Notebook 7.6.5's own code raises this while loading settings, for any notebook (one
    # holding only `1+1` too), before a cell runs; every other page error fails the test.
    assert [error for error in notebook.errors if "reading 'schema'" not in error] == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "notebook7_attention.png"))
    # saved from Notebook 7 (outputs with the view's snapshot): a report that draws it offline
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    saved = notebook7.notebooks / "attention_nb7.ipynb"
    deadline = time.monotonic() + 20
    while SNAPSHOT_MIME not in saved.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    found = write_report(saved, tmp_path / "nb7.html")
    assert (found.views, found.placeholders) == (1, 0)
    session, report = open_report(offline, tmp_path / "nb7.html")
    assert report.evaluate(VIEWS_PAINTED) == [True]
    assert session.requests == [] and session.errors == []
