"""One rule for every ``layer=`` / ``layers=`` argument and ``layer`` trait: a negative layer
counts from the end (``-1``: the last) and is stored as the positive layer; out of range is
refused with one message naming the range."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw


@pytest.fixture(scope="module")
def demo():
    model, tokenizer = mw.demo_model()
    text = "The cat sat on the mat. The cat sat on the mat."
    return model, tokenizer, mw.trace(model, tokenizer, text), model.config.num_hidden_layers


def test_functions_take_negative_layers(demo):
    model, tokenizer, _, n_layers = demo
    last = n_layers - 1
    assert mw.trace(model, tokenizer, "a b c", layers=-1).layers == (last,)
    corpus = mw.demo_corpus("eval")[:2]
    options = {"k": 3, "truncate": True, "progress": False}
    top = {
        layer: mw.top_activations(model, tokenizer, corpus, layer=layer, **options)
        for layer in (-1, last)
    }
    assert top[-1].layers == top[last].layers == (last,)
    np.testing.assert_array_equal(top[-1].values, top[last].values)
    clean, corrupted = "The cat sat on the mat", "The dog sat on the mat"
    metric = mw.logit_diff(5, 6)  # two token ids
    patched = {
        layer: mw.patch(model, tokenizer, clean, corrupted, metric, layers=[layer])
        for layer in (-1, last)
    }
    assert patched[-1].layers == patched[last].layers == (last,)
    np.testing.assert_array_equal(patched[-1].values, patched[last].values)
    texts = ["a cat", "a dog", "the cat", "the dog"] * 4
    probes = {
        layer: mw.probe(model, tokenizer, texts, [t.endswith("cat") for t in texts], layers=layer)
        for layer in (-1, last)
    }
    assert probes[-1].layers.tolist() == probes[last].layers.tolist() == [last]
    ids = tokenizer("The cat sat", return_tensors="pt")["input_ids"]
    direction = torch.randn(model.config.hidden_size, generator=torch.Generator().manual_seed(0))
    logits = {}
    for layer in (-1, last):
        with mw.steer(model, direction, layer=layer, alpha=4.0), torch.no_grad():
            logits[layer] = model(ids).logits
    torch.testing.assert_close(logits[-1], logits[last], rtol=0, atol=0)


def test_views_take_negative_layers_and_store_the_positive_one(demo):
    model, tokenizer, trace, n_layers = demo
    last = n_layers - 1
    scores = mw.head_scores(model, tokenizer)
    attention = mw.AttentionView(trace, layer=-1)
    views = [
        (attention, mw.AttentionView(trace, layer=last)),
        (mw.NeuronView(trace, layer=-1), mw.NeuronView(trace, layer=last)),
        (mw.HeadScoresView(scores, layer=-1), mw.HeadScoresView(scores, layer=last)),
    ]
    for negative, positive in views:
        assert negative.layer == positive.layer == last, type(negative).__name__
    lens = mw.LogitLensView(mw.logit_lens(trace))
    attribution = mw.AttributionView(mw.direct_logit_attribution(trace, " mat"))
    for view in (*(pair[0] for pair in views), lens, attribution):
        view.layer = 0
        view.layer = -1  # set from Python: normalised too
        assert view.layer == last, type(view).__name__
        with pytest.raises(Exception, match=rf"layer = {n_layers} is out of range"):
            view.layer = n_layers
        with pytest.raises(Exception, match=rf"layer = {-n_layers - 1} is out of range"):
            view.layer = -n_layers - 1
    with pytest.raises(ValueError, match=rf"layer = -{n_layers + 1} is out of range: expected"):
        mw.AttentionView(trace, layer=-n_layers - 1)
    subset = mw.trace(model, tokenizer, "a b c", layers=[0])
    assert mw.NeuronView(subset, layer=-1).layer == 0, "the last of the layers it holds"


def test_probe_view_counts_from_the_end_of_the_probed_layers():
    acts = np.random.default_rng(0).normal(size=(3, 40, 8)).astype(np.float32)
    labels = (acts[2, :, 0] > 0).astype(int)
    probes = mw.probe(acts, labels=labels, layers=[4, 5, 6])
    view = mw.ProbeView(probes, layer=-1)
    assert view.layer == 6
    view.layer = -3
    assert view.layer == 4
