"""The exported FeatureDashboard in Chromium with every network request aborted."""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.widgets import FeatureDashboard
from mi_widgets.widgets.feature import EXPORT_NOTE
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pixels import canvas_rgba, css_rgb, expected_colors
from tests.synthetic_features import FakeOrigin, demo_stats, is_dead, synthetic_stats

pytestmark = pytest.mark.browser

ROOT = ".mi-feature-dashboard"
_HISTOGRAM_TS = pathlib.Path(__file__).resolve().parents[2] / "js/src/feature/histogram.ts"


def painted(feature: int) -> str:
    return f"{ROOT}[data-painted-feature='{feature}']"


def bar_color(dark: bool) -> list[int]:
    name = "BAR_DARK" if dark else "BAR_LIGHT"
    hex_ = re.search(name + r' = "#([0-9a-f]{6})"', _HISTOGRAM_TS.read_text()).group(1)
    return [int(hex_[i : i + 2], 16) for i in (0, 2, 4)]


def listed(page) -> list[int]:
    """Features of the rows in the DOM, in list order."""
    rows = page.eval_on_selector_all(
        ".mi-feature-list .mi-feature-row:not([hidden])",
        "els => els.map(e => [+e.dataset.position, +e.dataset.feature])",
    )
    return [f for _, f in sorted(rows)]


@pytest.fixture(scope="module")
def stats():
    return synthetic_stats(24)


def open_report(offline, tmp_path, dash, theme="light", feature=None):
    path = mw.to_html(dash, tmp_path / f"features_{theme}.html", theme=theme)
    session = offline(color_scheme=theme)
    page = session.open(path, painted(dash.feature if feature is None else feature))
    return session, page


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_tokens_and_bars_have_the_colours_of_their_values(offline, tmp_path, stats, theme):
    dark = theme == "dark"
    f = 3
    dash = FeatureDashboard(stats, feature=f, origin=FakeOrigin(24))
    session, page = open_report(offline, tmp_path, dash, theme)
    scale = float(stats.max[f])
    assert float(page.locator(ROOT).get_attribute("data-scale")) == scale
    rows = page.locator(".mi-examples .mi-example")
    examples = stats.examples(f)
    assert rows.count() == len(examples) == 4
    for j, example in enumerate(examples):
        spans = f".mi-examples .mi-example[data-rank='{j}'] .mi-ntok"
        values = example.values.astype(np.float16).astype(np.float64)
        np.testing.assert_array_equal(css_rgb(page, spans), expected_colors(values, dark, scale))
        marked = rows.nth(j).locator(".mi-example-max")
        assert int(marked.get_attribute("data-index")) == example.center
        assert rows.nth(j).get_attribute("data-doc") == str(example.doc)
    # one bar per bin from the first to the last non-empty bin, height in proportion
    counts, _ = stats.histogram(f)
    pixels = canvas_rgba(page, ".mi-histogram")
    height, width = pixels.shape[:2]
    first, last = np.flatnonzero(counts)[[0, -1]]
    slot = width / (last - first + 1)
    for b in range(first, last + 1):
        x = int(((b - first) + 0.5) * slot)
        bar = 0 if counts[b] == 0 else max(1, round(counts[b] / counts.max() * height))
        if bar:
            assert pixels[height - 1, x, :3].tolist() == bar_color(dark), b
            assert pixels[height - bar, x, 3] == 255
        if bar < height:
            assert pixels[height - bar - 1, x, 3] == 0, f"nothing above bar {b}"
    text = page.locator(".mi-probe-note").text_content()
    assert text == EXPORT_NOTE and page.locator(".mi-probe-input").is_disabled()
    assert page.locator(".mi-probe-run").is_disabled()
    assert session.requests == [] and session.errors == []
    page.locator(ROOT).screenshot(path=SCREENSHOTS / f"feature_export_{theme}.png")


def test_hover_shows_exact_values(offline, tmp_path, stats):
    dash = FeatureDashboard(stats, feature=3, precision="float32")
    _, page = open_report(offline, tmp_path, dash)
    tooltip = page.locator(".mi-tooltip")
    example = stats.examples(3)[1]
    page.locator(".mi-examples .mi-example[data-rank='1'] .mi-example-max").hover()
    tooltip.wait_for(state="visible")
    assert float(tooltip.get_attribute("data-value")) == example.value
    assert json.dumps(example.tokens[example.center], ensure_ascii=False) in tooltip.text_content()
    counts, edges = stats.histogram(3)
    box = page.locator(".mi-histogram").bounding_box()
    first, last = np.flatnonzero(counts)[[0, -1]]
    b = int(np.argmax(counts))
    page.mouse.move(box["x"] + (b - first + 0.5) * box["width"] / (last - first + 1), box["y"] + 90)
    page.wait_for_selector(f".mi-tooltip[data-bin='{b}']")
    assert int(tooltip.get_attribute("data-count")) == counts[b]
    assert float(tooltip.get_attribute("data-low")) == edges[b]
    assert float(tooltip.get_attribute("data-high")) == edges[b + 1]
    assert f"[{edges[b]:g}, {edges[b + 1]:g})" in tooltip.text_content()
    page.locator(".mi-feature-row[data-feature='5']").hover()
    page.wait_for_selector(".mi-tooltip[data-feature='5']")
    assert float(tooltip.get_attribute("data-density")) == pytest.approx(stats.density[5])
    assert float(tooltip.get_attribute("data-max")) == stats.max[5]
    page.locator(".mi-logit-value.mi-raised").first.hover()
    assert tooltip.text_content().endswith(f": {stats.logit_top_values[3, 0]:g}")


