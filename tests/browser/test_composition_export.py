"""CompositionView exported with mw.to_html (linked to a HeadScoresView and an AttentionView),
opened in Chromium with the network blocked."""

from __future__ import annotations

import pathlib
import struct

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.pixels import canvas_rgba, expected_colors

pytestmark = pytest.mark.browser

COMPOSITION = ".mi-composition-view"
SCORES = ".mi-head-scores-view"
ATTENTION = ".mi-attention-view"
GRID = ".mi-vgrid-cells"
L, H = 3, 2
N = L * H
BASELINE = np.array([0.1, 0.2, 0.05], dtype=np.float32)
TOKENS = ["a", "b", "c", "d"]


def known_scores() -> mw.CompositionScores:
    """Distinct scores for every writer-before-reader pair, NaN elsewhere."""
    scores = np.full((3, L, H, L, H), np.nan, dtype=np.float32)
    step = 0
    for l1 in range(L):
        for l2 in range(l1 + 1, L):
            for h1 in range(H):
                for h2 in range(H):
                    step += 1
                    scores[:, l1, h1, l2, h2] = [0.01 * step, 0.03 * step, 0.02 * step]
    return mw.CompositionScores(scores, BASELINE, "Known")


def grid_of(kind: int) -> np.ndarray:
    """``[reader, writer]`` score minus baseline of one kind, as the page shows it."""
    scores = known_scores().scores[kind].reshape(N, N).T
    return scores - BASELINE[kind]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("composition")
    paths = {}
    for theme in ("light", "dark"):
        pattern = np.tile(np.eye(4, dtype=np.float32), (L, H, 1, 1))
        attention = mw.AttentionView(attention=pattern, tokens=TOKENS)
        scores_view = mw.HeadScoresView({"induction": np.arange(N).reshape(L, H) / N})
        view = mw.CompositionView(known_scores(), kind="K", layer=2, head=1, top_k=2)
        mw.link_heads(scores_view, view)
        mw.link_heads(view, attention)
        paths[theme] = mw.to_html(
            [view, scores_view, attention], folder / f"{theme}.html", theme=theme
        )
    return paths


def open_report(offline, reports, theme="light"):
    session = offline(theme)
    page = session.open(reports[theme], ready=f"{COMPOSITION}[data-ready='true']")
    page.wait_for_selector(f"{SCORES}[data-ready='true']")
    page.wait_for_selector(f"{ATTENTION}[data-ready='true']")
    return session, page


def cell_point(page, row: int, column: int):
    box = page.locator(f"{COMPOSITION} .mi-vgrid-overlay").bounding_box()
    x = box["x"] + (column + 0.5) * box["width"] / N
    return x, box["y"] + (row + 0.5) * box["height"] / N


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_grid_is_the_diverging_colours_of_score_minus_baseline(offline, reports, theme):
    session, page = open_report(offline, reports, theme)
    dark = theme == "dark"
    values = grid_of(1)
    rgba = canvas_rgba(page, f"{COMPOSITION} {GRID}")
    centres = ((np.arange(N) + 0.5) * rgba.shape[0] / N).astype(int)
    shown = rgba[centres[:, None], centres[None, :], :3].astype(int).reshape(-1, 3)
    defined = ~np.isnan(values.ravel())
    scale = float(np.nanmax(np.abs(values)))
    np.testing.assert_array_equal(
        shown[defined], expected_colors(values.ravel()[defined], dark, scale=scale)
    )
    neutral = expected_colors(np.zeros(1), dark)[0]
    assert (shown[~defined] == neutral).all()
    assert session.requests == [] and session.errors == [] and session.dialogs == []


def test_partners_light_up_and_are_listed(offline, reports):
    session, page = open_report(offline, reports)
    view = page.locator(COMPOSITION)
    assert view.get_attribute("data-kind") == "K"
    # L2H1 reads from every head of layers 0 and 1; the latest pairs have the largest scores
    assert view.get_attribute("data-writers") == "L1H1,L1H0"
    assert view.get_attribute("data-readers") == ""
    partners = page.locator(f"{COMPOSITION} .mi-partners")
    assert partners.get_attribute("aria-live") == "polite"
    assert "reads most from: L1H1" in partners.text_content()
    overlay = canvas_rgba(page, f"{COMPOSITION} .mi-vgrid-overlay")
    cell = overlay.shape[0] // N
    row = 5 * cell
    for column in (2, 3):  # the outlined writers' cells have marks on their edge
        assert overlay[row + 1 : row + cell - 1, column * cell + 1, 3].max() > 0
    assert overlay[row + 1 : row + cell - 1, 1 * cell + 1, 3].max() == 0  # L0H1: not a partner
    assert session.errors == []


