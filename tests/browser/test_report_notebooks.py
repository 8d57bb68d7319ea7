"""Every teaching notebook's report, built from the notebook executed once per session (shared
with tests/test_notebooks.py), opened in Chromium with every network request aborted: every
view on the page is drawn."""

from __future__ import annotations

import pytest

from mi_widgets.export.report import report_html
from tests.browser.test_report_export import ALL_PAINTED, open_report
from tests.conftest import NOTEBOOKS

pytestmark = pytest.mark.browser


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_teaching_notebook_report_draws_every_view_offline(
    path, executed_notebook, offline, tmp_path
):
    page_html, found = report_html(executed_notebook(path), directory=path.parent, name=path.stem)
    report = tmp_path / f"{path.stem}.html"
    report.write_text(page_html, encoding="utf-8")
    assert found.placeholders == 0, "every widget of a teaching notebook is drawn"
    assert found.views > 0 and found.omitted == []
    session, page = open_report(offline, report)
    assert page.locator(".mi-widgets-view").count() == found.views
    assert page.locator(".mi-widgets-view .mi-error").count() == 0
    page.wait_for_function(ALL_PAINTED, timeout=30_000)  # every view painted a canvas
    if found.figures:
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot').length >= {found.figures}"
        )
    assert session.requests == [] and session.errors == []