def test_nearest_feature_click_keys_and_list_clicks_switch_the_panels(offline, tmp_path, stats):
    dash = FeatureDashboard(stats, feature=3, embed=[5, 6, 7, 8, 9, 10])
    session, page = open_report(offline, tmp_path, dash)
    nearest = page.eval_on_selector_all(".mi-neighbour", "els => els.map(e => +e.dataset.feature)")
    assert nearest == stats.nearest[3].tolist()
    page.locator(".mi-neighbour[data-feature='5']").click()
    page.wait_for_selector(painted(5))
    assert page.locator(".mi-feature-title").text_content() == "Feature 5"
    tokens = page.locator(".mi-examples .mi-example[data-rank='0'] .mi-ntok").all_text_contents()
    assert tokens == [
        t.replace("\n", "↵").replace("\t", "⇥") or "∅" for t in stats.examples(5)[0].tokens
    ]
    groups = page.locator(".mi-interval")
    assert groups.count() == stats.n_intervals
    for g, (low, high, count, examples) in enumerate(stats.interval_examples(5)):
        groups.nth(g).scroll_into_view_if_needed()  # rows are built when a group comes near
        page.wait_for_selector(f".mi-interval[data-group='{g}'][data-built='true']")
        label = groups.nth(g).locator(".mi-interval-label").text_content()
        low, high = np.float16(low), np.float16(high)  # sent as float16
        assert label.startswith(f"({low:.4f}, {high:.4f}]") and f"· {count} activations" in label
        assert groups.nth(g).locator(".mi-example").count() == len(examples)
    assert page.locator(".mi-feature-row.mi-current").get_attribute("data-feature") == "5"
    page.locator(ROOT).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(painted(6))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector(painted(8))  # 6 -> 7 -> 8 (no dead feature in between)
    page.locator(".mi-feature-row[data-feature='10']").click()
    page.wait_for_selector(painted(10))
    assert session.requests == [] and session.errors == []


def test_search_sort_and_hide_dead(offline, tmp_path, stats):
    dash = FeatureDashboard(stats, feature=0)
    _, page = open_report(offline, tmp_path, dash)
    alive = [f for f in range(24) if not is_dead(f, 5)]
    assert listed(page) == alive and page.locator(ROOT).get_attribute("data-listed") == "20"
    page.locator(ROOT).focus()
    page.keyboard.press("/")
    page.keyboard.type("W13")
    matching = [
        f for f in alive if any("w13" in e.tokens[e.center].lower() for e in stats.examples(f))
    ]
    assert matching
    page.wait_for_selector(f"{ROOT}[data-listed='{len(matching)}']")
    assert listed(page) == matching
    page.keyboard.press("Enter")
    page.wait_for_selector(painted(matching[0]))
    page.keyboard.press("Escape")
    page.wait_for_selector(f"{ROOT}[data-listed='20']")
    page.locator(".mi-feature-sort").select_option("max:desc")
    by_max = sorted(alive, key=lambda f: (-stats.max[f], f))
    page.wait_for_selector(f"{ROOT}[data-sort='max:desc']")
    assert listed(page) == by_max
    page.locator(".mi-feature-sort").select_option("density:asc")
    page.wait_for_selector(f"{ROOT}[data-sort='density:asc']")
    assert listed(page) == sorted(alive, key=lambda f: (stats.density[f], f))
    page.locator(".mi-hide-dead").uncheck()
    page.wait_for_selector(f"{ROOT}[data-listed='24']")
    assert listed(page)[:4] == [4, 9, 14, 19], "dead features have the lowest density"
    page.locator(".mi-feature-search").fill("#4")
    page.wait_for_selector(f"{ROOT}[data-listed='1']")
    page.locator(".mi-feature-row[data-feature='4']").click()
    page.wait_for_selector(painted(4))
    assert page.locator(".mi-feature-stats").text_content().startswith("dead: never non-zero")
    status = page.locator(".mi-examples > .mi-examples-status").text_content()
    assert "this feature never fired" in status


