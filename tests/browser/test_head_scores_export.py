"""The exported HeadScoresView (linked with an AttentionView) in Chromium, network blocked."""

from __future__ import annotations

import json
import pathlib
import re
import struct

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.pixels import canvas_rgba, luminance, probability_colors

pytestmark = pytest.mark.browser

L, H, N = 3, 5, 6
NAMES = ("previous_token", "induction", "duplicate_token", "first_token")
VIEW = ".mi-head-scores-view"
READY = f"{VIEW}[data-ready='true']"
GRID = ".mi-score-grid"
ATTENTION = ".mi-attention-view"
_GRID_TS = pathlib.Path(__file__).resolve().parents[2] / "js" / "src" / "head_scores" / "grid.ts"


def nan_colors(dark: bool) -> set[tuple[int, int, int]]:
    """The two colours of a NaN cell's hatch, read from ``js/src/head_scores/grid.ts``."""
    name = "NAN_DARK" if dark else "NAN_LIGHT"
    block = re.search(name + r"[^=]*=\s*\[(.*?)\];", _GRID_TS.read_text(), re.S).group(1)
    return {tuple(int(c) for c in rgb) for rgb in re.findall(r"\[(\d+), (\d+), (\d+)\]", block)}


def lut_index(values: np.ndarray) -> np.ndarray:
    """The colour-map entry of each value, as the page computes it (round half up)."""
    return np.clip(np.floor(values.astype(np.float64) * 255 + 0.5), 0, 255).astype(int)


def known_scores() -> mw.HeadScores:
    """Distinct values per head and score (no value on a rounding tie), a few NaN."""
    rng = np.random.default_rng(11)
    values = {}
    for name in NAMES:
        steps = rng.permutation(L * H).reshape(L, H)
        values[name] = ((steps * 17 % 256 + 0.25) / 255).astype(np.float32)
    values["induction"][2, 4] = 0.98
    values["induction"][1, 3] = np.nan
    values["duplicate_token"][0, :2] = np.nan
    return mw.HeadScores(values, layers=(0, 1, 2), source="known scores")


def attention_pattern() -> np.ndarray:
    """``[L, H, N, N]``: head h of every layer attends from q to ``max(q - h, 0)``."""
    pattern = np.zeros((L, H, N, N), dtype=np.float32)
    for h in range(H):
        pattern[:, h, np.arange(N), np.maximum(np.arange(N) - h, 0)] = 1
    return pattern


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """One linked report per theme (score grid first, then the attention view)."""
    folder = tmp_path_factory.mktemp("head_scores")
    paths = {}
    for theme in ("light", "dark"):
        attention = mw.AttentionView(attention=attention_pattern(), tokens=list("abcdef"))
        view = mw.HeadScoresView(known_scores(), score="induction", attention=attention)
        paths[theme] = mw.to_html([view, attention], folder / f"{theme}.html", theme=theme)
    return paths


def open_report(offline, reports, theme="light"):
    session = offline(theme)
    page = session.open(reports[theme], ready=READY)
    page.wait_for_selector(f"{ATTENTION}[data-ready='true']")
    return session, page


def grid_colors(page) -> np.ndarray:
    """RGB at the centre of every cell of the score grid: ``[L, H, 3]``."""
    rgba = canvas_rgba(page, GRID)
    rows = ((np.arange(L) + 0.5) * rgba.shape[0] / L).astype(int)
    cols = ((np.arange(H) + 0.5) * rgba.shape[1] / H).astype(int)
    return rgba[rows[:, None], cols[None, :], :3].astype(int)


def cell_point(page, layer: int, head: int) -> tuple[float, float]:
    box = page.locator(GRID).bounding_box()
    return box["x"] + (head + 0.5) * box["width"] / H, box["y"] + (layer + 0.5) * box["height"] / L


