"""The exported GraphView for people who use a screen reader or only a keyboard: axe-core finds
nothing serious or critical, the canvas is an image with a text alternative, and the keyboard
alone reaches every action, each with a visible focus."""

from __future__ import annotations

import pytest

import mi_widgets as mw
from mi_widgets.widgets.graph import EXPORT_NOTE
from tests.browser.axe import audit, blocking
from tests.browser.conftest import SCREENSHOTS
from tests.graph_fixtures import known_graph
from tests.synthetic_features import synthetic_stats

pytestmark = pytest.mark.browser

ROOT = ".mi-graph-view"

#: Whether the focused element shows it: `:focus-visible` with a drawn outline.
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
}"""


def open_view(offline, tmp_path, theme="light", **options):
    stats = {0: synthetic_stats(500), 1: synthetic_stats(100)}
    view = mw.GraphView(
        known_graph(), stats=stats, node_threshold=1.0, edge_threshold=1.0, **options
    )
    path = mw.to_html(view, tmp_path / f"graph_{theme}.html", theme=theme)
    session = offline(theme)
    page = session.open(path, ready=f"{ROOT}[data-ready='true']")
    page.wait_for_selector(f"{ROOT}[data-listed='true']")
    return session, page


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_nothing_serious_and_the_canvas_is_described(offline, tmp_path, theme):
    session, page = open_view(offline, tmp_path, theme, selected="1_88_4")
    page.wait_for_selector(f"{ROOT} .mi-graph-card[data-state='ready']")
    page.locator(ROOT).focus()
    page.keyboard.press("i")  # the intervention result (here: why it needs a kernel) shows too
    page.wait_for_selector(f"{ROOT}[data-intervention='off']")
    found = audit(page, ROOT)
    assert blocking(found) == [], found
    canvas = page.locator(f"{ROOT} .mi-graph-canvas")
    assert canvas.get_attribute("role") == "img"
    assert canvas.get_attribute("aria-label").startswith("Attribution graph: 13 nodes and 12 edges")
    listed = page.locator(f"{ROOT} .mi-graph-nodes li").all_text_contents()
    assert len(listed) == 13 and any(item.startswith("L1 F88 @4") for item in listed)
    page.locator(ROOT).screenshot(path=SCREENSHOTS / f"graph_accessibility_{theme}.png")
    assert session.requests == [] and session.errors == []


def tab_to(page, selector: str, limit: int = 20) -> list[str]:
    """Press Tab until ``selector`` has the focus; every element passed on the way shows its
    focus. Returns the classes of the elements passed."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.className")
        passed.append(focused)
        assert page.evaluate(FOCUS_SHOWN), f"the focus on {focused!r} is not visible"
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return passed
    raise AssertionError(f"Tab never reached {selector}; it went through {passed}")


def test_the_keyboard_alone_reaches_every_action(offline, tmp_path):
    session, page = open_view(offline, tmp_path)
    root = page.locator(ROOT)
    tab_to(page, ROOT)
    # move along the strongest edges, select, pin
    page.keyboard.press("ArrowUp")  # the cursor starts on the most likely logit
    page.wait_for_selector(f"{ROOT}[data-cursor='3_5_4']")
    page.keyboard.press("ArrowDown")  # its strongest input: +3 from layer 1 feature 88
    page.wait_for_selector(f"{ROOT}[data-cursor='1_88_4']")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{ROOT}[data-selected='1_88_4']")
    page.keyboard.press("p")
    page.keyboard.press("ArrowDown")  # strongest input: -2 from layer 0 feature 412
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{ROOT}[data-selected='0_412_4']")
    page.keyboard.press("p")
    assert page.locator(f"{ROOT} .mi-group").is_enabled()  # two nodes pinned
    # intervene (an exported report says why it cannot)
    page.keyboard.press("i")
    page.wait_for_selector(f"{ROOT}[data-intervention='off']")
    assert page.locator(f"{ROOT} .mi-graph-result").text_content() == EXPORT_NOTE
    # threshold sliders
    passed = tab_to(page, f"{ROOT} .mi-node-threshold")
    assert "mi-save-png" in passed[0]
    kept = int(root.get_attribute("data-kept"))
    page.keyboard.press("Home")  # node threshold 0: only the most influential nodes stay
    page.wait_for_function(
        f"document.querySelector('{ROOT} .mi-node-threshold + output').textContent === '0.00'"
    )
    assert int(root.get_attribute("data-kept")) < kept
    page.keyboard.press("End")
    tab_to(page, f"{ROOT} .mi-edge-threshold")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        f"document.querySelector('{ROOT} .mi-edge-threshold + output').textContent === '0.99'"
    )
    # group the pinned nodes into a named supernode, then split it again
    tab_to(page, f"{ROOT} .mi-group-name")
    page.keyboard.type("negative path")
    tab_to(page, f"{ROOT} .mi-group")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{ROOT}[data-selected='negative path']")
    tab_to(page, f"{ROOT} .mi-ungroup")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{ROOT}[data-selected='']")
    # save PNG
    tab_to(page, f"{ROOT} .mi-save-png")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".png")
    assert session.requests == [] and session.errors == []
