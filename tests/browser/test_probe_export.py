"""The exported ProbeView in Chromium with every network request aborted: the score chart and
the scatter draw known data, hover shows exact values, clicks and keys select, PNG saves."""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest
import torch

import mi_widgets as mw
from tests.browser.pixels import canvas_rgba

pytestmark = pytest.mark.browser

VIEW = ".mi-probe-view"
READY = f"{VIEW}[data-ready='true']"
CHART = "canvas.mi-probe-scores"
SCATTER = "canvas.mi-probe-scatter"
_PLOT_TS = pathlib.Path(__file__).resolve().parents[2] / "js" / "src" / "lib" / "plot.ts"
ACCENT = {"light": (0xD9, 0x48, 0x0F), "dark": (0x4F, 0xD1, 0xFF)}
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


def class_colors(dark: bool) -> list[tuple[int, int, int]]:
    """The class palette of ``js/src/lib/plot.ts`` as RGB triples."""
    name = "CLASS_COLORS_DARK" if dark else "CLASS_COLORS_LIGHT"
    block = re.search(name + r"\s*=\s*\[(.*?)\];", _PLOT_TS.read_text(), re.S).group(1)
    return [tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)) for h in re.findall(r"#(\w{6})", block)]


def frame(width, height, margins, x_range, y_range):
    """Data -> canvas pixel, as ``makeFrame``/``toPx``/``toPy`` of ``plot.ts``."""
    left, right, top, bottom = margins
    w, h = width - left - right, height - top - bottom
    (x0, x1), (y0, y1) = x_range, y_range

    def to_pixel(x, y):
        px = left + (np.asarray(x, np.float64) - x0) / (x1 - x0) * w
        py = top + (1 - (np.asarray(y, np.float64) - y0) / (y1 - y0)) * h
        return px, py

    return to_pixel


def padded(values: np.ndarray, pad: float = 0.06) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo or abs(hi) or 1
    return lo - pad * span, hi + pad * span


def known_probes() -> mw.ProbeResult:
    """Three layers of 48 examples; the label is planted at layer 1 only."""
    generator = torch.Generator().manual_seed(7)
    acts = torch.randn(3, 48, 6, generator=generator)
    labels = torch.arange(48) % 2
    acts[1, :, 0] += (2 * labels - 1) * 5.0
    names = [HOSTILE if i == 0 else f"example {i}" for i in range(48)]
    return mw.probe(acts, labels=labels, layers=[0, 1, 2], examples=names, seed=1)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    probes = known_probes()
    return {
        theme: mw.to_html(
            mw.ProbeView(probes, layer=1, metric="accuracy"), folder / f"{theme}.html", theme=theme
        )
        for theme in ("light", "dark")
    }


def open_report(offline, reports, theme="light"):
    session = offline(theme)
    return session, session.open(reports[theme], ready=READY)


def scatter_pixels(probes: mw.ProbeResult, layer: int) -> tuple[np.ndarray, np.ndarray]:
    row = probes.index(layer)
    along = probes.projection[row].astype(np.float32).astype(np.float64)
    across = probes.component[row].astype(np.float32).astype(np.float64)
    to_pixel = frame(400, 300, (52, 12, 10, 34), padded(along), padded(across))
    return to_pixel(along, across)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_chart_and_scatter_draw_the_known_data(offline, reports, theme):
    session, page = open_report(offline, reports, theme)
    probes = known_probes()
    dark = theme == "dark"
    # the chart: a dot in the accent colour at each layer's held-out accuracy
    chart = canvas_rgba(page, CHART)
    to_pixel = frame(340, 240, (46, 12, 10, 34), (-0.5, 2.5), (0.0, 1.0))
    xs, ys = to_pixel(np.arange(3), probes.accuracy.astype(np.float32))
    for x, y in zip(xs, ys, strict=True):
        assert tuple(chart[int(y), int(x), :3]) == ACCENT[theme]
    # the scatter: every point well apart from the others is its class colour
    rgba = canvas_rgba(page, SCATTER)
    xs, ys = scatter_pixels(probes, 1)
    colors = class_colors(dark)
    distance = np.hypot(xs[:, None] - xs[None], ys[:, None] - ys[None]) + np.eye(len(xs)) * 99
    isolated = np.flatnonzero(distance.min(1) > 10)
    assert len(isolated) >= 5
    for i in isolated:
        label = int(probes.labels[i])
        assert tuple(rgba[int(ys[i]), int(xs[i]), :3]) == colors[label], f"example {i}"
    # the two classes sit on either side along the probe direction at the planted layer
    assert (xs[probes.labels == 0].max() < xs[probes.labels == 1].min()) or (
        xs[probes.labels == 1].max() < xs[probes.labels == 0].min()
    )
    background = chart[2, 2, :3].astype(int)
    assert (background.mean() < 80) == dark
    assert session.requests == [] and session.errors == []


