"""The exported LogitLensView (linked with an AttentionView) in Chromium, network blocked."""

from __future__ import annotations

import json
import pathlib
import struct

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.pixels import canvas_rgba, probability_colors
from tests.conftest import random_causal_attention
from tests.test_lens_view import CANDIDATES, RARE, ROWS, SCRIPT, TOKENS, VALUE, known_lens

pytestmark = pytest.mark.browser

R, N = len(ROWS), len(TOKENS)
VIEW = ".mi-lens-view"
READY = f"{VIEW}[data-ready='true']"
GRID = ".mi-lens-grid"
ATTENTION = ".mi-attention-view"


def lut_index(values: np.ndarray) -> np.ndarray:
    """The colour-map entry of each value, as the page computes it (round half up)."""
    return np.clip(np.floor(values.astype(np.float64) * 255 + 0.5), 0, 255).astype(int)


def ink(background: np.ndarray) -> np.ndarray:
    """The text colour the page writes on ``background`` (``textColorOn`` in colormap.ts)."""
    s = background / 255
    linear = np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4)
    lum = linear @ np.array([0.2126, 0.7152, 0.0722])
    return np.array([17, 17, 17]) if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else np.full(3, 255)


def top1_sent() -> tuple[np.ndarray, np.ndarray]:
    """``[row, pos]`` top-1 candidate and its probability as the page has it (float16)."""
    lens = known_lens()
    top = lens.top[:, :, 0]
    probs = np.take_along_axis(lens.probs, top[..., None], axis=2)[..., 0]
    return top, probs.astype(np.float16).astype(np.float64)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """One linked report per theme (lens first, then the attention view)."""
    folder = tmp_path_factory.mktemp("lens")
    paths = {}
    for theme in ("light", "dark"):
        attention = mw.AttentionView(attention=random_causal_attention(R - 1, 2, N), tokens=TOKENS)
        view = mw.LogitLensView(known_lens(), attention=attention)
        paths[theme] = mw.to_html([view, attention], folder / f"{theme}.html", theme=theme)
    return paths


def open_report(offline, reports, theme="light"):
    session = offline(theme)
    page = session.open(reports[theme], ready=READY)
    page.wait_for_selector(f"{ATTENTION}[data-ready='true']")
    return session, page


def cell_point(page, row: int, position: int) -> tuple[float, float]:
    box = page.locator(GRID).bounding_box()
    return box["x"] + (position + 0.5) * box["width"] / N, box["y"] + (row + 0.5) * box[
        "height"
    ] / R


def selected(page) -> str:
    return page.locator(VIEW).get_attribute("data-selected")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_cells_are_coloured_by_the_top_probability_and_show_the_token(
    offline, reports, theme, tmp_path
):
    session, page = open_report(offline, reports, theme)
    page.wait_for_selector(f"{VIEW}[data-painted-theme='{theme}']")
    rgba = canvas_rgba(page, GRID)
    w, h = rgba.shape[1] // N, rgba.shape[0] // R
    assert (w * N, h * R) == (rgba.shape[1], rgba.shape[0])
    top, probs = top1_sent()
    colors = probability_colors(theme == "dark")[lut_index(probs)]
    for r in range(R):
        for p in range(N):
            block = rgba[r * h : (r + 1) * h, p * w : (p + 1) * w, :3].astype(int)
            np.testing.assert_array_equal(block[2, 2], colors[r, p], f"cell {r},{p}")
            np.testing.assert_array_equal(block[-3, -3], colors[r, p])
            text = np.abs(block - colors[r, p]).sum(-1) > 60
            glyphs = len(CANDIDATES[top[r, p]].strip())
            assert text.sum() >= (2 if glyphs <= 1 else 20), f"the top token is in cell {r},{p}"
            pen = ink(colors[r, p].astype(float))
            towards = np.abs(block[text] - pen).sum(-1).mean() < np.abs(colors[r, p] - pen).sum()
            assert towards, f"cell {r},{p} is written in the ink that reads on its colour"
            assert not text[:2].any() and not text[-2:].any(), "text stays inside its cell"
    bar = canvas_rgba(page, ".mi-lens-legend-bar")
    np.testing.assert_array_equal(bar[5, :, :3], probability_colors(theme == "dark"))
    page.locator(VIEW).screenshot(path=str(tmp_path / f"lens-{theme}.png"))
    assert session.requests == [] and session.errors == []


def test_tooltip_lists_the_top_k_with_their_probabilities(offline, reports):
    session, page = open_report(offline, reports)
    lens = known_lens()
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    for row, position in [(0, 0), (2, 0), (1, 3), (2, 4)]:
        page.mouse.move(*cell_point(page, row, position))
        page.wait_for_function(
            "([r, p]) => { const t = document.querySelector('.mi-lens-view .mi-tooltip');"
            " return !t.hidden && t.dataset.row === String(r) && t.dataset.position === String(p); }",
            arg=[row, position],
        )
        sent = json.loads(tooltip.get_attribute("data-values"))
        expected = lens.top_tokens(row, position)
        assert [token for token, _ in sent] == [token for token, _ in expected]
        for (_, got), (_, want) in zip(sent, expected, strict=True):
            assert got == float(np.float16(want)), "float16 on the wire, shown as sent"
        text = tooltip.text_content()
        assert (
            text.splitlines()[0]
            == f"{ROWS[row]} · {TOKENS[position].replace(chr(10), '↵')}_{position}"
        )
        for j, (token, prob) in enumerate(sent):
            assert f"{j + 1}. {prob:.4f}  {json.dumps(token, ensure_ascii=False)}" in text
    page.mouse.move(1, 1)
    tooltip.wait_for(state="hidden")
    assert session.requests == [] and session.errors == []


