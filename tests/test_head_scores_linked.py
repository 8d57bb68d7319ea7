"""A HeadScoresView linked to an AttentionView opens on a head that does the score on the text
shown, and says which input its scores come from (demo model)."""

from __future__ import annotations

import numpy as np
import pytest

import mi_widgets as mw

SENTENCE = "The quick brown fox jumps over the lazy dog."
REPEATED = f"{SENTENCE} {SENTENCE}"


@pytest.fixture(scope="module")
def demo():
    model, tokenizer = mw.demo_model()
    random_scores = mw.head_scores(model, tokenizer)
    trace = mw.trace(model, tokenizer, REPEATED, kinds={"attention"})
    return model, tokenizer, random_scores, trace


def test_linked_view_opens_on_the_top_induction_head_of_the_text(demo):
    _, _, random_scores, trace = demo
    on_text = mw.head_scores(trace).top("induction", 1)[0]
    on_random = random_scores.top("induction", 1)[0]
    assert on_text[:2] != on_random[:2], "the two inputs disagree on the top head"
    attention = mw.AttentionView(trace)
    grid = mw.HeadScoresView(random_scores, attention=attention)
    selected = (grid.scores.layers[grid.layer], grid.head)
    assert selected == on_text[:2]
    assert (attention.layer, attention.head) == (grid.layer, grid.head)
    assert grid.scores is random_scores and grid.source == random_scores.source
    assert grid.title.startswith(f"Scores: {random_scores.source}, not the text shown.")
    assert "repeated random tokens" in grid.title
    layer, head, value = on_text
    shown = float(grid.text_scores["induction"][grid.layer, grid.head])  # of uint8 attention
    assert abs(shown - value) <= 1 / 510
    assert (
        f"Opened on L{layer}H{head}, the top induction head on the text shown ({shown:.2f})."
        in grid.title
    )


def test_text_scores_are_the_scores_of_the_attention_view_text(demo):
    _, _, random_scores, trace = demo
    grid = mw.HeadScoresView(random_scores, attention=mw.AttentionView(trace))
    exact = mw.head_scores(trace)
    assert grid.text_scores is not None
    for name in exact.names:
        np.testing.assert_allclose(grid.text_scores[name], exact[name], atol=1 / 255)
    repeats = exact.source.split(" tokens ", 1)[1]  # "(19 repeat an earlier token)"
    assert (
        grid.text_scores.source == f"the attention view's text of {trace.n_tokens} tokens {repeats}"
    )
    grid.scores = grid.text_scores  # one line shows the text's own scores
    assert grid.source == grid.text_scores.source


def test_scores_of_the_text_itself_keep_their_title_and_best_head(demo):
    _, _, _, trace = demo
    scores = mw.head_scores(trace)
    grid = mw.HeadScoresView(scores, score="previous_token", attention=mw.AttentionView(trace))
    assert grid.title == scores.source
    best = scores.top("previous_token", 1)[0]
    assert (scores.layers[grid.layer], grid.head) == best[:2]


def test_an_explicit_head_or_title_wins(demo):
    _, _, random_scores, trace = demo
    grid = mw.HeadScoresView(
        random_scores, layer=0, head=1, attention=mw.AttentionView(trace), title="mine"
    )
    assert (grid.layer, grid.head, grid.title) == (0, 1, "mine")


def test_a_text_without_repeats_keeps_the_best_head_and_says_so(demo):
    model, tokenizer, random_scores, _ = demo
    plain = mw.trace(model, tokenizer, "One two three four.", kinds={"attention"})
    grid = mw.HeadScoresView(random_scores, attention=mw.AttentionView(plain))
    assert (grid.layer, grid.head) == (1, random_scores.top("induction", 1)[0][1])
    assert grid.title == f"Scores: {random_scores.source}, not the text shown."
