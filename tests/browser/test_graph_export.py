"""The exported GraphView in Chromium with every network request aborted: node and edge
pixels, pruning equal to Python's, hover, keys, statistics, hostile tokens, PNG."""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.widgets.graph import EXPORT_NOTE
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pixels import canvas_rgba, diverging_colors, expected_colors
from tests.graph_fixtures import HOSTILE, known_graph, random_graph, shared_id_graph
from tests.synthetic_features import synthetic_stats

pytestmark = pytest.mark.browser

ROOT = ".mi-graph-view"
CANVAS = f"{ROOT} .mi-graph-canvas"
_LAYOUT_TS = pathlib.Path(__file__).resolve().parents[2] / "js/src/graph/layout.ts"
MARGIN = {
    side: int(value)
    for side, value in re.findall(
        r"(\w+): (\d+)", re.search(r"MARGIN = \{(.*?)\}", _LAYOUT_TS.read_text()).group(1)
    )
}
BACKGROUND = {"light": [255, 255, 255], "dark": [0x11, 0x13, 0x18]}


def open_view(offline, tmp_path, view, theme="light", name="graph"):
    path = mw.to_html(view, tmp_path / f"{name}_{theme}.html", theme=theme)
    session = offline(theme)
    page = session.open(path, ready=f"{ROOT}[data-ready='true']")
    return session, page


def node_centre(rgba: np.ndarray, color: np.ndarray) -> tuple[float, float]:
    """Mean (x, y) of the pixels of exactly ``color``."""
    ys, xs = np.nonzero((rgba[..., :3].astype(int) == color).all(-1))
    assert len(xs) > 10, f"no node of colour {color} drawn"
    return float(xs.mean()), float(ys.mean())


def blended(color: np.ndarray, alpha: float, background: list[int]) -> np.ndarray:
    return alpha * color + (1 - alpha) * np.array(background)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_nodes_sit_by_layer_and_position_and_edges_have_the_colour_of_their_sign(
    offline, tmp_path, theme
):
    dark = theme == "dark"
    view = mw.GraphView(known_graph(), node_threshold=1.0, edge_threshold=1.0)
    session, page = open_view(offline, tmp_path, view, theme)
    rgba = canvas_rgba(page, CANVAS)
    height, width = rgba.shape[:2]
    activations = np.array([2.0, 1.0, 0.5, 0.1])
    colors = expected_colors(activations, dark)
    column = (width - MARGIN["left"] - MARGIN["right"]) / 5
    row = (height - MARGIN["top"] - MARGIN["bottom"]) / 4  # embeddings, L0, L1, logits
    # features: (layer, position) of F0..F3
    for (layer, position), color in zip([(0, 1), (0, 4), (1, 4), (1, 2)], colors, strict=True):
        x, y = node_centre(rgba, color)
        assert MARGIN["left"] + position * column < x < MARGIN["left"] + (position + 1) * column
        band = 4 - 1 - (layer + 1)  # rows counted from the top
        assert MARGIN["top"] + band * row < y < MARGIN["top"] + (band + 1) * row
    ramp = diverging_colors(dark)
    # the strongest positive edge (+3, F2 → logit 0) and the strongest negative (-2, F1 → F2)
    for index, alpha in ((220, 0.82), (35, 0.12 + 0.7 * 5 / 6)):
        target = blended(ramp[index], alpha, BACKGROUND[theme])
        near = (np.abs(rgba[..., :3].astype(float) - target) <= 3).all(-1)
        assert near.sum() > 40, f"edge colour {target} of LUT entry {index} not drawn"
    axis = page.locator(f"{ROOT} .mi-graph-axis .mi-tok")
    assert axis.count() == 5
    lefts = [axis.nth(i).bounding_box()["x"] for i in range(5)]
    assert lefts == sorted(lefts)
    page.locator(ROOT).screenshot(path=SCREENSHOTS / f"graph_export_{theme}.png")
    assert session.requests == [] and session.errors == []


