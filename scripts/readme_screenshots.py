"""Screenshots for the README, taken in a real JupyterLab in Debian's Chromium.

    python scripts/readme_screenshots.py      # writes notebooks/images/*.png

Starts its own JupyterLab server (as the browser tests do), runs a cell that shows the demo
model's attention, hovers a cell and screenshots the view, in the light and the dark theme.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.harness import JupyterLab, LiveNotebook, launch_chromium  # noqa: E402

IMAGES = REPO / "notebooks" / "images"
CELL = """
import mi_widgets as mw
from mi_widgets.cli import DEMO_TEXT
from mi_widgets.demo import demo_model, strongest_induction_head
model, tokenizer = demo_model()
trace = mw.trace(model, tokenizer, DEMO_TEXT)
layer, head, score = strongest_induction_head(model, tokenizer)
view = mw.AttentionView(trace, layer=layer, head=head, query_token=len(trace.tokens) - 6)
view.locked = True
view
"""


def main() -> int:
    from playwright.sync_api import sync_playwright

    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        lab = JupyterLab(pathlib.Path(tmp))
        try:
            browser = launch_chromium(playwright)
            notebook = LiveNotebook(browser, lab, "readme.ipynb", [CELL])
            page = notebook.page
            page.wait_for_selector(".mi-attention-view[data-ready='true']", timeout=120_000)
            view = page.locator(".mi-attention-view")
            view.scroll_into_view_if_needed()
            box = page.locator(".mi-heatmap-main").bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.8)
            view.screenshot(path=str(IMAGES / "attention_view.png"))
            page.evaluate(
                "window.jupyterapp.commands.execute('apputils:change-theme',"
                " {theme: 'JupyterLab Dark'})"
            )
            page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
            page.wait_for_timeout(1000)
            page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.8)
            view.screenshot(path=str(IMAGES / "attention_view_dark.png"))
            notebook.close()
            browser.close()
        finally:
            lab.stop()
    print("wrote", *sorted(p.name for p in IMAGES.glob("*.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
