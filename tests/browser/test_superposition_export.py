"""The exported SuperpositionView in Chromium with every network request aborted: the columns
of W, the norms and the interference WᵀW of a known model are drawn exactly; hover, click,
keys and the sparsity selector work; PNG saves."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.pixels import canvas_rgba, expected_colors
from tests.browser.test_probe_export import class_colors, frame

pytestmark = pytest.mark.browser

VIEW = ".mi-superposition-view"
READY = f"{VIEW}[data-ready='true']"
VECTORS = "canvas.mi-toy-vectors"
BARS = "canvas.mi-toy-bars"
HEAT = "canvas.mi-toy-interference"
N = 5


def known_toy() -> mw.ToySuperposition:
    """Sparsity 0: features 0 and 1 on the axes, the rest dropped; 0.95: a unit pentagon."""
    angles = 2 * np.pi * np.arange(N) / N + 0.3
    pentagon = np.stack([np.cos(angles), np.sin(angles)])
    dense = np.zeros((2, N))
    dense[0, 0], dense[1, 1] = 1.0, 0.9
    return mw.ToySuperposition(
        sparsities=np.array([0.0, 0.95]),
        importance=0.9 ** np.arange(N),
        W=np.stack([dense, pentagon]),
        b=np.zeros((2, N)),
        loss=np.array([0.2, 0.01]),
        steps=0,
        seed=0,
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("superposition")
    return {
        theme: mw.to_html(mw.SuperpositionView(known_toy()), folder / f"{theme}.html", theme=theme)
        for theme in ("light", "dark")
    }


def open_report(offline, reports, theme="light"):
    session = offline(theme)
    return session, session.open(reports[theme], ready=READY)


def tips(toy: mw.ToySuperposition, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Canvas pixels of the tips of W's columns (the frame is ±1.2: the longest column is 1)."""
    to_pixel = frame(260, 242, (48, 10, 10, 30), (-1.2, 1.2), (-1.2, 1.2))
    w = toy.W[s].astype(np.float32)
    return to_pixel(w[0], w[1])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_panels_draw_the_known_model(offline, reports, theme):
    session, page = open_report(offline, reports, theme)
    toy = known_toy()
    dark = theme == "dark"
    colors = class_colors(dark)
    for s in (1, 0):
        if s == 0:
            page.locator(".mi-toy-sparsity").select_option("0")
            page.wait_for_selector(f"{VIEW}[data-painted-sparsity='0']")
        vectors = canvas_rgba(page, VECTORS)
        xs, ys = tips(toy, s)
        for i in range(N):
            if toy.norms[s, i] > 0.5:
                assert tuple(vectors[int(ys[i]), int(xs[i]), :3]) == colors[i], f"tip of {i}"
        # bars: the middle of each represented feature's bar is its colour (y from 0 to 1.2)
        bars = canvas_rgba(page, BARS)
        to_pixel = frame(280, 200, (48, 10, 10, 30), (-0.5, N - 0.5), (0, 1.2))
        for i in range(N):
            x, y = to_pixel(i, 0.25 * toy.norms[s, i])
            color = tuple(bars[int(y), int(x), :3])
            assert (color == colors[i]) == (toy.norms[s, i] > 0.5), f"bar of {i}"
        # the heatmap: each cell's centre is the diverging colour of W^T W on its own scale
        heat = canvas_rgba(page, HEAT)
        cell = heat.shape[0] // N
        centres = heat[cell // 2 :: cell, cell // 2 :: cell, :3][:N, :N].reshape(-1, 3)
        values = toy.interference[s].astype(np.float32)
        scale = float(np.abs(values).max())
        np.testing.assert_array_equal(centres, expected_colors(values.reshape(-1), dark, scale))
    represented = page.locator(VIEW).get_attribute("data-represented")
    assert represented == "2"
    assert session.requests == [] and session.errors == []


def test_hover_click_and_keys(offline, reports):
    session, page = open_report(offline, reports)
    toy = known_toy()
    view = page.locator(VIEW)
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    xs, ys = tips(toy, 1)
    box = page.locator(VECTORS).bounding_box()
    page.mouse.move(box["x"] + xs[3], box["y"] + ys[3])
    page.wait_for_function(
        "() => document.querySelector('.mi-superposition-view .mi-tooltip').dataset.feature === '3'"
    )
    text = tooltip.text_content()
    assert text.startswith("feature 3\n")
    assert f"‖W_3‖ = {toy.norms[1, 3]:.3f}" in text
    assert f"D_3 = {toy.dimensionality[1, 3]:.3f}" in text
    page.mouse.click(box["x"] + xs[3], box["y"] + ys[3])
    page.wait_for_selector(f"{VIEW}[data-feature='3']")
    # interference cell (1, 4)
    heat = page.locator(HEAT).bounding_box()
    cell = heat["width"] / N
    page.mouse.move(heat["x"] + 4.5 * cell, heat["y"] + 1.5 * cell)
    page.wait_for_function(
        "() => document.querySelector('.mi-superposition-view .mi-tooltip').dataset.row === '1'"
    )
    value = float(np.float32(toy.interference[1, 1, 4]))
    assert tooltip.text_content() == f"W_1 · W_4 = {value:.3f}"
    assert float(tooltip.get_attribute("data-value")) == pytest.approx(value, abs=1e-7)
    view.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector(f"{VIEW}[data-painted-sparsity='0']")
    assert page.locator(".mi-toy-sparsity").input_value() == "0"
    page.keyboard.press("ArrowDown")
    page.wait_for_selector(f"{VIEW}[data-feature='4']")
    page.keyboard.press("Escape")
    page.wait_for_selector(f"{VIEW}[data-feature='-1']")
    assert session.requests == [] and session.errors == []


def test_save_png_downloads_the_figure(offline, reports):
    _, page = open_report(offline, reports, "dark")
    with page.expect_download() as download_info:
        page.locator(f"{VIEW} .mi-save-png").click()
    download = download_info.value
    assert download.suggested_filename == "superposition-sparsity-0.95.png"
    data = pathlib.Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
