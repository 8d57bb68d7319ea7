"""HeadScoresView traits, wire format, validation, and its link with AttentionView."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import traitlets

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array
from tests.conftest import random_causal_attention

L, H = 3, 4


def make_scores(n_layers: int = L, n_heads: int = H) -> mw.HeadScores:
    rng = np.random.default_rng(0)
    values = {
        name: rng.uniform(0, 0.5, (n_layers, n_heads)).astype(np.float32)
        for name in ("previous_token", "induction", "duplicate_token", "first_token")
    }
    values["induction"][-1, 1] = 0.95
    values["duplicate_token"][0, -1] = np.nan
    return mw.HeadScores(values, layers=tuple(range(2, 2 + n_layers)), source="test scores")


def attention_view(n_layers: int = L, n_heads: int = H) -> mw.AttentionView:
    attention = random_causal_attention(n_layers, n_heads, 5)
    return mw.AttentionView(attention=attention, tokens=list("abcde"))


class Counter:
    """Counts every change notification of some traits of a widget."""

    def __init__(self, widget, names=("layer", "head")) -> None:
        self.changes: list[tuple[str, object]] = []
        widget.observe(lambda change: self.changes.append((change.name, change.new)), list(names))


# ---- traits and encoding ------------------------------------------------------------------


def test_traits_mirror_the_scores():
    scores = make_scores()
    view = mw.HeadScoresView(scores, score="previous_token", layer=1, head=2)
    assert view.names == ["previous_token", "induction", "duplicate_token", "first_token"]
    assert view.layer_labels == [2, 3, 4]
    assert (view.n_layers, view.n_heads, view.layer, view.head) == (L, H, 1, 2)
    assert view.score == "previous_token" and view.title == "test scores"
    assert view.scores is scores
    assert "score='previous_token', selected L3H2" in repr(view)


def test_default_selection_is_the_best_head_of_the_score():
    view = mw.HeadScoresView(make_scores())
    assert view.score == "induction" and (view.layer, view.head) == (2, 1)
    only_nan = mw.HeadScores({"induction": np.full((2, 2), np.nan)})
    assert (mw.HeadScoresView(only_nan).layer, mw.HeadScoresView(only_nan).head) == (0, 0)


def test_scores_travel_as_exact_float32_with_nan():
    scores = make_scores()
    view = mw.HeadScoresView(scores)
    encoded = view._values
    assert encoded["dtype"] == "float32" and encoded["shape"] == [4, L, H]
    assert isinstance(encoded["data"], bytes) and len(encoded["data"]) == 4 * 4 * L * H
    decoded = decode_array(encoded)
    for s, name in enumerate(view.names):
        np.testing.assert_array_equal(decoded[s].astype(np.float32), scores[name])
    assert np.isnan(decoded[2, 0, 3])
    state = view.view_state()
    assert "_slices" not in state and state["_values"]["data"] == encoded["data"]
    assert view.slice_keys() == []


def test_dict_of_arrays_is_accepted():
    view = mw.HeadScoresView({"induction": np.eye(2), "other": np.zeros((2, 2))})
    assert view.names == ["induction", "other"] and view.layer_labels == [0, 1]
    assert (view.layer, view.head) == (0, 0)


def test_new_scores_redraw_and_keep_a_valid_selection():
    view = mw.HeadScoresView(make_scores(), score="duplicate_token", layer=2, head=3)
    view.scores = mw.HeadScores({"induction": np.ones((2, 2)), "previous_token": np.zeros((2, 2))})
    assert (view.n_layers, view.n_heads, view.layer, view.head) == (2, 2, 1, 1)
    assert view.score == "induction", "a score that is gone falls back to the first"
    assert decode_array(view._values).shape == (2, 2, 2)


# ---- validation ---------------------------------------------------------------------------


def test_unknown_score_lists_the_valid_ones():
    message = (
        r"score='attention' is not a score here; valid scores: previous_token, induction, "
        r"duplicate_token, first_token"
    )
    with pytest.raises(ValueError, match=message):
        mw.HeadScoresView(make_scores(), score="attention")
    view = mw.HeadScoresView(make_scores())
    with pytest.raises(ValueError, match=message):
        view.score = "attention"
    view.score = "first_token"
    assert view.score == "first_token"


def test_bad_selection_and_input():
    with pytest.raises(ValueError, match=r"layer = 3 is out of range: expected 0 <= layer < 3"):
        mw.HeadScoresView(make_scores(), layer=3, head=0)
    view = mw.HeadScoresView(make_scores())
    with pytest.raises(ValueError, match=r"head = 4 is out of range"):
        view.head = 4
    with pytest.raises(traitlets.TraitError):
        view.layer = "1"
    with pytest.raises(TypeError, match=r"scores must be mi_widgets\.HeadScores"):
        mw.HeadScoresView(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"scores\['b'\] has shape \[2, 3\] but scores\['a'\]"):
        mw.HeadScoresView({"a": np.zeros((2, 2)), "b": np.zeros((2, 3))}, score="a")
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        mw.HeadScoresView(make_scores(), colour="red")


# ---- linking ------------------------------------------------------------------------------


def test_link_starts_from_the_grid_and_follows_both_ways():
    scores_view = mw.HeadScoresView(make_scores(), layer=2, head=1)
    attention = attention_view()
    link = mw.link_heads(scores_view, attention)
    assert (attention.layer, attention.head) == (2, 1)
    scores_view.head = 3
    assert (attention.layer, attention.head) == (2, 3)
    attention.layer = 0
    assert (scores_view.layer, scores_view.head) == (0, 3)
    assert scores_view.links == [link] and link.linked
    assert repr(link) == "HeadLink(linked: layer=0, head=3)"


def test_a_click_in_the_page_moves_the_attention_view_in_one_step():
    scores_view = mw.HeadScoresView(make_scores(), layer=0, head=0)
    attention = attention_view()
    mw.link_heads(scores_view, attention)
    seen = Counter(attention)
    scores_view.set_state({"layer": 1, "head": 2})  # what a click in the grid sends
    assert (attention.layer, attention.head) == (1, 2)
    assert seen.changes == [("layer", 1), ("head", 2)], "each trait set once"


def test_no_feedback_loop():
    scores_view = mw.HeadScoresView(make_scores(), layer=0, head=0)
    attention = attention_view()
    mw.link_heads(scores_view, attention)
    on_scores, on_attention = Counter(scores_view), Counter(attention)
    attention.head = 2
    scores_view.layer = 1
    attention.set_state({"layer": 2, "head": 3})
    assert on_scores.changes == [("head", 2), ("layer", 1), ("layer", 2), ("head", 3)]
    assert on_attention.changes == [("head", 2), ("layer", 1), ("layer", 2), ("head", 3)]


def test_unlink_stops_both_directions():
    scores_view = mw.HeadScoresView(make_scores(), layer=0, head=0)
    attention = attention_view()
    with mw.link_heads(scores_view, attention) as link:
        scores_view.head = 1
    assert not link.linked and scores_view.links == []
    scores_view.head = 2
    attention.layer = 2
    assert (attention.layer, attention.head) == (2, 1)
    assert (scores_view.layer, scores_view.head) == (0, 2)
    link.unlink()  # twice is fine
    assert repr(link).startswith("HeadLink(unlinked")


def test_attention_shortcut_links():
    attention = attention_view()
    scores_view = mw.HeadScoresView(make_scores(), attention=attention)
    assert (attention.layer, attention.head) == (2, 1), "the best induction head is shown"
    attention.head = 0
    assert scores_view.head == 0
    assert len(scores_view.links) == 1


def test_link_needs_matching_views():
    with pytest.raises(
        ValueError, match=r"scores_view has 3 layers x 4 heads but attention_view has 2 x 4"
    ):
        mw.link_heads(mw.HeadScoresView(make_scores()), attention_view(n_layers=2))
    with pytest.raises(TypeError, match=r"attention_view must be a mi_widgets\.AttentionView"):
        mw.link_heads(mw.HeadScoresView(make_scores()), mw.HeadScoresView(make_scores()))
    with pytest.raises(
        TypeError,
        match=r"scores_view must be a view that selects a head \(mi_widgets\.HeadScoresView",
    ):
        mw.link_heads(attention_view(), attention_view())
    linked = mw.HeadScoresView(make_scores(), attention=attention_view())
    with pytest.raises(ValueError, match="linked to an AttentionView of 3 x 4; unlink first"):
        linked.scores = make_scores(n_layers=2)


# ---- export -------------------------------------------------------------------------------


def report_data(path) -> dict:
    text = path.read_text()
    match = re.search(r'<script type="application/json" id="mi-widgets-data">(.*?)</script>', text)
    return json.loads(match.group(1))


def test_export_records_links_between_exported_views(tmp_path):
    attention = attention_view()
    scores_view = mw.HeadScoresView(make_scores(), attention=attention)
    data = report_data(mw.to_html([scores_view, attention], tmp_path / "linked.html"))
    assert [view["module"] for view in data["views"]] == ["head_scores", "attention"]
    assert data["links"] == [
        {"source": "mi-view-0", "target": "mi-view-1", "traits": ["layer", "head"]}
    ]
    state = data["views"][0]["state"]
    assert state["score"] == "induction" and set(state["_values"]["data"]) == {"$blob"}
    assert "head_scores" in data["modules"]
    alone = report_data(mw.to_html(scores_view, tmp_path / "alone.html"))
    assert alone["links"] == [], "the attention view is not in the report"
    scores_view.links[0].unlink()
    unlinked = report_data(mw.to_html([scores_view, attention], tmp_path / "unlinked.html"))
    assert unlinked["links"] == []


def test_the_attention_page_gets_one_message_per_selection():
    scores_view = mw.HeadScoresView(make_scores(), layer=0, head=0)
    attention = attention_view()
    mw.link_heads(scores_view, attention)
    sent: list[object] = []
    attention.send_state = lambda key=None: sent.append(sorted(key) if key else key)
    back: list[object] = []
    scores_view.send_state = lambda key=None: back.append(key)
    scores_view.set_state({"layer": 1, "head": 2})
    assert sent == [["head", "layer"]], "layer and head go to the page together"
    assert back == [], "nothing is echoed to the grid that sent the change"