def test_hover_click_keys_kind_switch_and_links(offline, reports):
    session, page = open_report(offline, reports)
    tooltip = page.locator(f"{COMPOSITION} .mi-tooltip")
    page.mouse.move(*cell_point(page, 4, 1))  # reader L2H0, writer L0H1
    page.wait_for_function(
        "() => document.querySelector('.mi-composition-view .mi-tooltip').dataset.row === '4'"
    )
    score = known_scores().scores[1, 0, 1, 2, 0]
    assert np.float32(tooltip.get_attribute("data-value")) == score
    text = tooltip.text_content()
    assert text.startswith("L0H1 → L2H0 (writer → reader)")
    assert f"K-composition {score:.4f}" in text and f"baseline {BASELINE[1]:.4f}" in text
    page.mouse.move(*cell_point(page, 0, 3))  # undefined: reader in layer 0
    page.wait_for_function(
        "() => document.querySelector('.mi-composition-view .mi-tooltip').dataset.row === '0'"
    )
    assert "not defined" in tooltip.text_content()
    page.mouse.click(*cell_point(page, 3, 0))  # reader L1H1, writer L0H0
    page.wait_for_selector(f"{COMPOSITION}[data-selected='3,0']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='1'][data-painted-head='1']")
    assert page.locator(COMPOSITION).get_attribute("data-readers") == "L2H1,L2H0"
    page.locator(COMPOSITION).focus()
    for key in ("ArrowDown", "ArrowRight"):
        page.keyboard.press(key)
    page.wait_for_selector(f"{COMPOSITION}[data-selected='4,1']")
    page.wait_for_selector(f"{ATTENTION}[data-painted-layer='2'][data-painted-head='0']")
    page.keyboard.press("q")
    page.wait_for_selector(f"{COMPOSITION}[data-kind='Q']")
    assert page.locator(f"{COMPOSITION} input.mi-kind[value='Q']").is_checked()
    page.locator(f"{COMPOSITION} input.mi-kind[value='V']").check()
    page.wait_for_selector(f"{COMPOSITION}[data-kind='V']")
    page.locator(COMPOSITION).focus()
    page.keyboard.press("Enter")
    tooltip.wait_for(state="visible")
    assert f"V-composition {known_scores().scores[2, 0, 1, 2, 0]:.4f}" in tooltip.text_content()
    page.keyboard.press("Escape")
    tooltip.wait_for(state="hidden")
    # the other way: a head clicked in the attention view selects its row here
    page.locator(f"{ATTENTION} .mi-head-thumb[data-head='1']").click()
    page.wait_for_selector(f"{COMPOSITION}[data-selected='5,1']")
    assert session.requests == [] and session.errors == [] and session.dialogs == []


def test_aria_and_text_alternative(offline, reports):
    _, page = open_report(offline, reports)
    root = page.locator(COMPOSITION)
    assert root.get_attribute("role") == "group"
    assert "K-composition" in root.get_attribute("aria-label")
    cells = page.locator(f"{COMPOSITION} {GRID}")
    assert cells.get_attribute("role") == "img"
    assert "rows: reading heads, columns: writing heads" in cells.get_attribute("aria-label")
    assert page.locator(f"{COMPOSITION} [role='radiogroup']").get_attribute("aria-label") == (
        "Composition kind"
    )
    assert (
        page.locator(f"{COMPOSITION} .mi-selection")
        .text_content()
        .startswith("selected: L2H1 reading from")
    )


def test_save_png(offline, reports):
    _, page = open_report(offline, reports)
    with page.expect_download() as download_info:
        page.locator(f"{COMPOSITION} .mi-save-png").click()
    data = pathlib.Path(download_info.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 150 and height >= 100
