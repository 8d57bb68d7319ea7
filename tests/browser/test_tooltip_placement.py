"""Hover tooltips never cover a heatmap's axis caption (shared placement of lib/tooltip.ts)."""

from __future__ import annotations

import pytest

import mi_widgets as mw
from tests.browser.test_patching_export import PATCHING, L, N, known_patching
from tests.conftest import random_causal_attention

pytestmark = pytest.mark.browser


def intersects(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def hover_cells(page, view: str, grid: str, caption: str, rows: int, columns: int) -> int:
    """Hover every cell of the bottom two rows; return how many tooltips were checked."""
    box = page.locator(f"{view} {grid}").bounding_box()
    caption_box = page.locator(f"{view} {caption}").bounding_box()
    assert caption_box and caption_box["height"] > 0
    tooltip = page.locator(f"{view} .mi-tooltip")
    checked = 0
    for row in (rows - 2, rows - 1):
        for column in range(columns):
            x = box["x"] + (column + 0.5) * box["width"] / columns
            y = box["y"] + (row + 0.5) * box["height"] / rows
            page.mouse.move(x, y)
            tooltip.wait_for(state="visible")
            tip = tooltip.bounding_box()
            assert not intersects(tip, caption_box), (row, column, tip, caption_box)
            checked += 1
    return checked


def attention_view() -> mw.AttentionView:
    tokens = [f"token {i}" for i in range(10)]
    return mw.AttentionView(attention=random_causal_attention(2, 2, 10, seed=0), tokens=tokens)


CASES = {
    "attention": (
        attention_view,
        ".mi-attention-view",
        ".mi-heatmap-overlay",
        ".mi-axis-caption",
        10,
        10,
    ),
    "patching": (
        lambda: mw.PatchingView(known_patching()),
        PATCHING,
        ".mi-vgrid-overlay",
        ".mi-vgrid-caption",
        L,
        N,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_tooltips_stay_off_the_heatmap_caption(offline, tmp_path, case):
    make_view, view, grid, caption, rows, columns = CASES[case]
    path = mw.to_html(make_view(), tmp_path / f"{case}.html")
    session = offline()
    page = session.open(path, ready=f"{view}[data-ready='true']")
    assert hover_cells(page, view, grid, caption, rows, columns) == 2 * columns
    assert session.errors == []
