"""Numbers README.md quotes about the demo model, recomputed from the code at the printed
precision: the text must change when the code's results do."""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.cli import DEMO_TEXT

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
#: A head "is" a previous-token or induction head from this score on (as in the demo report).
STRONG = 0.5


@pytest.fixture(scope="module")
def demo_model():
    return mw.demo_model()


def quoted(pattern: str) -> re.Match[str]:
    """The README passage matching ``pattern`` (whitespace-insensitive), else a failure."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    match = re.search(pattern, text)
    assert match, f"README.md no longer quotes {pattern!r}: update this test with the text"
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