def test_hostile_tokens_are_shown_literally(offline, reports):
    session, page = open_report(offline, reports)
    labels = page.locator(f"{VIEW} .mi-lens-columns .mi-lens-label").all_text_contents()
    assert labels[0] == "<script>alert(1)</script>_0" and labels[2] == "&amp;_2"
    assert labels[3] == "↵_3"
    assert page.locator(f"{VIEW} script, {VIEW} img, {VIEW} b").count() == 0
    page.mouse.move(*cell_point(page, 2, 0))
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    tooltip.wait_for(state="visible")
    assert json.loads(tooltip.get_attribute("data-values"))[0][0] == CANDIDATES[SCRIPT]
    assert '"<script>alert(1)</script>"' in tooltip.text_content()
    assert tooltip.locator("*").count() == 0
    assert session.dialogs == [] and session.errors == [] and session.requests == []


def test_keys_move_the_cell_and_the_chart_follows_the_target(offline, reports):
    session, page = open_report(offline, reports)
    lens = known_lens()
    assert selected(page) == f"{R - 1},{N - 1}"
    line = json.loads(page.locator(VIEW).get_attribute("data-line"))
    np.testing.assert_array_equal(line, lens.probs[:, N - 1, VALUE].astype(np.float16))
    page.locator(VIEW).focus()
    for key in ("ArrowLeft", "ArrowLeft", "ArrowUp"):
        page.keyboard.press(key)
    page.wait_for_selector(f"{VIEW}[data-selected='1,2'][data-painted-line='{VALUE}@2']")
    line = json.loads(page.locator(VIEW).get_attribute("data-line"))
    np.testing.assert_array_equal(line, lens.probs[:, 2, VALUE].astype(np.float16))
    page.keyboard.press("Enter")
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.text_content().startswith("L0 · &amp;_2")
    page.keyboard.press("Escape")
    tooltip.wait_for(state="hidden")
    # choose the cell's top-1 as the target: its line at this position
    top1 = int(lens.top[1, 2, 0])
    page.locator(".mi-target-select").select_option(str(top1))
    page.wait_for_selector(f"{VIEW}[data-painted-line='{top1}@2'][data-chart='ready']")
    line = json.loads(page.locator(VIEW).get_attribute("data-line"))
    np.testing.assert_array_equal(line, lens.probs[:, 2, top1].astype(np.float16))
    title = page.locator(".mi-lens-chart-title").text_content()
    assert title == f"P({json.dumps(CANDIDATES[top1])}) per row at &amp;_2"
    chart = canvas_rgba(page, ".mi-lens-chart")
    assert (np.abs(np.diff(chart[..., :3].astype(int), axis=1)).sum(-1) > 100).sum() > 50
    assert session.requests == [] and session.errors == []


def test_a_target_not_embedded_says_so(offline, reports):
    session, page = open_report(offline, reports)
    page.evaluate(
        """(rare) => { const s = document.querySelector('.mi-lens-view .mi-target-select');
        const o = document.createElement('option'); o.value = String(rare); s.appendChild(o);
        s.value = String(rare); s.dispatchEvent(new Event('change')); }""",
        RARE,
    )
    page.wait_for_selector(f"{VIEW}[data-chart='missing']")
    assert "not available" in page.locator(".mi-lens-note").text_content()
    assert session.requests == [] and session.errors == []


def test_cell_selection_and_the_attention_view_follow_each_other(offline, reports):
    session, page = open_report(offline, reports)
    page.mouse.click(*cell_point(page, 1, 3))
    page.wait_for_selector(f"{VIEW}[data-selected='1,3']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='0']")
    page.wait_for_selector(f"{ATTENTION} .mi-token.mi-query[data-index='3']")
    page.mouse.click(*cell_point(page, 0, 1))  # embed: the attention layer stays
    page.wait_for_selector(f"{ATTENTION} .mi-token.mi-query[data-index='1']")
    assert page.locator(ATTENTION).get_attribute("data-painted-layer") == "0"
    page.locator(f"{ATTENTION} .mi-layer-select").select_option("1")
    page.wait_for_selector(f"{VIEW}[data-selected='2,1']")
    page.locator(f"{ATTENTION} .mi-token[data-index='4']").click()
    page.wait_for_selector(f"{VIEW}[data-selected='2,4']")
    assert session.requests == [] and session.errors == []


def test_save_png_downloads_grid_and_chart(offline, reports):
    _, page = open_report(offline, reports)
    with page.expect_download() as download_info:
        page.locator(f"{VIEW} .mi-save-png").click()
    download = download_info.value
    assert download.suggested_filename == f"logit-lens-L1-{N - 1}.png"
    data = pathlib.Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 2 * 420 and height >= 2 * (R * 22 + 220)
