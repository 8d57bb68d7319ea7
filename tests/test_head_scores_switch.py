"""The switch of a linked HeadScoresView between the given scores and those of the attention
view's text (``scores_on``): traits, both grids on the wire, refused values."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array
from tests.conftest import random_causal_attention

L, H = 3, 4
TOKENS = list("abcabc")  # every token repeats: induction is defined on the text
NAMES = ["previous_token", "induction", "duplicate_token", "first_token"]


def given_scores(source: str = "GPT2 on 8 sequences of repeated random tokens") -> mw.HeadScores:
    rng = np.random.default_rng(3)
    values = {name: rng.uniform(0, 1, (L, H)).astype(np.float32) for name in NAMES}
    return mw.HeadScores(values, layers=(0, 1, 2), source=source)


def attention_view() -> mw.AttentionView:
    return mw.AttentionView(attention=random_causal_attention(L, H, len(TOKENS)), tokens=TOKENS)


def stacked(scores: mw.HeadScores) -> np.ndarray:
    return np.stack([scores[name] for name in NAMES]).astype(np.float32)


def test_both_grids_travel_and_the_switch_names_both_inputs():
    view = mw.HeadScoresView(given_scores(), attention=attention_view())
    assert view.scores_on == "given"
    assert view.source_labels == {"given": "random repeats", "text": "this text"}
    np.testing.assert_array_equal(decode_array(view._values), stacked(view.scores))
    np.testing.assert_array_equal(decode_array(view._text_values), stacked(view.text_scores))
    assert not np.allclose(decode_array(view._values), decode_array(view._text_values))
    assert view.text_title == f"Scores: {view.text_scores.source}."
    assert view.title.startswith("Scores: GPT2 on 8 sequences of repeated random tokens, not")


def test_scores_on_switches_what_python_reports():
    given = given_scores()
    view = mw.HeadScoresView(given, attention=attention_view(), layer=1, head=2)
    view.scores_on = "text"
    assert view.shown_scores is view.text_scores and view.scores is given
    assert view.source == view.text_scores.source
    shown = float(view.text_scores["induction"][1, 2])
    assert f"L1H2 = {shown:.4f}, scores on the text shown)" in repr(view)
    view.set_state({"scores_on": "given"})  # what a click in the page sends
    assert view.shown_scores is given and view.source == given.source
    assert (view.layer, view.head) == (1, 2), "switching keeps the selected head"


def test_scores_on_text_can_be_the_opening_grid():
    view = mw.HeadScoresView(given_scores(), attention=attention_view(), scores_on="text")
    assert view.scores_on == "text" and view.source == view.text_scores.source


def test_a_user_title_heads_both_grids():
    view = mw.HeadScoresView(given_scores(), attention=attention_view(), title="mine")
    assert (view.title, view.text_title) == ("mine", "mine")


def test_other_scores_go_back_to_the_given_grid():
    view = mw.HeadScoresView(given_scores(), attention=attention_view(), scores_on="text")
    other = given_scores(source="other scores")
    view.scores = other
    assert view.scores_on == "given" and view.shown_scores is other
    assert view.title == "Scores: other scores, not the text shown."
    assert view.source_labels["given"] == "given scores"
    view.scores = view.text_scores  # the text's own scores: nothing to switch to
    assert view._text_values == {} and view.source_labels == {} and view.text_title == ""
    assert view.title == view.text_scores.source


def test_a_score_the_text_lacks_is_nan_on_the_text_grid():
    mine = mw.HeadScores({"mine": np.full((L, H), 0.5), "induction": np.zeros((L, H))})
    view = mw.HeadScoresView(mine, score="mine", attention=attention_view())
    text = decode_array(view._text_values)
    assert text.shape == (2, L, H) and np.isnan(text[0]).all()
    np.testing.assert_allclose(text[1], view.text_scores["induction"], atol=1e-7)
    view.scores_on = "text"
    assert "score='mine'" in repr(view) and "= nan" in repr(view)


def test_bad_scores_on_is_refused_with_the_reason():
    view = mw.HeadScoresView(given_scores(), attention=attention_view())
    with pytest.raises(ValueError, match=r"scores_on must be 'given' or 'text', got 'both'"):
        view.scores_on = "both"
    with pytest.raises(ValueError, match=r"scores_on must be 'given' or 'text', got 'Text'"):
        mw.HeadScoresView(given_scores(), attention=attention_view(), scores_on="Text")
    alone = mw.HeadScoresView(given_scores())
    with pytest.raises(
        ValueError,
        match=r"scores_on='text' needs an AttentionView of another input than the scores, given as "
        r"attention= \(none is linked\)",
    ):
        alone.scores_on = "text"
    attention = attention_view()
    own = mw.head_scores(attention.attention, input_ids=[0, 1, 2, 0, 1, 2])
    same = mw.HeadScoresView(own, attention=attention)
    with pytest.raises(ValueError, match=r"\(the linked one shows the scores' own input\)"):
        same.scores_on = "text"
    assert view.scores_on == same.scores_on == "given"


def test_the_demo_report_offers_the_switch_on_a_text_without_repeats(tmp_path):
    from mi_widgets.cli import main

    path = tmp_path / "demo.html"
    assert main(["demo", "-o", str(path), "--text", "One two three four five."]) == 0
    text = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="mi-widgets-data">(.*?)</script>', text, re.S).group(1))
    grid = data["views"][0]["state"]
    assert grid["title"].startswith("Scores: ") and "not the text shown" in grid["title"]
    assert grid["source_labels"] == {"given": "random repeats", "text": "this text"}
    assert grid["scores_on"] == "given" and set(grid["_text_values"]["data"]) == {"$blob"}
    assert grid["text_title"].startswith("Scores: the attention view's text of ")