def test_a_long_list_keeps_few_rows_in_the_page(offline, tmp_path):
    stats = synthetic_stats(4096)
    _, page = open_report(offline, tmp_path, FeatureDashboard(stats, embed=1))
    rows = ".mi-feature-list .mi-feature-row"
    assert page.locator(rows).count() < 60
    page.locator(".mi-feature-list").evaluate("el => { el.scrollTop = 2000 * 24; }")
    page.wait_for_selector(".mi-feature-row[data-feature='2500']")
    assert page.locator(rows).count() < 60
    shown = listed(page)
    assert 2500 in shown and all(2400 < f < 2600 for f in shown)


def test_features_not_embedded_are_marked_and_listed(offline, tmp_path, stats):
    dash = FeatureDashboard(stats, feature=0, embed=[1])
    session, page = open_report(offline, tmp_path, dash)
    assert "2 embedded in this report" in page.locator(".mi-list-count").text_content()
    row = page.locator(".mi-feature-row[data-feature='2']")
    assert "mi-not-embedded" in row.get_attribute("class")
    row.click()
    page.wait_for_selector(painted(2))
    assert page.locator(ROOT).get_attribute("data-panels") == "missing"
    text = page.locator(".mi-feature-missing").text_content()
    assert "Feature 2 is not embedded in this report" in text
    assert page.locator(".mi-fd-panels").is_hidden()
    stats_line = page.locator(".mi-feature-stats").text_content()
    firing = round(stats.density[2] * stats.n_tokens)
    assert stats_line.startswith("density ") and f"({firing} of 10,000 tokens)" in stats_line
    page.locator(".mi-feature-row[data-feature='1']").click()
    page.wait_for_selector(painted(1))
    assert page.locator(".mi-fd-panels").is_visible()
    assert session.requests == [] and session.errors == []


def test_hostile_tokens_stay_text(offline, tmp_path, stats):
    f = 22  # its top example's maximum token is "<script>alert(1)</script>"
    dash = FeatureDashboard(stats, feature=f, embed=24)
    session, page = open_report(offline, tmp_path, dash)
    example = stats.examples(f)[0]
    spans = page.eval_on_selector_all(
        ".mi-examples .mi-example[data-rank='0'] .mi-ntok",
        "els => els.map(e => [e.textContent, e.childElementCount])",
    )
    assert [text for text, _ in spans][example.center] == "<script>alert(1)</script>"
    assert all(children == 0 for _, children in spans)
    token = page.locator(f".mi-feature-row[data-feature='{f}'] .mi-fr-token")
    assert token.get_attribute("title") == '"<script>alert(1)</script>"'
    for feature in range(24):  # every panel of every feature
        page.locator(".mi-feature-search").fill(f"#{feature}")
        page.locator(f".mi-feature-row[data-feature='{feature}']").click()
        page.wait_for_selector(painted(feature))
        if feature == 0:  # raises the logits of the first vocabulary entries
            logits = page.locator(".mi-logit-token.mi-raised .mi-tok").all_text_contents()
            assert logits[:2] == ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
    assert page.locator(f"{ROOT} img, {ROOT} script").count() == 0
    assert session.dialogs == [] and session.errors == []


@pytest.mark.usefixtures("torch_single_thread")
def test_real_statistics_of_the_demo_model(offline, tmp_path):
    stats = demo_stats("blocks.1.mlp.hook_post")  # an MLP site: no logit effects
    dash = FeatureDashboard(stats, embed=stats.n_features)
    session, page = open_report(offline, tmp_path, dash)
    for f in np.flatnonzero(~stats.dead)[:6].tolist():
        page.locator(".mi-feature-search").fill(f"#{f}")
        page.locator(f".mi-feature-row[data-feature='{f}']").click()
        page.wait_for_selector(painted(f))
        examples = stats.examples(f)
        rows = page.locator(".mi-examples .mi-example")
        assert rows.count() == len(examples)
        for j, example in enumerate(examples):
            assert int(rows.nth(j).get_attribute("data-position")) == example.position
            spans = rows.nth(j).locator(".mi-ntok").all_text_contents()
            assert len(spans) == len(example.tokens)
        assert page.locator(".mi-logits").text_content().startswith("none: this site")
    assert session.requests == [] and session.errors == []


def test_save_png_downloads_the_picture(offline, tmp_path, stats):
    _, page = open_report(offline, tmp_path, FeatureDashboard(stats, feature=3))
    with page.expect_download() as download_info:
        page.locator(".mi-save-png").click()
    saved = tmp_path / "saved.png"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == "feature-3.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved.stat().st_size > 5000
