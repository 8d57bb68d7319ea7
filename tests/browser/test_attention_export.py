"""The exported AttentionView in Chromium with every network request aborted."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pixels import (
    canvas_rgba,
    cell_center,
    cell_colors,
    luminance,
    probability_colors,
)
from tests.conftest import HOSTILE_TOKENS, identity_attention, random_causal_attention

pytestmark = pytest.mark.browser

MAIN = ".mi-heatmap-main"


def export(
    tmp_path, name="view.html", theme="light", max_bytes=mw.export.html.DEFAULT_MAX_BYTES, **kwargs
):
    path = tmp_path / name
    mw.to_html(mw.AttentionView(**kwargs), path, theme=theme, max_bytes=max_bytes)
    return path


def previous_token_attention(n_heads: int, n: int) -> np.ndarray:
    """Each query attends to the token before it (the first to itself): ``[head, N, N]``."""
    pattern = np.zeros((n, n), dtype=np.float32)
    pattern[np.arange(n), np.maximum(np.arange(n) - 1, 0)] = 1
    return np.broadcast_to(pattern, (n_heads, n, n)).copy()


def test_identity_attention_paints_a_hot_diagonal_offline(offline, tmp_path):
    n = 8
    path = export(
        tmp_path, attention=identity_attention(2, 3, n), tokens=[f"t{i}" for i in range(n)]
    )
    session = offline()
    page = session.open(path)
    colors = cell_colors(canvas_rgba(page, MAIN), n)
    diagonal = colors[np.arange(n), np.arange(n)]
    off = colors[~np.eye(n, dtype=bool)]
    assert (diagonal == diagonal[0]).all(), "every diagonal cell has the colour of 1.0"
    assert (off == off[0]).all(), "every other cell has the colour of 0.0"
    assert luminance(diagonal[0]) < luminance(off[0]) - 100, "1.0 is much darker than 0 in light"
    thumbnails = page.locator(".mi-head-thumb")
    assert thumbnails.count() == 3
    for h in range(3):
        thumb = cell_colors(canvas_rgba(page, f".mi-head-thumb[data-head='{h}']"), n)
        assert (thumb[np.arange(n), np.arange(n)] == diagonal[0]).all()
    assert session.requests == [] and session.errors == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_cell_has_the_exact_colour_of_its_value(offline, tmp_path, theme):
    n = 24
    attention = random_causal_attention(1, 2, n, seed=3)
    path = export(tmp_path, theme=theme, attention=attention, tokens=[str(i) for i in range(n)])
    page = offline().open(path)
    colors = cell_colors(canvas_rgba(page, MAIN), n)
    expected = probability_colors(dark=theme == "dark")[np.rint(attention[0, 0] * 255).astype(int)]
    np.testing.assert_array_equal(colors, expected)


def test_tooltip_shows_the_values_sent_through_the_browser(offline, tmp_path):
    n = 12
    attention = random_causal_attention(2, 4, n, seed=1)
    tokens = [f"tok{i}" for i in range(n)]
    page = offline().open(export(tmp_path, attention=attention, tokens=tokens, head=2))
    tooltip = page.locator(".mi-tooltip")
    for q, k in [(0, 0), (5, 2), (11, 7), (11, 11), (3, 9)]:
        page.mouse.move(*cell_center(page, MAIN, n, q, k))
        expected = np.rint(attention[0, 2, q, k] * 255) / 255
        tooltip.wait_for(state="visible")
        text = tooltip.text_content()
        assert f"tok{q}" in text and f"tok{k}" in text
        assert f"{expected:.4f}" in text, (q, k, text)


def test_float32_precision_shows_exact_values(offline, tmp_path):
    n = 6
    attention = random_causal_attention(1, 1, n, seed=2)
    page = offline().open(
        export(tmp_path, attention=attention, tokens=list("abcdef"), precision="float32")
    )
    page.mouse.move(*cell_center(page, MAIN, n, 4, 1))
    assert f"{attention[0, 0, 4, 1]:.4f}" in page.locator(".mi-tooltip").text_content()


def test_click_locks_a_query_and_colours_the_strip(offline, tmp_path):
    n = 6
    attention = previous_token_attention(2, n)
    page = offline().open(export(tmp_path, attention=attention, tokens=list("abcdef")))
    page.mouse.click(*cell_center(page, MAIN, n, 4, 0))
    page.mouse.move(10, 10)
    strip = page.locator(".mi-token-strip .mi-token")
    backgrounds = [
        strip.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(n)
    ]
    assert backgrounds[3] != backgrounds[0], "query 4 attends to key 3 only"
    assert len({backgrounds[i] for i in (0, 1, 2, 4, 5)}) == 1
    page.keyboard.press("Escape")
    after = [strip.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(n)]
    assert after[3] == after[0], "Escape unlocks and clears the strip"


def test_keyboard_moves_head_and_layer(offline, tmp_path):
    n = 5
    attention = np.stack([identity_attention(1, 3, n)[0], previous_token_attention(3, n)])
    page = offline().open(export(tmp_path, attention=attention, tokens=list("abcde")))
    root = page.locator(".mi-attention-view")
    root.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(".mi-attention-view[data-painted-head='1']")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector(".mi-attention-view[data-painted-layer='1']")
    colors = cell_colors(canvas_rgba(page, MAIN), n)
    assert luminance(colors[3, 2]) < luminance(colors[3, 3]) - 100, "layer 1 is previous-token"
    page.locator(".mi-head-thumb[data-head='2']").click()
    page.wait_for_selector(".mi-attention-view[data-painted-head='2']")
    assert page.locator(".mi-layer-select").input_value() == "1"


def test_layers_past_the_budget_are_marked_missing(offline, tmp_path):
    n = 16
    attention = random_causal_attention(3, 2, n)
    path = export(tmp_path, attention=attention, tokens=[str(i) for i in range(n)], max_bytes=300)
    page = offline().open(path)
    page.locator(".mi-layer-select").select_option("2")
    missing = page.locator(".mi-missing")
    missing.wait_for(state="visible")
    assert "not embedded" in missing.text_content()


def test_save_png_downloads_the_picture(offline, tmp_path):
    n = 10
    page = offline().open(
        export(tmp_path, attention=identity_attention(1, 2, n), tokens=list("abcdefghij"))
    )
    with page.expect_download() as download_info:
        page.locator(".mi-save-png").click()
    png = tmp_path / "saved.png"
    download_info.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 100 and height >= 100


def test_hostile_tokens_show_literally_and_run_nothing(offline, tmp_path):
    tokens = HOSTILE_TOKENS
    n = len(tokens)
    session = offline()
    page = session.open(export(tmp_path, attention=random_causal_attention(1, 2, n), tokens=tokens))
    view = page.locator(".mi-attention-view")
    assert view.locator("img, script, iframe, object").count() == 0
    strip = page.locator(".mi-token-strip .mi-token")
    assert strip.count() == n
    shown = [strip.nth(i).text_content() for i in range(n)]
    assert shown[0] == "<script>alert(1)</script>"
    assert shown[1] == "<img src=x onerror=alert(1)>"
    assert shown[2] == "&amp;" and shown[3] == '"quotes"'
    assert shown[7] == "🦄" and shown[8] == "שלום"
    assert shown[6] != "", "the empty token is visible"
    assert session.dialogs == [] and session.errors == [] and session.requests == []
    page.mouse.move(*cell_center(page, MAIN, n, 1, 0))
    assert "<script>alert(1)</script>" in page.locator(".mi-tooltip").text_content()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_themes_paint_readable_colours(offline, tmp_path, theme):
    n = 14
    tokens = [
        "When",
        "Mary",
        "and",
        "John",
        "went",
        "to",
        "the",
        "store",
        ",",
        "John",
        "gave",
        "a",
        "drink",
        "to",
    ][:n]
    tokens += [f"x{i}" for i in range(n - len(tokens))]
    path = export(
        tmp_path, theme=theme, attention=random_causal_attention(2, 4, n, seed=5), tokens=tokens
    )
    page = offline("dark" if theme == "dark" else "light").open(path)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [
        int(c) for c in background[background.index("(") + 1 : background.index(")")].split(",")[:3]
    ]
    assert (sum(channels) / 3 < 80) == (theme == "dark"), background
    colors = cell_colors(canvas_rgba(page, MAIN), n)
    zero = colors[0, n - 1]
    if theme == "dark":
        assert luminance(zero) < 80, "empty cells stay dark on a dark page"
    else:
        assert luminance(zero) > 200, "empty cells stay light on a light page"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(*cell_center(page, MAIN, n, 9, 3))
    page.screenshot(path=str(SCREENSHOTS / f"attention_export_{theme}.png"), full_page=True)
