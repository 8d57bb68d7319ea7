"""Numbers README.md (and a notebook's markdown) quotes about the demo model, recomputed from
the code (or read from the executed notebook) at the printed precision: the text must change
when the code's results do."""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.cli import DEMO_TEXT

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
CAUSAL_NOTEBOOK = REPO / "notebooks" / "04_causal_interventions.ipynb"
PROBE_NOTEBOOK = REPO / "notebooks" / "05_probing_and_superposition.ipynb"
WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
#: A head "is" a previous-token or induction head from this score on (as in the demo report).
STRONG = 0.5


@pytest.fixture(scope="module")
def demo_model():
    return mw.demo_model()


def quoted(pattern: str, path: pathlib.Path = README) -> re.Match[str]:
    """The passage of ``path`` matching ``pattern`` (whitespace-insensitive), else a failure.

    A notebook is searched in its markdown cells.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    match = re.search(pattern, " ".join(text.split()))
    assert match, f"{path.name} no longer quotes {pattern!r}: update this test with the text"
    return match


def printed(value: float, like: str) -> str:
    """``value`` with as many decimals as the quoted number ``like``."""
    decimals = len(like.split(".")[1]) if "." in like else 0
    return f"{value:.{decimals}f}"


def test_head_scores_of_the_demo_model(demo_model):
    scores = mw.head_scores(*demo_model)
    previous = quoted(r"(\w+) previous-token heads in layer 0 \(scores ([\d.]+) and ([\d.]+)\)")
    layer0 = np.sort(scores["previous_token"][0])[::-1]
    strong = layer0[layer0 >= STRONG]
    assert len(strong) == WORDS[previous[1]]
    assert [printed(v, q) for v, q in zip(strong, previous.groups()[1:], strict=True)] == list(
        previous.groups()[1:]
    )
    induction = quoted(r"(\w+) induction heads in layer 1 \(([\d.]+) to ([\d.]+)\)")
    layer1 = scores["induction"][1]
    strong = layer1[layer1 >= STRONG]
    assert len(strong) == WORDS[induction[1]]
    assert (printed(strong.min(), induction[2]), printed(strong.max(), induction[3])) == (
        induction[2],
        induction[3],
    )


def test_induction_on_the_demo_text(demo_model):
    caption = quoted(
        r"induction scores on this text \(layer (\d+), head (\d+) is the best, ([\d.]+)\)"
    )
    trace = mw.trace(*demo_model, DEMO_TEXT, kinds={"attention"})
    layer, head, value = mw.head_scores(trace).top("induction", 1)[0]
    assert (str(layer), str(head), printed(value, caption[3])) == caption.groups()


def test_knocking_out_one_induction_head(demo_model):
    clean = "The list holds key value file name. The list holds key"
    corrupted = "The list holds key error file name. The list holds key"
    metric = mw.logit_diff(" value", " error")
    noised = mw.patch(*demo_model, clean, corrupted, metric, component="head", direction="noise")
    kept = np.sort(noised.values[1])[:3] * 100  # the three layer-1 heads that carry the answer
    measured = (f"{kept.min():.0f}", f"{kept.max():.0f}")
    assert quoted(r"knocking out one leaves (\d+)–(\d+) %").groups() == measured
    notebook = quoted(r"Knocking out any one of the three keeps (\d+)-(\d+) %", CAUSAL_NOTEBOOK)
    assert notebook.groups() == measured


def notebook_stdout(notebook) -> str:
    """Everything the executed notebook's code cells printed."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


def test_probe_and_steering_numbers(executed_notebook):
    out = notebook_stdout(executed_notebook(PROBE_NOTEBOOK))
    probe = re.search(
        r"layer 0: held-out accuracy ([\d.]+) \(AUC ([\d.]+)\), control ([\d.]+), "
        r"chance ([\d.]+)",
        out,
    )
    assert probe, out
    accuracy, auc, control, chance = probe.groups()
    quote = quoted(
        r"accuracy ([\d.]+), AUC ([\d.]+) after layer 0; chance and the control: ([\d.]+)\)"
    )
    assert control == chance and quote.groups() == (accuracy, auc, chance)
    mass = dict(re.findall(r"^alpha +(\d+): P\(code-like token\) = ([\d.]+)", out, re.M))
    random = re.search(r"random direction, alpha 32: P\(code-like token\) = ([\d.]+)", out)
    assert random and {"0", "32"} <= set(mass), out
    steer = quoted(
        r"from ([\d.]+) % to ([\d.]+) % of the probability at `alpha` 32; "
        r"a random direction of the same length: ([\d.]+) %"
    )
    percents = [100 * float(value) for value in (mass["0"], mass["32"], random[1])]
    assert [printed(v, q) for v, q in zip(percents, steer.groups(), strict=True)] == list(
        steer.groups()
    )