def test_hover_shows_exact_edge_weights_and_keys_walk_the_strongest_edges(offline, tmp_path):
    view = mw.GraphView(known_graph(), node_threshold=1.0, edge_threshold=1.0)
    session, page = open_view(offline, tmp_path, view)
    rgba = canvas_rgba(page, CANVAS)
    x, y = node_centre(rgba, expected_colors(np.array([2.0, 1.0, 0.5, 0.1]), False)[2])
    box = page.locator(f"{ROOT} .mi-graph-overlay").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = page.locator(f"{ROOT} .mi-tooltip")
    tip.wait_for(state="visible")
    assert tip.get_attribute("data-node") == "1_88_4"
    inputs = dict(map(tuple, json.loads(tip.get_attribute("data-inputs"))))
    assert inputs == {"0_412_4": -2.0, "0_7_1": 1.0, "0_0_4": 0.25}
    outputs = dict(map(tuple, json.loads(tip.get_attribute("data-outputs"))))
    assert outputs == {"3_5_4": 3.0, "3_9_4": -1.0}
    assert "activation 0.5000" in tip.text_content()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector(f"{ROOT}[data-selected='1_88_4']")
    page.keyboard.press("ArrowDown")  # strongest input: -2 from layer 0 feature 412
    page.wait_for_selector(f"{ROOT}[data-cursor='0_412_4']")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector(f"{ROOT}[data-cursor='E_15_4']")
    page.keyboard.press("ArrowUp")  # its strongest output: back to 412
    page.wait_for_selector(f"{ROOT}[data-cursor='0_412_4']")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{ROOT}[data-selected='0_412_4']")
    page.keyboard.press("p")
    page.keyboard.press("Escape")
    page.wait_for_selector(f"{ROOT}[data-selected='']")
    assert session.requests == [] and session.errors == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_page_prunes_exactly_as_python(offline, tmp_path, seed):
    graph = random_graph(300, 3000, n_pos=8, n_layers=3, seed=seed)
    thresholds = [(0.8, 0.98), (0.5, 0.9), (0.95, 0.6)][seed]
    view = mw.GraphView(graph, node_threshold=thresholds[0], edge_threshold=thresholds[1])
    session, page = open_view(offline, tmp_path, view, name=f"prune{seed}")

    def kept_in_page() -> list[str]:
        return page.locator(ROOT).get_attribute("data-kept-ids").split(",")

    def kept_in_python(node_threshold, edge_threshold) -> list[str]:
        return graph.prune(node_threshold, edge_threshold).node_ids

    assert kept_in_page() == kept_in_python(*thresholds)
    # the slider re-prunes in the page
    page.eval_on_selector(
        f"{ROOT} .mi-node-threshold",
        "el => { el.value = '0.3'; el.dispatchEvent(new Event('change', {bubbles: true})); }",
    )
    page.wait_for_function(
        f"document.querySelector('{ROOT} .mi-node-threshold + output').textContent === '0.30'"
    )
    assert kept_in_page() == kept_in_python(0.3, thresholds[1])
    assert session.requests == [] and session.errors == []


def test_selecting_a_feature_shows_its_statistics_and_interventions_need_a_kernel(
    offline, tmp_path
):
    stats = {0: synthetic_stats(500), 1: synthetic_stats(100)}
    view = mw.GraphView(
        known_graph(), stats=stats, selected="1_88_4", node_threshold=1.0, edge_threshold=1.0
    )
    session, page = open_view(offline, tmp_path, view)
    card = page.locator(f"{ROOT} .mi-graph-card")
    page.wait_for_selector(f"{ROOT} .mi-graph-card[data-state='ready']")
    assert card.get_attribute("data-feature") == "1:88"
    examples = int((stats[1].docs[88] >= 0).sum())  # the synthetic statistics' real examples
    assert examples > 0
    assert page.locator(f"{ROOT} .mi-graph-card .mi-examples-rows > div").count() == examples
    assert page.locator(f"{ROOT} .mi-graph-card .mi-logits tr").count() > 1
    assert canvas_rgba(page, f"{ROOT} .mi-graph-card .mi-histogram")[..., 3].any()
    ablate = page.locator(f"{ROOT} .mi-ablate")
    assert ablate.is_disabled() and ablate.get_attribute("title") == EXPORT_NOTE
    assert session.requests == [] and session.errors == []


def test_hostile_tokens_stay_text(offline, tmp_path):
    session, page = open_view(offline, tmp_path, mw.GraphView(known_graph()))
    shown = page.eval_on_selector_all(
        f"{ROOT} .mi-graph-axis .mi-tok", "els => els.map(e => e.dataset.token)"
    )
    assert shown == HOSTILE
    texts = page.eval_on_selector_all(
        f"{ROOT} .mi-graph-axis .mi-tok", "els => els.map(e => e.textContent)"
    )
    assert texts[1] == "<script>alert(1)</script>" and texts[3] == "↵" and texts[4] == "x⟨U+202E⟩"
    assert page.locator(f"{ROOT} .mi-graph-axis b, {ROOT} .mi-graph-axis script").count() == 0
    assert session.dialogs == [] and session.requests == [] and session.errors == []


