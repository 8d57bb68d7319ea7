"""feature_stats of transcoders: features read at the MLP input, logit effects of the decoder
rows through the unembedding, one dict layer → FeatureStats for a set, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.circuits import Transcoder, TranscoderSet

pytestmark = pytest.mark.usefixtures("torch_single_thread")

TEXTS = [
    "def add(a, b):\n    return a + b",
    "The list holds key value file name. The list holds key",
    "Return the number of items in a container.",
    'The "while" statement is used for repeated execution.',
]
K = 4


@pytest.fixture(scope="module")
def demo():
    model, tokenizer = mw.demo_model()
    transcoders = mw.demo_transcoders()
    stats = mw.feature_stats(
        model, tokenizer, transcoders, TEXTS, k=K, context=2, dedupe=False, progress=False
    )
    return model, tokenizer, transcoders, stats


def mlp_inputs(model, tokenizer, layer: int) -> list[torch.Tensor]:
    """``[pos, d_model]`` per text: the output of block ``layer``'s MLP norm, read with a
    forward hook on the module itself (not through mi_widgets' capture)."""
    captured = []
    norm = model.gpt_neox.layers[layer].post_attention_layernorm
    handle = norm.register_forward_hook(lambda _m, _args, out: captured.append(out[0].detach()))
    try:
        with torch.no_grad():
            for text in TEXTS:
                model(**tokenizer(text, return_tensors="pt"))
    finally:
        handle.remove()
    return captured


@pytest.mark.parametrize("layer", [0, 1])
def test_statistics_equal_the_transcoders_encode_of_the_mlp_input(demo, layer):
    model, tokenizer, transcoders, stats = demo
    tc = transcoders[layer]
    layer_stats = stats[layer]
    assert layer_stats.hook == f"blocks.{layer}.ln2.hook_normalized"
    with torch.no_grad():
        acts = [tc.encode(x).numpy() for x in mlp_inputs(model, tokenizer, layer)]
    values = np.concatenate(acts)  # [tokens, feature]
    docs = np.concatenate([np.full(len(a), d) for d, a in enumerate(acts)])
    positions = np.concatenate([np.arange(len(a)) for a in acts])
    assert layer_stats.n_tokens == values.shape[0] and layer_stats.n_docs == len(TEXTS)
    np.testing.assert_array_equal(layer_stats.n_firing, (values != 0).sum(0))
    np.testing.assert_allclose(
        layer_stats.sums, values.sum(0, dtype=np.float64), rtol=1e-4, atol=1e-4
    )
    fired = np.flatnonzero((values != 0).sum(0) >= K)
    assert fired.size > 20  # many features fire on these few texts
    for f in fired[:: max(1, fired.size // 25)]:  # a reference for some features: clarity
        order = np.lexsort((positions, docs, -values[:, f]))[:K]
        np.testing.assert_allclose(layer_stats.values[f], values[order, f], rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(layer_stats.docs[f], docs[order])
        np.testing.assert_array_equal(layer_stats.positions[f], positions[order])
    dead = np.flatnonzero((values != 0).sum(0) == 0)
    assert np.isnan(layer_stats.values[dead]).all()


def test_top_logits_follow_the_decoder_rows_through_the_unembedding(demo):
    model, tokenizer, transcoders, stats = demo
    norm = model.gpt_neox.final_layer_norm.weight.detach()
    unembed = model.lm_head.weight.detach().T  # [d_model, vocab]
    for layer, tc in enumerate(transcoders):
        rows = tc.W_dec.detach()  # [feature, d_model]: what each feature writes to the residual
        effects = ((rows - rows.mean(1, keepdim=True)) * norm) @ unembed
        for f in (0, 5, 1023):
            raised, lowered = stats[layer].logits(f)
            top = effects[f].topk(10)
            assert [e.token for e in raised] == tokenizer.batch_decode([[i] for i in top.indices])
            np.testing.assert_allclose([e.value for e in raised], top.values, rtol=1e-4, atol=1e-5)
            bottom = effects[f].topk(10, largest=False)
            assert [e.token for e in lowered] == tokenizer.batch_decode(
                [[i] for i in bottom.indices]
            )


def test_a_set_gives_each_layers_own_statistics_and_a_live_source(demo):
    model, tokenizer, transcoders, stats = demo
    assert sorted(stats) == [0, 1]
    alone = mw.feature_stats(
        model, tokenizer, transcoders[1], TEXTS, k=K, context=2, dedupe=False, progress=False
    )
    assert isinstance(alone, mw.FeatureStats)
    for name in ("values", "docs", "positions", "n_firing", "nearest"):
        np.testing.assert_array_equal(getattr(alone, name), getattr(stats[1], name))
    # the layers share one vocabulary (GraphView shows them together): the same tokens
    np.testing.assert_array_equal(stats[0].vocab_ids, stats[1].vocab_ids)
    assert stats[0].vocab == stats[1].vocab and len(stats[1].vocab) > len(alone.vocab)
    for name in ("window_tokens", "interval_window_tokens", "logit_top", "logit_bottom"):
        np.testing.assert_array_equal(
            alone.token_ids(getattr(alone, name)), stats[1].token_ids(getattr(stats[1], name))
        )
    busiest = int(alone.n_firing.argmax())
    assert len(alone.examples(busiest)) == K
    shown = [(e.doc, e.position, e.tokens) for e in stats[1].examples(busiest)]
    assert shown == [(e.doc, e.position, e.tokens) for e in alone.examples(busiest)]
    assert stats[1].logits(busiest) == alone.logits(busiest)
    with pytest.raises(ValueError, match="must be as long and hold every one of the"):
        alone.with_vocabulary(alone.vocab_ids[1:], alone.vocab[1:])
    listed = mw.feature_stats(
        model, tokenizer, list(transcoders), TEXTS[:1], k=2, context=1, progress=False
    )
    assert sorted(listed) == [0, 1]
    x = mlp_inputs(model, tokenizer, 0)[0]  # [pos, d_model] of TEXTS[0]
    tokens, acts = stats[0].origin.activations(TEXTS[0])
    assert len(tokens) == x.shape[0]
    np.testing.assert_allclose(acts, transcoders[0].encode(x).detach().numpy(), atol=1e-5)


def test_a_set_takes_interval_maxima_per_layer(demo):
    model, tokenizer, transcoders, _ = demo
    maxima = {
        layer: np.full(tc.n_features, 2.0, dtype=np.float32) for layer, tc in enumerate(transcoders)
    }
    stats = mw.feature_stats(
        model, tokenizer, transcoders, TEXTS[:2], k=2, n_intervals=4, interval_max=maxima,
        progress=False,
    )  # fmt: skip
    np.testing.assert_allclose(stats[1].interval_edges[7], [0.0, 0.5, 1.0, 1.5, 2.0])
    with pytest.raises(
        ValueError, match=r"one \[feature\] array per layer \[0, 1\], got layers \[0\]"
    ):
        mw.feature_stats(
            model, tokenizer, transcoders, TEXTS, interval_max={0: maxima[0]}, progress=False
        )


def test_graph_view_takes_the_statistics_of_the_transcoders(demo):
    model, tokenizer, transcoders, stats = demo
    graph = mw.attribute(model, tokenizer, TEXTS[1], transcoders)
    view = mw.GraphView(graph, stats=stats)
    assert sorted(view.stats_info) == ["0", "1"]
    keys = view.slice_keys()
    assert keys and all(view.has_slice(key) for key in keys[:4])


def test_transcoders_that_do_not_fit_get_clear_errors(demo):
    model, tokenizer, transcoders, _ = demo
    with pytest.raises(
        ValueError,
        match=r"activations at blocks\.0\.ln2\.hook_normalized are 128 wide but the transcoder "
        r"of layer 0 reads d_in = 64",
    ):
        mw.feature_stats(model, tokenizer, Transcoder(64, 16, d_out=128, k=4, layer=0), TEXTS)
    with pytest.raises(ValueError, match=r"blocks\.1\.hook_mlp_out are 128 wide .* d_out = 32"):
        mw.feature_stats(model, tokenizer, Transcoder(128, 16, d_out=32, k=4, layer=1), TEXTS)
    with pytest.raises(
        ValueError, match=r"reads layer 5 but GPTNeoXForCausalLM has 2 blocks \(layers 0\.\.1\)"
    ):
        mw.feature_stats(model, tokenizer, Transcoder(128, 16, k=4, layer=5), TEXTS)
    with pytest.raises(
        ValueError, match=r"hook = 'blocks\.0\.hook_resid_post', but the transcoder"
    ):
        mw.feature_stats(model, tokenizer, transcoders[0], TEXTS, "blocks.0.hook_resid_post")
    with pytest.raises(ValueError, match="was given with a set of transcoders: leave it out"):
        mw.feature_stats(model, tokenizer, transcoders, TEXTS, "blocks.0.hook_resid_post")
    three = TranscoderSet([Transcoder(128, 16, k=4, layer=i) for i in range(3)])
    with pytest.raises(ValueError, match=r"reads layer 2 but GPTNeoXForCausalLM has 2 blocks"):
        mw.feature_stats(model, tokenizer, three, TEXTS)
    with pytest.raises(ValueError, match="sae has two transcoders of layer 0"):
        mw.feature_stats(model, tokenizer, [transcoders[0], transcoders[0]], TEXTS)
    with pytest.raises(TypeError, match=r"sae must be a SparseAutoencoder, a Transcoder, or a"):
        mw.feature_stats(model, tokenizer, "transcoders", TEXTS)
    with pytest.raises(TypeError, match=r"sae\[1\] must be a mi_widgets\.Transcoder"):
        mw.feature_stats(model, tokenizer, [transcoders[0], "layer 1"], TEXTS)
