"""PatchingView and AttributionView exported with mw.to_html, opened in Chromium offline."""

from __future__ import annotations

import dataclasses
import pathlib
import struct

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.pixels import canvas_rgba, diverging_colors, expected_colors

pytestmark = pytest.mark.browser

PATCHING = ".mi-patching-view"
ATTRIBUTION = ".mi-attribution-view"
ATTENTION = ".mi-attention-view"
GRID = ".mi-vgrid-cells"
HOSTILE = ["<b>", "<script>alert(1)</script>", " &amp;", "\n", "x"]
L, N, H, K = 3, len(HOSTILE), 2, 3


def known_patching() -> mw.PatchingResult:
    """Distinct values in [-0.6, 1.4] on a 3-layer x 5-position grid; hostile tokens."""
    values = (np.arange(L * N, dtype=np.float32).reshape(L, N) - 4) / 7.5
    top_ids = np.arange(L * N * K).reshape(L, N, K) % 4
    vocabulary = {0: HOSTILE[1], 1: " Mary", 2: HOSTILE[2], 3: "\t"}
    return mw.PatchingResult(
        values=values,
        raw=values * 2 + 1,
        clean_metric=3.0,
        corrupted_metric=1.0,
        clean_tokens=HOSTILE,
        corrupted_tokens=HOSTILE,
        top_ids=top_ids,
        top_probs=np.linspace(0.9, 0.1, L * N * K, dtype=np.float32).reshape(L, N, K),
        clean_top_ids=np.array([1, 0, 2]),
        clean_top_probs=np.array([0.5, 0.2, 0.1], dtype=np.float32),
        corrupted_top_ids=np.array([2, 1, 0]),
        corrupted_top_probs=np.array([0.6, 0.3, 0.05], dtype=np.float32),
        vocabulary=vocabulary,
        component="resid",
        over="layer,position",
        direction="denoise",
        metric="logit(' Mary') - logit(' John')",
        position=N - 1,
        layers=(0, 1, 2),
        model_name="Known",
    )


def known_attribution() -> mw.Attribution:
    heads = np.array([[0.5, -1.5], [2.0, 0.25], [-0.75, 1.0]], dtype=np.float32)
    return mw.Attribution(
        heads=heads,
        mlps=np.array([0.3, -2.5, 0.1], dtype=np.float32),
        attn_bias=np.array([0.01, -0.02, 0.03], dtype=np.float32),
        embed=0.2,
        constant=-0.1,
        total=float(heads.sum() + 0.3 - 2.5 + 0.1 + 0.02 + 0.2 - 0.1),
        scale=2.0,
        tokens=HOSTILE,
        position=N - 1,
        target=" Mary",
        other=" John",
        model_name="Known",
    )


def attention_pattern() -> np.ndarray:
    pattern = np.zeros((L, H, N, N), dtype=np.float32)
    for h in range(H):
        pattern[:, h, np.arange(N), np.maximum(np.arange(N) - h, 0)] = 1
    return pattern


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("patching")
    paths = {}
    for theme in ("light", "dark"):
        attention = mw.AttentionView(attention=attention_pattern(), tokens=HOSTILE)
        views = [
            mw.PatchingView(known_patching(), row=0, column=0),
            mw.AttributionView(known_attribution(), attention=attention, show=5),
            attention,
        ]
        paths[theme] = mw.to_html(views, folder / f"{theme}.html", theme=theme)
    return paths


def open_report(offline, reports, theme="light"):
    session = offline(theme)
    page = session.open(reports[theme], ready=f"{PATCHING}[data-ready='true']")
    page.wait_for_selector(f"{ATTRIBUTION}[data-ready='true']")
    page.wait_for_selector(f"{ATTENTION}[data-ready='true']")
    return session, page


def grid_centres(page, view: str, rows: int, columns: int) -> np.ndarray:
    rgba = canvas_rgba(page, f"{view} {GRID}")
    ys = ((np.arange(rows) + 0.5) * rgba.shape[0] / rows).astype(int)
    xs = ((np.arange(columns) + 0.5) * rgba.shape[1] / columns).astype(int)
    return rgba[ys[:, None], xs[None, :], :3].astype(int)


def cell_point(page, view: str, rows: int, columns: int, row: int, column: int):
    box = page.locator(f"{view} .mi-vgrid-overlay").bounding_box()
    x = box["x"] + (column + 0.5) * box["width"] / columns
    return x, box["y"] + (row + 0.5) * box["height"] / rows


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_both_grids_are_the_diverging_colours_of_the_values(offline, reports, theme):
    session, page = open_report(offline, reports, theme)
    dark = theme == "dark"
    values = known_patching().values
    shown = grid_centres(page, PATCHING, L, N)
    expected = expected_colors(values.ravel(), dark, scale=max(1.0, np.abs(values).max()))
    np.testing.assert_array_equal(shown.reshape(-1, 3), expected)
    heads = known_attribution().heads
    shown = grid_centres(page, ATTRIBUTION, L, H)
    np.testing.assert_array_equal(shown.reshape(-1, 3), expected_colors(heads.ravel(), dark))
    legend = canvas_rgba(page, f"{PATCHING} .mi-vgrid-legend canvas")
    np.testing.assert_array_equal(legend[0, :, :3], diverging_colors(dark))
    assert session.requests == [] and session.errors == [] and session.dialogs == []