def test_hover_shows_exact_scores_and_the_example_as_text(offline, reports):
    session, page = open_report(offline, reports)
    probes = known_probes()
    box = page.locator(CHART).bounding_box()
    to_pixel = frame(340, 240, (46, 12, 10, 34), (-0.5, 2.5), (0.0, 1.0))
    x, _ = to_pixel(2, 0.5)
    page.mouse.move(box["x"] + x, box["y"] + 120)
    tooltip = page.locator(f"{VIEW} .mi-tooltip")
    page.wait_for_function(
        "() => document.querySelector('.mi-probe-view .mi-tooltip').dataset.layer === '2'"
    )
    text = tooltip.text_content()
    assert f"held-out accuracy: {probes.accuracy[2]:.3f}" in text
    assert f"control (shuffled labels): {probes.control_accuracy[2]:.3f} held out" in text
    assert f"chance: {probes.chance:.3f}" in text
    rows = (probes.accuracy, probes.train_accuracy, probes.control_accuracy)
    rows += (probes.control_train_accuracy,)
    exact = [float(np.float32(row[2])) for row in rows]
    assert json.loads(tooltip.get_attribute("data-values")) == exact
    # a point: its example text, literally
    xs, ys = scatter_pixels(probes, 1)
    box = page.locator(SCATTER).bounding_box()
    page.mouse.move(box["x"] + xs[0], box["y"] + ys[0])
    page.wait_for_function(
        "() => document.querySelector('.mi-probe-view .mi-tooltip').dataset.example !== undefined"
    )
    shown = int(tooltip.get_attribute("data-example"))
    assert tooltip.text_content().split("\n")[0] == probes.examples[shown]
    assert np.hypot(xs[shown] - xs[0], ys[shown] - ys[0]) < 8
    assert page.locator(f"{VIEW} script, {VIEW} b").count() == 0
    assert session.requests == [] and session.errors == [] and session.dialogs == []


def test_click_and_keys_select_layers_and_examples(offline, reports):
    session, page = open_report(offline, reports)
    probes = known_probes()
    view = page.locator(VIEW)
    box = page.locator(CHART).bounding_box()
    to_pixel = frame(340, 240, (46, 12, 10, 34), (-0.5, 2.5), (0.0, 1.0))
    before = canvas_rgba(page, SCATTER)
    page.mouse.click(box["x"] + to_pixel(0, 0)[0], box["y"] + 100)
    page.wait_for_selector(f"{VIEW}[data-painted-layer='0']")
    assert not np.array_equal(before, canvas_rgba(page, SCATTER)), "the scatter shows layer 0"
    rgba = canvas_rgba(page, SCATTER)
    xs, ys = scatter_pixels(probes, 0)
    distance = np.hypot(xs[:, None] - xs[None], ys[:, None] - ys[None]) + np.eye(len(xs)) * 99
    i = int(np.argmax(distance.min(1)))
    assert tuple(rgba[int(ys[i]), int(xs[i]), :3]) == class_colors(False)[int(probes.labels[i])]
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"{VIEW}[data-painted-layer='1']")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"{VIEW}[data-painted-layer='2']")
    box = page.locator(SCATTER).bounding_box()
    xs, ys = scatter_pixels(probes, 2)
    distance = np.hypot(xs[:, None] - xs[None], ys[:, None] - ys[None]) + np.eye(len(xs)) * 99
    i = int(np.argmax(distance.min(1)))
    page.mouse.click(box["x"] + xs[i], box["y"] + ys[i])
    page.wait_for_selector(f"{VIEW}[data-example='{i}']")
    assert (
        f"selected example {i}: {probes.examples[i]}"
        in view.locator(".mi-selection").text_content()
    )
    page.keyboard.press("Escape")
    page.wait_for_selector(f"{VIEW}[data-example='-1']")
    assert session.requests == [] and session.errors == []