def test_save_png_downloads_the_picture(offline, tmp_path):
    _, page = open_view(offline, tmp_path, mw.GraphView(known_graph(), title="known graph"))
    with page.expect_download() as download_info:
        page.locator(f"{ROOT} .mi-save-png").click()
    saved = tmp_path / "saved.png"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == "known-graph.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved.stat().st_size > 5000


def test_a_graph_written_by_circuit_tracer_opens_and_paints(offline, tmp_path):
    path = pathlib.Path(__file__).parents[1] / "data/circuit_tracer/circuit-tracer-reference.json"
    graph = mw.AttributionGraph.from_json(path)
    session, page = open_view(
        offline, tmp_path, mw.GraphView(graph, node_threshold=1.0, edge_threshold=1.0), name="ct"
    )
    root = page.locator(ROOT)
    assert root.get_attribute("data-state") == "ready"
    assert int(root.get_attribute("data-kept")) == graph.n_nodes
    rgba = canvas_rgba(page, CANVAS)
    painted = (np.abs(rgba[..., :3].astype(int) - BACKGROUND["light"]).sum(-1) > 30).mean()
    assert painted > 0.01, f"only {painted:.2%} of the canvas is drawn"
    ramp = diverging_colors(False)
    for index in (220, 35):  # edges of both signs
        near = (np.abs(rgba[..., :3].astype(int) - ramp[index]) <= 60).all(-1)
        assert near.any()
    tokens = page.eval_on_selector_all(
        f"{ROOT} .mi-graph-axis .mi-tok", "els => els.map(e => e.dataset.token)"
    )
    assert tokens == graph.tokens
    pruned = mw.GraphView(graph)
    session, page = open_view(offline, tmp_path, pruned, name="ct_pruned")
    assert (
        page.locator(ROOT).get_attribute("data-kept-ids").split(",")
        == graph.prune(0.8, 0.98).node_ids
    )
    assert session.requests == [] and session.errors == []


def hovered_node(page, x: float, y: float) -> str | None:
    """The id the tooltip names with the mouse at canvas pixel (x, y), or None."""
    box = page.locator(f"{ROOT} .mi-graph-overlay").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = page.locator(f"{ROOT} .mi-tooltip")
    return tip.get_attribute("data-node") if tip.is_visible() else None


def test_a_feature_and_an_error_sharing_an_id_are_selected_apart(offline, tmp_path):
    view = mw.GraphView(shared_id_graph(), node_threshold=1.0, edge_threshold=1.0)
    session, page = open_view(offline, tmp_path, view, name="shared")
    kept = page.locator(ROOT).get_attribute("data-kept-ids").split(",")
    assert "0_1_4" in kept and "0_1_4#error" in kept
    rgba = canvas_rgba(page, CANVAS)
    box = page.locator(f"{ROOT} .mi-graph-overlay").bounding_box()
    x, y = node_centre(rgba, expected_colors(np.array([2.0, 1.0, 0.5, 0.1]), False)[1])
    assert hovered_node(page, x, y) == "0_1_4"
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector(f"{ROOT}[data-selected='0_1_4']")
    # the layer-1 error at position 4 (a square in the muted grey, 0.6 black on white) shares
    # the row and column of feature 1_88_4
    height, width = rgba.shape[:2]
    column = (width - MARGIN["left"] - MARGIN["right"]) / 5
    row = (height - MARGIN["top"] - MARGIN["bottom"]) / 4
    left, top = int(MARGIN["left"] + 4 * column), int(MARGIN["top"] + row)
    cell = rgba[top : int(top + row), left : int(left + column), :3].astype(int)
    ys, xs = np.nonzero((np.abs(cell - 102) <= 1).all(-1))
    assert len(xs) > 10, "no error square drawn in layer 1 at position 4"
    error = (left + float(np.median(xs)), top + float(np.median(ys)))
    assert hovered_node(page, *error) == "0_1_4#error"
    page.mouse.click(box["x"] + error[0], box["y"] + error[1])
    page.wait_for_selector(f"{ROOT}[data-selected='0_1_4#error']")
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector(f"{ROOT}[data-selected='0_1_4']")
    assert session.requests == [] and session.errors == []
