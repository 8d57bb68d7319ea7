"""Invisible and very long tokens in the exported views, in Chromium offline."""

from __future__ import annotations

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.widgets import FeatureDashboard
from tests.conftest import identity_attention
from tests.synthetic_features import FakeOrigin, synthetic_stats

pytestmark = pytest.mark.browser

LONG = "w" * 5000
RLO = "\u202e"
TOKENS = [" a", LONG, RLO, " b", "\u200b", " c"]


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, "the element is displayed"
    return found


def test_attention_strip_and_labels_keep_long_and_invisible_tokens_in_bounds(offline, tmp_path):
    n = len(TOKENS)
    path = tmp_path / "attention.html"
    mw.to_html(mw.AttentionView(attention=identity_attention(1, 2, n), tokens=TOKENS), path)
    session = offline()
    page = session.open(path)
    strip = box(page.locator(".mi-token-strip"))
    tokens = page.locator(".mi-token-strip .mi-token")
    assert tokens.count() == n
    for i in range(n):
        token = box(tokens.nth(i))
        assert token["x"] + token["width"] <= strip["x"] + strip["width"] + 1, i
        assert token["height"] < 40, f"token {i} stays on one line"
    long = tokens.nth(1)
    assert long.text_content().endswith("…") and len(long.text_content()) < 100
    assert LONG in long.get_attribute("title")
    rlo = tokens.nth(2)
    assert rlo.text_content() == "⟨U+202E⟩"
    assert "U+202E" in rlo.get_attribute("title")
    assert box(rlo)["width"] > 20, "the stand-in is visible"
    assert tokens.nth(4).text_content() == "⟨U+200B⟩"
    assert session.errors == []


def test_neuron_text_keeps_a_long_token_on_few_lines(offline, tmp_path):
    acts = np.linspace(-1, 1, 2 * len(TOKENS) * 3, dtype=np.float32).reshape(2, len(TOKENS), 3)
    path = tmp_path / "neuron.html"
    mw.to_html(mw.NeuronView(activations=acts, tokens=TOKENS), path)
    session = offline()
    page = session.open(path, ".mi-neuron-view[data-ready='true']")
    text = box(page.locator(".mi-neuron-text"))
    spans = page.locator(".mi-neuron-text .mi-ntok")
    short = box(spans.nth(0))
    long = spans.nth(1)
    assert long.text_content().endswith("…")
    assert LONG in long.get_attribute("title")
    rects = long.evaluate("el => Array.from(el.getClientRects(), r => [r.left, r.right, r.height])")
    assert len(rects) <= 2, f"the long token wraps over {len(rects)} lines"
    assert max(right for _, right, _ in rects) <= text["x"] + text["width"] + 1
    assert box(long)["height"] <= 3 * short["height"]
    assert spans.nth(2).text_content() == "⟨U+202E⟩"
    assert session.errors == []


def max_token_lefts(page, rows: str) -> list[float]:
    """The left edge (px) of the example token of each row matched by ``rows``."""
    return page.eval_on_selector_all(
        f"{rows} .mi-example-max", "els => els.map(e => e.getBoundingClientRect().left)"
    )


def test_neuron_example_rows_align_on_their_example_token(
    offline, tmp_path, tiny_family_models, tiny_gpt2
):
    corpus = ["the cat sat on the mat", "a dog ran to the cat", "on the mat the dog sat down"]
    model = tiny_family_models["gpt2"]
    trace = mw.trace(model, tiny_gpt2[1], corpus[2])
    top = mw.top_activations(model, tiny_gpt2[1], corpus, layer=1, k=6, context=4, progress=False)
    centers = {example.center for example in top.examples(3)}
    assert len(centers) > 1, "the rows start at different offsets from their example token"
    path = tmp_path / "neuron.html"
    mw.to_html(mw.NeuronView(trace, layer=1, neuron=3, examples=top), path)
    session = offline()
    page = session.open(path, ".mi-neuron-view[data-ready='true']")
    page.wait_for_selector(".mi-examples[data-state='ready']")
    lefts = max_token_lefts(page, ".mi-example")
    assert len(lefts) == len(top.examples(3))
    assert max(lefts) - min(lefts) <= 1, lefts
    assert session.errors == []


def test_feature_example_rows_align_on_their_example_token(offline, tmp_path):
    stats = synthetic_stats(24)
    f = 3
    path = mw.to_html(
        FeatureDashboard(stats, feature=f, origin=FakeOrigin(24)), tmp_path / "features.html"
    )
    session = offline()
    page = session.open(path, f".mi-feature-dashboard[data-painted-feature='{f}']")
    lefts = max_token_lefts(page, ".mi-examples .mi-example")
    assert len(lefts) == len(stats.examples(f)) > 1
    assert max(lefts) - min(lefts) <= 1, lefts
    assert session.errors == []
