"""A notebook saved from JupyterLab with widget state: its report shows each view as last
selected in the page, drawn offline."""

from __future__ import annotations

import json
import time

import pytest

from mi_widgets.export.notebook import WIDGET_STATE_MIME
from mi_widgets.export.report import write_report
from tests.browser.test_attention_live import SETUP, VIEW
from tests.browser.test_report_export import VIEWS_PAINTED, open_report

pytestmark = pytest.mark.browser

#: JupyterLab's "Save Widget State Automatically", in this test server's user settings.
SAVE_STATE_SETTINGS = "config/lab/user-settings/@jupyter-widgets/jupyterlab-manager"


@pytest.fixture
def save_widget_state(jupyterlab):
    """Turn on saving widget state with the notebook while the test runs."""
    directory = jupyterlab.root / SAVE_STATE_SETTINGS
    directory.mkdir(parents=True, exist_ok=True)
    settings = directory / "plugin.jupyterlab-settings"
    settings.write_text(json.dumps({"saveState": True}))
    yield
    settings.unlink()


def test_report_of_a_notebook_saved_from_jupyterlab(
    save_widget_state, live_notebook, jupyterlab, offline, tmp_path
):
    notebook = live_notebook("saved_from_lab.ipynb", [SETUP])
    page = notebook.page
    page.wait_for_selector(VIEW, timeout=60_000)
    page.locator(".mi-head-thumb[data-head='2']").click()
    page.locator(".mi-layer-select").select_option("1")
    notebook.wait_for_kernel_value("(view.layer, view.head)", "(1, 2)")
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    saved = jupyterlab.notebooks / "saved_from_lab.ipynb"
    deadline = time.monotonic() + 20
    while WIDGET_STATE_MIME not in saved.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    states = json.loads(saved.read_text())["metadata"]["widgets"][WIDGET_STATE_MIME]["state"]
    assert any(state["state"].get("head") == 2 for state in states.values())

    found = write_report(saved, tmp_path / "lab.html")
    assert (found.views, found.placeholders) == (1, 0)
    session, report = open_report(offline, tmp_path / "lab.html")
    assert report.evaluate(VIEWS_PAINTED) == [True]
    view = report.locator(".mi-attention-view")
    assert (view.get_attribute("data-painted-layer"), view.get_attribute("data-painted-head")) == (
        "1",
        "2",
    ), "the selection saved with the widget state, not the one at display time"
    assert session.requests == [] and session.errors == [] and notebook.errors == []