def test_hostile_tokens_are_text(offline, reports):
    session, page = open_report(offline, reports)
    labels = page.locator(f"{PATCHING} .mi-vgrid-columns .mi-vgrid-label")
    titles = [labels.nth(i).get_attribute("title") for i in range(N)]
    assert titles == [f"{token}_{i}" for i, token in enumerate(HOSTILE)]
    assert labels.nth(1).text_content() == "<script>alert(1)</script>_1"
    assert labels.nth(3).text_content() == "↵_3"
    assert page.locator(f"{PATCHING} b, {PATCHING} script, {ATTRIBUTION} script").count() == 0
    assert session.dialogs == []


def test_hover_click_keys_and_predictions(offline, reports):
    session, page = open_report(offline, reports)
    result = known_patching()
    tooltip = page.locator(f"{PATCHING} .mi-tooltip")
    page.mouse.move(*cell_point(page, PATCHING, L, N, 2, 3))
    page.wait_for_function(
        "() => document.querySelector('.mi-patching-view .mi-tooltip').dataset.row === '2'"
    )
    assert np.float32(tooltip.get_attribute("data-value")) == result.values[2, 3]
    text = tooltip.text_content()
    assert text.startswith("L2 · position ") and f"{result.values[2, 3]:.4f}" in text
    assert f"metric {result.raw[2, 3]:.4f}" in text
    page.mouse.click(*cell_point(page, PATCHING, L, N, 1, 4))
    page.wait_for_selector(f"{PATCHING}[data-selected='1,4']")
    patched = page.locator(f"{PATCHING} .mi-pred .mi-tok")
    tokens = [patched.nth(i).get_attribute("data-token") for i in range(patched.count())]
    heads = page.locator(f"{PATCHING} .mi-pred-head").all_text_contents()
    assert heads == ["clean", "corrupted", f'patched L1 at "{result.position_labels[4]}"']
    # rows of three columns: clean, corrupted, patched
    assert tokens[0::3] == [result.vocabulary[i] for i in result.clean_top_ids]
    assert tokens[1::3] == [result.vocabulary[i] for i in result.corrupted_top_ids]
    assert tokens[2::3] == [result.vocabulary[i] for i in result.top_ids[1, 4]]
    page.locator(PATCHING).focus()
    for key in ("ArrowUp", "ArrowLeft", "ArrowLeft"):
        page.keyboard.press(key)
    page.wait_for_selector(f"{PATCHING}[data-selected='0,2']")
    page.keyboard.press("Shift+ArrowRight")  # ten columns: clamped to the last
    page.wait_for_selector(f"{PATCHING}[data-selected='0,4']")
    page.keyboard.press("Enter")
    tooltip.wait_for(state="visible")
    assert tooltip.get_attribute("data-column") == "4"
    page.keyboard.press("Escape")
    tooltip.wait_for(state="hidden")
    assert session.requests == [] and session.errors == [] and session.dialogs == []


def test_bars_sort_select_and_follow_the_linked_attention_view(offline, reports):
    session, page = open_report(offline, reports)
    view = page.locator(ATTRIBUTION)
    assert view.get_attribute("data-selected") == "L1 MLP"  # the largest |value|
    assert view.get_attribute("data-order") == "L1 MLP,L1H0,L0H1,L2H1,L2H0"
    page.locator(f"{ATTRIBUTION} .mi-sort").select_option("value")
    page.wait_for_selector(f"{ATTRIBUTION}[data-order^='L1H0,L2H1,L0H0']")
    page.locator(f"{ATTRIBUTION} .mi-show").select_option("0")
    page.wait_for_function(
        "() => document.querySelector('.mi-attribution-view').dataset.order.split(',').length === 13"
    )
    bars = page.locator(f"{ATTRIBUTION} .mi-bars").bounding_box()
    page.mouse.click(bars["x"] + 100, bars["y"] + 2.5 * bars["height"] / 13)  # third bar
    page.wait_for_selector(f"{ATTRIBUTION}[data-selected='L0H0']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='0'][data-painted-head='0']")
    page.mouse.click(*cell_point(page, ATTRIBUTION, L, H, 2, 1))
    page.wait_for_selector(f"{ATTRIBUTION}[data-selected='L2H1']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='2'][data-painted-head='1']")
    page.locator(f"{ATTENTION} .mi-head-thumb[data-head='0']").click()
    page.wait_for_selector(f"{ATTRIBUTION}[data-selected='L2H0']")
    bars = page.locator(f"{ATTRIBUTION} .mi-bars").bounding_box()  # the page may have scrolled
    page.mouse.move(bars["x"] + 100, bars["y"] + 0.5 * bars["height"] / 13)
    tooltip = page.locator(f"{ATTRIBUTION} .mi-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.get_attribute("data-label") == "L1H0"
    assert np.float32(tooltip.get_attribute("data-value")) == np.float32(2.0)
    assert session.requests == [] and session.errors == []


@pytest.mark.parametrize("view", [PATCHING, ATTRIBUTION])
def test_save_png(offline, reports, view):
    _, page = open_report(offline, reports)
    with page.expect_download() as download_info:
        page.locator(f"{view} .mi-save-png").click()
    data = pathlib.Path(download_info.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 150


def test_head_patching_names_the_selected_head(offline, tmp_path):
    base = known_patching()
    head_result = dataclasses.replace(
        base,
        values=base.values[:, :H],
        raw=base.raw[:, :H],
        top_ids=base.top_ids[:, :H],
        top_probs=base.top_probs[:, :H],
        component="head",
        over="layer,head",
    )
    path = mw.to_html(mw.PatchingView(head_result, row=1, column=1), tmp_path / "heads.html")
    page = offline().open(path, ready=f"{PATCHING}[data-ready='true']")
    heads = page.locator(f"{PATCHING} .mi-pred-head").all_text_contents()
    assert heads == ["clean", "corrupted", "patched L1H1"]
