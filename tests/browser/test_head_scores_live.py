"""HeadScoresView linked with an AttentionView in a live JupyterLab (one notebook for all)."""

from __future__ import annotations

import pytest

from tests.browser.harness import LiveNotebook
from tests.browser.pixels import canvas_rgba, cell_colors, luminance

pytestmark = pytest.mark.browser

L, H, N = 3, 4, 6
SETUP = f"""
import numpy as np
from IPython.display import display
import mi_widgets as mw
L, H, N = {L}, {H}, {N}
attention = np.zeros((L, H, N, N), dtype=np.float32)
for h in range(H):  # head h attends from q to max(q - h, 0)
    attention[:, h, np.arange(N), np.maximum(np.arange(N) - h, 0)] = 1
rng = np.random.default_rng(0)
names = ["previous_token", "induction", "duplicate_token", "first_token"]
scores = mw.HeadScores({{n: rng.uniform(0, 1, (L, H)) for n in names}}, source="live scores")
attention_view = mw.AttentionView(attention=attention, tokens=list("abcdef"))
scores_view = mw.HeadScoresView(scores, attention=attention_view, layer=0, head=0)
display(scores_view)
display(attention_view)
"""
VIEW = ".mi-head-scores-view"
ATTENTION = ".mi-attention-view"
GRID = ".mi-score-grid"
BOTH = "(scores_view.layer, scores_view.head, attention_view.layer, attention_view.head)"


@pytest.fixture(scope="module")
def notebook(browser, jupyterlab):
    nb = LiveNotebook(browser, jupyterlab, "head_scores_live.ipynb", [SETUP])
    try:
        nb.page.wait_for_selector(f"{VIEW}[data-ready='true']", timeout=90_000)
        nb.page.wait_for_selector(f"{ATTENTION}[data-ready='true']", timeout=30_000)
    except Exception as error:
        outputs = nb.page.locator(".jp-OutputArea-output").all_text_contents()
        nb.close()
        raise AssertionError(f"the views did not show; cell outputs: {outputs}") from error
    yield nb
    nb.close()


def cell_point(page, layer: int, head: int) -> tuple[float, float]:
    box = page.locator(GRID).bounding_box()
    return box["x"] + (head + 0.5) * box["width"] / H, box["y"] + (layer + 0.5) * box["height"] / L


def test_a_click_in_the_grid_reaches_the_kernel_and_the_attention_view(notebook):
    page = notebook.page
    page.mouse.click(*cell_point(page, 2, 3))
    notebook.wait_for_kernel_value(BOTH, "(2, 3, 2, 3)")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='2'][data-painted-head='3']")
    colors = cell_colors(canvas_rgba(page, ".mi-heatmap-main"), N)
    assert luminance(colors[5, 2]) < luminance(colors[5, 5]) - 100, "head 3: query 5 -> key 2"
    page.locator(VIEW).focus()
    page.keyboard.press("ArrowLeft")
    notebook.wait_for_kernel_value(BOTH, "(2, 2, 2, 2)")
    page.wait_for_selector(f"{ATTENTION}[data-painted-head='2']")
    page.locator(".mi-score-select").select_option("previous_token")
    notebook.wait_for_kernel_value("scores_view.score", "previous_token")
    assert notebook.errors == []


def test_python_changes_move_the_grid_selection(notebook):
    page = notebook.page
    notebook.run("attention_view.head = 1")
    page.wait_for_selector(f"{VIEW}[data-selected$=',1']")
    notebook.run("attention_view.layer = 0")
    page.wait_for_selector(f"{VIEW}[data-selected='0,1']")
    assert notebook.run("print(scores_view.layer, scores_view.head)").strip() == "0 1"
    notebook.run("scores_view.score = 'first_token'")
    page.wait_for_selector(f"{VIEW}[data-painted-score='first_token']")
    assert page.locator(".mi-score-select").input_value() == "first_token"
    notebook.run("scores_view.links[0].unlink(); attention_view.head = 3")
    page.wait_for_selector(f"{ATTENTION}[data-painted-head='3']")
    assert page.locator(VIEW).get_attribute("data-selected") == "0,1", "unlinked: the grid stays"
    assert notebook.errors == []


def test_the_scores_on_switch_works_both_ways(notebook):
    page = notebook.page
    title = page.locator(f"{VIEW} .mi-title")
    assert title.text_content().startswith("Scores: live scores, not the text shown.")
    page.locator(f"{VIEW} .mi-source-option", has_text="this text").click()
    notebook.wait_for_kernel_value("scores_view.scores_on", "text")
    page.wait_for_selector(f"{VIEW}[data-painted-source='text']")
    assert title.text_content() == notebook.run("print(scores_view.text_title)").strip()
    assert "the attention view's text of 6 tokens" in title.text_content()
    notebook.run("scores_view.scores_on = 'given'")
    page.wait_for_selector(f"{VIEW}[data-painted-source='given']")
    assert page.locator(f"{VIEW} .mi-source-radio[value='given']").is_checked()
    assert title.text_content().startswith("Scores: live scores, not the text shown.")
    page.locator(f"{VIEW} .mi-source-radio[value='given']").focus()
    page.keyboard.press("ArrowRight")
    notebook.wait_for_kernel_value("scores_view.scores_on", "text")
    assert notebook.errors == []