def selected(page) -> str:
    return page.locator(VIEW).get_attribute("data-selected")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_grid_pixels_are_the_colour_map_of_the_scores(offline, reports, theme):
    session, page = open_report(offline, reports, theme)
    dark = theme == "dark"
    colors = probability_colors(dark)
    scores = known_scores()
    for name in ("induction", "previous_token", "duplicate_token"):
        if name != "induction":
            page.locator(".mi-score-select").select_option(name)
            page.wait_for_selector(f"{VIEW}[data-painted-score='{name}']")
        values = scores[name]
        shown = grid_colors(page)
        finite = ~np.isnan(values)
        np.testing.assert_array_equal(shown[finite], colors[lut_index(values[finite])])
        rgba = canvas_rgba(page, GRID)
        cell = rgba.shape[0] // L
        for layer, head in np.argwhere(~finite):
            block = rgba[layer * cell : (layer + 1) * cell, head * cell : (head + 1) * cell, :3]
            hatch = {tuple(int(c) for c in px) for px in block.reshape(-1, 3)}
            assert hatch == nan_colors(dark), f"NaN at L{layer}H{head} is hatched grey"
    bar = canvas_rgba(page, ".mi-score-legend-bar")
    np.testing.assert_array_equal(bar[5, :, :3], colors, "the legend is the colour map, 0 to 1")
    assert page.locator(".mi-score-legend-na").is_visible(), "duplicate_token has NaN"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert (sum(channels) / 3 < 80) == dark, background
    title = page.locator(f"{VIEW} .mi-title")
    assert (
        luminance(np.array(_rgb(title.evaluate("e => getComputedStyle(e).color")))) > 128
    ) == dark
    assert session.requests == [] and session.errors == []


def _rgb(css: str) -> list[int]:
    return [int(float(c)) for c in re.findall(r"[\d.]+", css)[:3]]


def test_tooltip_shows_every_score_of_the_head_exactly(offline, reports):
    _, page = open_report(offline, reports)
    scores = known_scores()
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    for layer, head in [(0, 0), (1, 3), (2, 4), (0, 1)]:
        page.mouse.move(*cell_point(page, layer, head))
        tooltip.wait_for(state="visible")
        page.wait_for_function(
            "([l, h]) => { const t = document.querySelector('.mi-head-scores-view .mi-tooltip');"
            " return t.dataset.layer === String(l) && t.dataset.head === String(h); }",
            arg=[layer, head],
        )
        text = tooltip.text_content()
        assert text.startswith(f"layer {layer} · head {head}")
        sent = json.loads(tooltip.get_attribute("data-values"))
        for name in NAMES:
            value = scores[name][layer, head]
            if np.isnan(value):
                assert sent[name] is None
                assert re.search(rf"{name.split('_')[0]}[^\n]*n/a", text), (name, text)
            else:
                assert np.float32(sent[name]) == value, "float32 arrives exactly"
                assert f"{value:.4f}" in text, (name, text)
        assert "▸ induction" in text
    page.mouse.move(5, 5)
    tooltip.wait_for(state="hidden")


def test_click_and_keys_select_a_head_and_the_linked_view_follows(offline, reports):
    session, page = open_report(offline, reports)
    assert selected(page) == "2,4", "the best induction head is selected first"
    page.mouse.click(*cell_point(page, 1, 2))
    page.wait_for_selector(f"{VIEW}[data-selected='1,2']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='1'][data-painted-head='2']")
    page.locator(VIEW).focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "ArrowLeft"):
        page.keyboard.press(key)
    page.wait_for_selector(f"{VIEW}[data-selected='2,3']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='2'][data-painted-head='3']")
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_selector(f"{VIEW}[data-painted-score='duplicate_token']")
    assert page.locator(".mi-score-select").input_value() == "duplicate_token"
    page.keyboard.press("Enter")
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.text_content().startswith("layer 2 · head 3")
    page.keyboard.press("Escape")
    tooltip.wait_for(state="hidden")
    # the other way: choose a head in the attention view, the grid selection moves
    page.locator(f"{ATTENTION} .mi-head-thumb[data-head='0']").click()
    page.wait_for_selector(f"{VIEW}[data-selected='2,0']")
    page.locator(f"{ATTENTION} .mi-layer-select").select_option("0")
    page.wait_for_selector(f"{VIEW}[data-selected='0,0']")
    assert session.requests == [] and session.errors == []