def test_save_png_downloads_the_figure(offline, reports):
    _, page = open_report(offline, reports, "dark")
    with page.expect_download() as download_info:
        page.locator(f"{VIEW} .mi-save-png").click()
    download = download_info.value
    assert download.suggested_filename == "probe-layer-1.png"
    data = pathlib.Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def imbalanced_probes() -> mw.ProbeResult:
    """Two layers of 400 examples, 7 % positive; a weak signal at layer 1."""
    generator = torch.Generator().manual_seed(3)
    acts = torch.randn(2, 400, 8, generator=generator)
    labels = (torch.arange(400) % 14 == 0).long()
    acts[1, :, 0] += labels * 3.0
    return mw.probe(acts, labels=labels, layers=[0, 1], seed=1)


def test_imbalanced_labels_chart_auc_and_the_switch_works_from_the_keyboard(offline, tmp_path):
    probes = imbalanced_probes()
    assert probes.chance > 0.9
    path = mw.to_html(mw.ProbeView(probes, layer=1), tmp_path / "imbalanced.html")
    session = offline()
    page = session.open(path, ready=READY)
    view = page.locator(VIEW)
    assert view.get_attribute("data-metric") == "auc"
    assert f"held-out AUC {probes.auc[1]:.3f}" in view.locator(".mi-selection").text_content()
    # the AUC dots sit on a [0, 1] axis (AUC and its 0.5 chance are far apart)
    chart = canvas_rgba(page, CHART)
    to_pixel = frame(340, 240, (46, 12, 10, 34), (-0.5, 1.5), (0.0, 1.0))
    xs, ys = to_pixel(np.arange(2), probes.auc.astype(np.float32))
    for x, y in zip(xs, ys, strict=True):
        assert tuple(chart[int(y), int(x), :3]) == ACCENT["light"]
    # reach the switch with Tab, change it with an arrow key
    view.focus()
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "mi-probe-metric-select":
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "score shown in the chart"
    )
    page.keyboard.press("ArrowUp")
    page.wait_for_selector(f"{VIEW}[data-metric='accuracy']")
    assert view.get_attribute("data-layer") == "1", "the arrow key did not move the layer"
    accuracy_chart = canvas_rgba(page, CHART)
    assert not np.array_equal(chart, accuracy_chart)
    # accuracy, control and chance lie within a few hundredths: the axis zooms to them
    y_low, y_high = map(float, view.get_attribute("data-y-range").split(","))
    values = [*probes.accuracy, *probes.control_accuracy, probes.chance]
    assert 0.8 < y_low < min(values) and max(values) < y_high <= 1 and y_high - y_low <= 0.1
    to_pixel = frame(340, 240, (46, 12, 10, 34), (-0.5, 1.5), (y_low, y_high))
    xs, ys = to_pixel(np.arange(2), probes.accuracy.astype(np.float32))
    for x, y in zip(xs, ys, strict=True):
        assert tuple(accuracy_chart[int(y), int(x), :3]) == ACCENT["light"]
    assert session.requests == [] and session.errors == []
