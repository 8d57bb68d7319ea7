"""CompositionView: traits, wire format, partners, links, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array


@pytest.fixture(scope="module")
def demo():
    return mw.demo_model()


@pytest.fixture(scope="module")
def comp(demo):
    return mw.composition_scores(demo[0])


def test_the_grid_is_reader_by_writer_scores_exactly(comp):
    view = mw.CompositionView(comp)
    values = decode_array(view._values)  # [kind, reader, writer]
    assert values.shape == (3, 8, 8) and view._values["dtype"] == "float32"
    for reader in range(8):
        for writer in range(8):
            expected = comp.scores[:, writer // 4, writer % 4, reader // 4, reader % 4]
            np.testing.assert_array_equal(values[:, reader, writer], expected)
    np.testing.assert_array_equal(decode_array(view._baseline), comp.baseline)
    assert (view.n_layers, view.n_heads, view.kind) == (2, 4, "K")
    assert view.title == "Head composition of GPTNeoXForCausalLM"


def test_opens_on_the_strongest_pair_of_the_kind(comp):
    view = mw.CompositionView(comp, kind="K")
    (writer, reader, excess) = comp.top("K", 1)[0]
    assert (view.layer, view.head) == reader
    assert (view.partner_layer, view.partner_head) == writer
    assert view.value == pytest.approx(excess + float(comp.baseline[1]))
    assert "K-composition" in repr(view)


def test_partners_of_an_induction_head_are_the_previous_token_heads(comp):
    view = mw.CompositionView(comp, kind="K", layer=1, head=2, top_k=2)
    partners = view.partners()
    assert sorted((layer, head) for layer, head, _ in partners["writers"]) == [(0, 0), (0, 2)]
    assert partners["readers"] == []  # the last layer: nobody reads it
    view.layer, view.head = 0, 0  # a previous-token head: its readers are the induction heads
    readers = view.partners()["readers"]
    assert len(readers) == 2 and all(layer == 1 for layer, _, _ in readers)
    assert view.partners()["writers"] == []
    excess = comp.excess("K")[0, 0, 1]
    assert readers[0][2] == pytest.approx(float(np.nanmax(excess)))


def test_link_heads_both_ways_with_head_scores_and_attention(demo, comp):
    model, tokenizer = demo
    trace = mw.trace(model, tokenizer, "key = value; key = value; key =")
    attention = mw.AttentionView(trace)
    scores_view = mw.HeadScoresView(mw.head_scores(trace))
    view = mw.CompositionView(comp)
    to_attention = mw.link_heads(view, attention)
    from_scores = mw.link_heads(scores_view, view)
    scores_view.layer, scores_view.head = 1, 3
    assert (view.layer, view.head) == (1, 3) == (attention.layer, attention.head)
    attention.head = 1
    assert view.head == 1 and scores_view.head == 1
    view.layer, view.head = 0, 2
    assert (scores_view.layer, scores_view.head) == (0, 2) == (attention.layer, attention.head)
    assert len(view.links) == 2
    to_attention.unlink()
    from_scores.unlink()


def test_link_checks_the_model_sizes(comp, tiny_family_models):
    other = mw.composition_scores(tiny_family_models["gpt2"])
    scores_view = mw.HeadScoresView({"induction": np.zeros((3, 4))})
    with pytest.raises(ValueError, match="3 layers x 4 heads but attention_view has 2 x 4"):
        mw.link_heads(scores_view, mw.CompositionView(other))
    with pytest.raises(TypeError, match=r"attention_view must be a mi_widgets\.AttentionView"):
        mw.link_heads(mw.CompositionView(comp), scores_view)


def test_bad_arguments_and_trait_values_are_named(comp):
    with pytest.raises(TypeError, match=r"scores must be a mi_widgets\.CompositionScores.*dict"):
        mw.CompositionView({"K": np.zeros(3)})
    with pytest.raises(ValueError, match="kind='W' is not a composition kind"):
        mw.CompositionView(comp, kind="W")
    with pytest.raises(ValueError, match="top_k must be a positive int, got 0"):
        mw.CompositionView(comp, top_k=0)
    with pytest.raises(ValueError, match="head"):
        mw.CompositionView(comp, layer=1, head=7)
    view = mw.CompositionView(comp)
    with pytest.raises(ValueError, match="kind='q'"):
        view.kind = "q"
    with pytest.raises(ValueError, match="partner_head"):
        view.partner_head = 4
    with pytest.raises(traitlets.TraitError, match="top_k must be a positive int"):
        view.top_k = 0
    view.layer = -1
    assert view.layer == 1


def test_export_writes_one_offline_file(comp, tmp_path):
    path = mw.to_html(mw.CompositionView(comp), tmp_path / "composition.html")
    text = path.read_text()
    assert "mi-composition-view" in text and "http://" not in text.split("<script")[0]
