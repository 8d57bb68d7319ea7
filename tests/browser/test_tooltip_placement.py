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


def hover_cells(page, target: str, rows: int, columns: int, tooltip: str, caption: str) -> int:
    """Hover the bottom two rows of cells; return how many tooltips were checked."""
    box = page.locator(target).bounding_box()
    caption_box = page.locator(caption).bounding_box()
    assert caption_box and caption_box["height"] > 0
    checked = 0
    for row in (rows - 2, rows - 1):
        for column in range(columns):
            x = box["x"] + (column + 0.5) * box["width"] / columns
            y = box["y"] + (row + 0.5) * box["height"] / rows
            page.mouse.move(x, y)
            page.locator(tooltip).wait_for(state="visible")
            tip = page.locator(tooltip).bounding_box()
            assert not intersects(tip, caption_box), (row, column, tip, caption_box)
            checked += 1
    return checked


def test_attention_tooltip_stays_off_the_axis_caption(offline, tmp_path):
    n = 10
    attention = random_causal_attention(2, 2, n, seed=0)
    tokens = [f"token {i}" for i in range(n)]
    path = mw.to_html(mw.AttentionView(attention=attention, tokens=tokens), tmp_path / "a.html")
    session = offline()
    page = session.open(path)
    view = ".mi-attention-view"
    page.wait_for_selector(f"{view}[data-ready='true']")
    checked = hover_cells(
        page,
        f"{view} .mi-heatmap-overlay",
        n,
        n,
        f"{view} .mi-tooltip",
        f"{view} .mi-axis-caption",
    )
    assert checked == 2 * n and session.errors == []


def test_patching_tooltip_stays_off_the_scale_caption(offline, tmp_path):
    path = mw.to_html(mw.PatchingView(known_patching()), tmp_path / "p.html")
    session = offline()
    page = session.open(path, ready=f"{PATCHING}[data-ready='true']")
    checked = hover_cells(
        page,
        f"{PATCHING} .mi-vgrid-overlay",
        L,
        N,
        f"{PATCHING} .mi-tooltip",
        f"{PATCHING} .mi-vgrid-caption",
    )
    assert checked == 2 * N and session.errors == []