def test_save_png_downloads_the_grid(offline, reports):
    _, page = open_report(offline, reports)
    with page.expect_download() as download_info:
        page.locator(f"{VIEW} .mi-save-png").click()
    download = download_info.value
    assert download.suggested_filename == "head-scores-induction-L2-H4.png"
    data = pathlib.Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 200


def linked_text_scores() -> mw.HeadScores:
    """The scores of the attention view's text, as the exported view computed them."""
    attention = mw.AttentionView(attention=attention_pattern(), tokens=list("abcdef"))
    return mw.HeadScoresView(known_scores(), attention=attention).text_scores


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_switch_shows_the_scores_of_the_text(offline, reports, theme, tmp_path):
    session, page = open_report(offline, reports, theme)
    colors = probability_colors(theme == "dark")
    text = linked_text_scores()
    title = page.locator(f"{VIEW} .mi-title")
    assert title.text_content().startswith("Scores: known scores, not the text shown.")
    switch = page.locator(f"{VIEW} .mi-source-switch")
    assert switch.is_visible() and switch.get_attribute("role") == "radiogroup"
    assert switch.inner_text().split() == ["Scores", "on:", "given", "scores", "this", "text"]
    page.locator(".mi-score-select").select_option("previous_token")
    page.wait_for_selector(f"{VIEW}[data-painted-score='previous_token']")
    given = grid_colors(page)
    page.locator(f"{VIEW} .mi-source-option", has_text="this text").click()
    page.wait_for_selector(f"{VIEW}[data-painted-source='text']")
    shown = grid_colors(page)
    expected = colors[lut_index(text["previous_token"])]
    np.testing.assert_array_equal(shown, expected, "the grid is the text's previous-token score")
    assert not np.array_equal(shown, given)
    assert title.text_content() == f"Scores: {text.source}."
    assert page.locator(f"{VIEW} .mi-source-radio[value='text']").is_checked()
    page.locator(f"{VIEW}").screenshot(path=tmp_path / f"switch-{theme}.png")
    # keyboard: the checked option takes focus, an arrow key chooses the other
    page.locator(f"{VIEW} .mi-source-radio[value='text']").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector(f"{VIEW}[data-painted-source='given']")
    np.testing.assert_array_equal(grid_colors(page), given)
    assert title.text_content().startswith("Scores: known scores, not the text shown.")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"{VIEW}[data-painted-source='text']")
    assert session.requests == [] and session.errors == []


def test_selection_and_link_work_on_the_text_scores(offline, reports):
    session, page = open_report(offline, reports)
    text = linked_text_scores()
    page.locator(f"{VIEW} .mi-source-option", has_text="this text").click()
    page.wait_for_selector(f"{VIEW}[data-painted-source='text']")
    page.locator(".mi-score-select").select_option("previous_token")
    page.mouse.click(*cell_point(page, 1, 1))
    page.wait_for_selector(f"{VIEW}[data-selected='1,1']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='1'][data-painted-head='1']")
    value = float(text["previous_token"][1, 1])
    selection = page.locator(f"{VIEW} .mi-selection").text_content()
    assert f"previous token {value:.4f}" in selection
    page.mouse.move(*cell_point(page, 1, 1))
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    tooltip.wait_for(state="visible")
    sent = json.loads(tooltip.get_attribute("data-values"))
    assert np.float32(sent["previous_token"]) == np.float32(value), "the tooltip reads the text"
    assert session.requests == [] and session.errors == []
