"""Notebook reports (`mi-widgets report`, `jupyter nbconvert --to mi_html`) opened from disk
in Chromium with every network request aborted."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import numpy as np
import pytest

from mi_widgets.cli import main
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pixels import canvas_rgba, cell_colors

pytestmark = pytest.mark.browser

CELLS = [
    "# A report\n\nText *between* the views, and a token that must stay text: `<b>x</b>`.",
    """import torch, mi_widgets as mw, plotly.graph_objects as go, plotly.io as pio
torch.manual_seed(0)
scores = torch.randn(2, 3, 7, 7).masked_fill(torch.ones(7, 7).triu(1).bool(), float("-inf"))
attention = mw.AttentionView(attention=scores.softmax(-1), tokens=["<b>x</b>", *"abcdef"], layer=1, head=2)
grid = mw.HeadScoresView({"induction": torch.arange(6.0).reshape(2, 3) / 6}, attention=attention)
print("two views")
grid""",
    "attention",
    "go.FigureWidget(data=[go.Bar(y=[1, 3, 2])], layout={'title': {'text': 'a FigureWidget'}})",
    "pio.renderers.default = 'plotly_mimetype'\ngo.Figure(go.Scatter(y=[3, 1, 2]), layout={'title': {'text': 'a go.Figure'}})",
    "import ipywidgets\nipywidgets.IntSlider(3)",
]

#: Canvases of every view in the page: for each view, whether one of them has more than one colour.
VIEWS_PAINTED = """() => [...document.querySelectorAll('.mi-widgets-view')].map((view) =>
  [...view.querySelectorAll('canvas')].some((canvas) => {
    if (!canvas.width || !canvas.height) return false;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 4; i < data.length; i += 4)
      if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) return true;
    return false;
  }))"""

#: True once every view has painted one of its canvases (some views paint after they are ready).
ALL_PAINTED = f"() => ({VIEWS_PAINTED})().every(Boolean)"


def open_report(offline, path, color_scheme="light"):
    """Open a report offline; wait until every view is ready; returns the session and page."""
    session = offline(color_scheme)
    page = session.open(path, ready=".mi-widgets-view")
    n_views = page.locator(".mi-widgets-view").count()
    page.wait_for_function(
        f"document.querySelectorAll(\".mi-widgets-view [data-ready='true']\").length >= {n_views}",
        timeout=60_000,
    )
    return session, page


def write_notebook(path, cells):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(source) if i == 0 else nbformat.v4.new_code_cell(source)
            for i, source in enumerate(cells)
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook executed headless by `mi-widgets report --execute`, and its report."""
    directory = tmp_path_factory.mktemp("report")
    write_notebook(directory / "views.ipynb", CELLS)
    report = directory / "views.html"
    assert main(["report", str(directory / "views.ipynb"), "-o", str(report), "--execute"]) == 0
    return directory, report


def test_report_of_an_executed_notebook_draws_every_view_offline(offline, executed):
    session, page = open_report(offline, executed[1])
    assert page.locator(".mi-widgets-view").count() == 2
    assert page.evaluate(VIEWS_PAINTED) == [True, True]
    pattern = canvas_rgba(page, ".mi-attention-view canvas.mi-heatmap-main")
    assert len(np.unique(pattern.reshape(-1, 4), axis=0)) > 3
    assert page.locator(".jp-RenderedMarkdown h1").text_content().startswith("A report")
    assert page.locator("code", has_text="<b>x</b>").count() == 1
    assert page.locator(".mi-attention-view b").count() == 0, "tokens are text, never HTML"
    stdout = page.locator(".jp-RenderedText pre", has_text="two views")
    assert stdout.count() == 1, "ordinary outputs are kept"
    assert page.locator(".mi-attention-view").get_attribute("data-painted-head") == "2"
    # the link between the grid and the attention view holds in the page
    grid = page.locator(".mi-score-grid").bounding_box()
    page.mouse.click(grid["x"] + grid["width"] / 6, grid["y"] + grid["height"] / 4)
    page.wait_for_selector(".mi-attention-view[data-painted-layer='0'][data-painted-head='0']")
    # plotly figures (a FigureWidget from the saved widget state, a go.Figure) are drawn
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
    titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
    assert titles == ["a FigureWidget", "a go.Figure"]
    assert page.locator(".js-plotly-plot .point").count() >= 3
    note = page.locator(".mi-widgets-placeholder")
    assert note.count() == 1 and "IntSliderModel" in note.text_content() and note.is_visible()
    assert session.requests == [] and session.errors == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "notebook_report_light.png"), full_page=True)


def test_dark_report_and_nbconvert_entry_point(offline, executed):
    directory, _ = executed
    done = subprocess.run(
        [
            sys.executable,  # this environment's nbconvert, not a `jupyter-nbconvert` on PATH
            "-m",
            "nbconvert",
            "--to",
            "mi_html",
            "--execute",
            "--HTMLExporter.theme=dark",
            "--output",
            "dark",
            str(directory / "views.ipynb"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    session, page = open_report(offline, directory / "dark.html", color_scheme="dark")
    assert page.evaluate(VIEWS_PAINTED) == [True, True]
    assert page.locator("body").get_attribute("data-jp-theme-light") == "false"
    zero = cell_colors(canvas_rgba(page, ".mi-attention-view canvas.mi-heatmap-main"), 7)[0, 6]
    assert zero.mean() < 80, "attention 0 (above the diagonal) in the dark theme's colour"
    assert session.requests == [] and session.errors == []
    page.screenshot(path=str(SCREENSHOTS / "notebook_report_dark.png"), full_page=True)


def test_a_notebook_without_saved_views_shows_notes_not_blanks(offline, tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "view",
                outputs=[
                    nbformat.v4.new_output(
                        "display_data",
                        data={
                            "application/vnd.jupyter.widget-view+json": {
                                "model_id": "gone",
                                "version_major": 2,
                                "version_minor": 0,
                            },
                            "text/plain": "AttentionView(...)",
                        },
                    )
                ],
            )
        ]
    )
    nbformat.write(notebook, tmp_path / "unsaved.ipynb")
    assert main(["report", str(tmp_path / "unsaved.ipynb")]) == 0
    session = offline()
    page = session.open(tmp_path / "unsaved.html", ready=".mi-widgets-placeholder")
    assert (
        "neither its state nor an offline snapshot was saved"
        in page.locator(".mi-widgets-placeholder").text_content()
    )
    assert session.requests == [] and session.errors == []
