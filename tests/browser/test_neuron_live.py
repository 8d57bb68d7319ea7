"""NeuronView in a live JupyterLab: clicks and keys reach the kernel, Python reaches the page,
and examples of any neuron come from the kernel on demand."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

VIEW = ".mi-neuron-view[data-ready='true']"
TEXT = "When Mary and John went to the store, John gave a drink to"
CORPUS = ["Mary went to the store.", "John gave a drink to Mary.", "the store, the drink", TEXT]


@pytest.fixture
def notebook(live_notebook, jupyterlab, tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    top = mw.top_activations(model, tokenizer, CORPUS, layer=1, k=4, context=2, progress=False)
    top.save(jupyterlab.notebooks / "top.npz")
    np.save(jupyterlab.notebooks / "acts.npy", trace.mlp_post.numpy())
    (jupyterlab.notebooks / "tokens.json").write_text(json.dumps(trace.tokens))
    setup = """
import json
import numpy as np
import mi_widgets as mw
top = mw.TopActivations.load("top.npz")
view = mw.NeuronView(activations=np.load("acts.npy"), tokens=json.load(open("tokens.json")),
                     layer=1, neuron=3, examples=top, export_neurons=0)
view
"""
    nb = live_notebook("neuron_live.ipynb", [setup])
    nb.page.wait_for_selector(VIEW, timeout=60_000)
    nb.top = top
    nb.acts = trace.mlp_post.numpy()
    return nb


def test_clicks_and_keys_reach_the_kernel(notebook):
    page = notebook.page
    page.locator(".mi-neuron-text .mi-ntok[data-index='2']").click()
    notebook.wait_for_kernel_value("view.token", "2")
    best = np.argsort(-notebook.acts[1, 2], kind="stable")
    page.locator(f".mi-top-neuron[data-neuron='{best[1]}']").click()
    notebook.wait_for_kernel_value("view.neuron", str(best[1]))
    page.locator(".mi-layer-select").select_option("0")
    notebook.wait_for_kernel_value("view.layer", "0")
    page.locator(".mi-neuron-view").focus()
    page.keyboard.press("ArrowRight")
    notebook.wait_for_kernel_value("view.neuron", str(best[1] + 1))
    page.keyboard.press("Escape")
    notebook.wait_for_kernel_value("view.token", "None")
    page.locator(".mi-neuron-input").fill("17")
    page.locator(".mi-neuron-input").press("Enter")
    notebook.wait_for_kernel_value("(view.layer, view.neuron)", "(0, 17)")
    assert notebook.errors == []


def test_python_changes_reach_the_page_and_examples_come_on_demand(notebook):
    page = notebook.page
    page.wait_for_selector(".mi-examples[data-state='ready']")
    assert notebook.run("print(sorted(k for k in view._slices if 'example' in k))").strip() == (
        "['example-ids:1:3', 'examples:1:3']"
    )
    notebook.run("view.neuron = 40")
    page.wait_for_selector(".mi-neuron-view[data-painted-neuron='40']")
    page.wait_for_selector(".mi-neuron-view[data-examples-for='1,40'][data-examples='ready']")
    docs = page.eval_on_selector_all(".mi-example", "els => els.map(e => +e.dataset.doc)")
    assert docs == notebook.top.docs[0, 40].tolist()
    notebook.run("view.token = 4")
    page.wait_for_selector(".mi-neuron-view[data-token='4']")
    assert page.locator(".mi-ntok.mi-selected").get_attribute("data-index") == "4"
    notebook.run("view.layer = 0")
    page.wait_for_selector(".mi-neuron-view[data-painted-layer='0']")
    page.wait_for_selector(".mi-examples[data-state='other-layer']")
    assert page.locator(".mi-layer-select").input_value() == "0"
    values = page.eval_on_selector_all(
        ".mi-neuron-text .mi-ntok",
        "els => els.map(e => getComputedStyle(e).backgroundColor)",
    )
    assert len(set(values)) > 3, "layer 0, neuron 40 colours the text"
    notebook.run("view.layer = 1")
    page.wait_for_selector(".mi-examples[data-state='ready']")
    page.locator(".mi-neuron-view").screenshot(path=SCREENSHOTS / "neuron_live.png")
    assert notebook.errors == []
