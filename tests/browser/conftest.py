"""One Chromium and one JupyterLab server shared by every browser test."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from tests.browser.harness import (
    JupyterLab,
    LiveNotebook,
    Notebook7,
    OfflinePage,
    launch_chromium,
)

SCREENSHOTS = pathlib.Path(__file__).resolve().parents[1] / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def offline(browser) -> Iterator[callable]:
    """Factory of offline pages; closes them after the test."""
    pages: list[OfflinePage] = []

    def make(color_scheme: str = "light") -> OfflinePage:
        pages.append(OfflinePage(browser, color_scheme))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory) -> Iterator[JupyterLab]:
    server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory) -> Iterator[Notebook7]:
    """A Jupyter Notebook 7 server, started on first use."""
    server = Notebook7(tmp_path_factory.mktemp("notebook7"))
    yield server
    server.stop()


def notebook_with_views(
    browser, jupyterlab: JupyterLab, name: str, cells: list[str], views: list[str]
) -> LiveNotebook:
    """Open a notebook, run its cells and wait until every view (a root selector) is ready;
    when one does not show, close it and fail with the cells' outputs."""
    notebook = LiveNotebook(browser, jupyterlab, name, cells)
    try:
        for view in views:
            notebook.page.wait_for_selector(f"{view}[data-ready='true']", timeout=90_000)
    except Exception as error:
        outputs = notebook.page.locator(".jp-OutputArea-output").all_text_contents()
        notebook.close()
        raise AssertionError(f"the views did not show; cell outputs: {outputs}") from error
    return notebook


@pytest.fixture
def live_notebook(browser, jupyterlab):
    notebooks: list[LiveNotebook] = []

    def open_notebook(name: str, cells: list[str]) -> LiveNotebook:
        notebooks.append(LiveNotebook(browser, jupyterlab, name, cells))
        return notebooks[-1]

    yield open_notebook
    for notebook in notebooks:
        notebook.close()
