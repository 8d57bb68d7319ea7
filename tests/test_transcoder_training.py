"""Training transcoders for every layer in one pass, evaluating them, the bundled demo
transcoders, and reading circuit-tracer's and SAELens' transcoder files."""

from __future__ import annotations

import pytest
import torch

import mi_widgets as mw
from mi_widgets.capture.sites import reading
from mi_widgets.circuits import Transcoder, TranscoderSet
from mi_widgets.circuits.training import TranscoderEvaluation

pytestmark = pytest.mark.usefixtures("torch_single_thread")


@pytest.fixture(scope="module")
def demo():
    return mw.demo_model()


@pytest.fixture(scope="module")
def short_texts():
    """Starts of training documents: about 6,000 tokens."""
    return [doc[:400] for doc in mw.demo_corpus("train")[:60]]


def train(model, tokenizer, texts, **options):
    settings = dict(n_features=128, k=8, batch_size=256, buffer_size=1024, lr=3e-3, progress=False)
    return mw.train_transcoders(model, tokenizer, texts, **(settings | options))


def test_training_reduces_the_error_and_explains_most_of_the_variance(demo, short_texts):
    model, tokenizer = demo
    held_out = [doc[:400] for doc in mw.demo_corpus("eval")[:12]]
    tcs = train(model, tokenizer, short_texts, epochs=4, batch_size=128, eval_corpus=held_out)
    assert isinstance(tcs, TranscoderSet) and len(tcs) == 2
    untrained = [Transcoder(128, 128, k=8, layer=i, seed=i) for i in range(2)]
    before = mw.evaluate_transcoders(model, tokenizer, untrained, held_out)
    after = mw.evaluate_transcoders(model, tokenizer, tcs, held_out)
    assert max(before.fraction_variance_explained) < 0.1
    assert min(after.fraction_variance_explained) > 0.55, after  # seen: 0.79, 0.65
    assert after.l0 == [8.0, 8.0]
    assert after.loss_clean < after.loss_spliced < before.loss_spliced
    info = tcs[1].info
    assert info["evaluation"] == after.of_layer(1)
    assert info["hook_in"] == "blocks.1.ln2.hook_normalized" and info["epochs"] == 4
    assert info["tokens_trained"] > 4 * 5000 and info["steps"] >= 4 * 5000 / 128


def test_one_forward_pass_per_text_batch_reads_every_layer(demo):
    """The corpus is read once for all layers: as many forward passes for two layers as for
    one, one per batch of texts (and three per batch for the evaluation)."""
    model, tokenizer = demo
    texts = [doc[:300] for doc in mw.demo_corpus("train")[:24]]
    calls = []
    handle = model.register_forward_pre_hook(lambda module, args: calls.append(1))
    try:
        counts = {}
        for layers in ([0, 1], [1]):
            calls.clear()
            train(model, tokenizer, texts, layers=layers, text_batch_size=8, eval_corpus=texts[:4])
            counts[len(layers)] = len(calls)
    finally:
        handle.remove()
    assert counts == {2: 3 + 3, 1: 3 + 3}


def test_layers_trained_together_learn_what_each_learns_alone(demo):
    """The stacked step is one independent optimisation per layer: training layer 1 alone
    gives the same transcoder as training it beside layer 0."""
    model, tokenizer = demo
    texts = [doc[:300] for doc in mw.demo_corpus("train")[:16]]
    both = train(model, tokenizer, texts, eval_corpus=texts[:2], dead_after=512)
    alone = train(model, tokenizer, texts, layers=[-1], eval_corpus=texts[:2], dead_after=512)
    assert isinstance(alone, dict) and list(alone) == [1]
    for name, tensor in both[1].state_dict().items():
        torch.testing.assert_close(alone[1].state_dict()[name], tensor, atol=2e-4, rtol=1e-3)
    assert alone[1].info["layers_trained_together"] == [1]


def test_skip_and_relu_transcoders_train(demo, short_texts):
    model, tokenizer = demo
    tcs = train(
        model, tokenizer, short_texts[:30], activation="relu", skip=True, l1_coefficient=0.5,
        eval_corpus=short_texts[:4],
    )  # fmt: skip
    assert tcs[0].activation == "relu" and tcs[0].W_skip is not None
    assert float(tcs[0].W_skip.detach().abs().sum()) > 0  # the skip connection was trained
    assert tcs[0].info["evaluation"]["fraction_variance_explained"] > 0.3


def test_evaluation_matches_a_direct_computation(demo):
    model, tokenizer = demo
    tcs = mw.demo_transcoders()
    text = mw.demo_corpus("eval")[0][:500]
    result = mw.evaluate_transcoders(model, tokenizer, tcs, [text])
    sites = [site for tc in tcs for site in (tc.hook_in, tc.hook_out)]
    ids = tokenizer(text, return_tensors="pt").input_ids
    with reading(model, sites) as records, torch.no_grad():
        model(ids)
    for tc in tcs:
        x, y = records[tc.hook_in][0], records[tc.hook_out][0]
        with torch.no_grad():
            error = (y - tc(x)).pow(2).sum()
        variance = (y - y.mean(0)).pow(2).sum()
        expected = float(1 - error / variance)
        assert result.fraction_variance_explained[tc.layer] == pytest.approx(expected, abs=1e-4)
        assert result.l0[tc.layer] == pytest.approx(
            float((tc.encode(x) != 0).sum(-1).float().mean())
        )
    assert result.n_tokens == ids.shape[1]


def test_the_bundled_transcoders_stand_in_for_the_mlps(demo):
    model, tokenizer = demo
    tcs = mw.demo_transcoders()
    assert isinstance(tcs, TranscoderSet) and tcs.layers == [0, 1]
    tcs.check_model(model)
    assert (tcs[0].n_features, tcs[0].activation, tcs[0].k) == (1024, "topk", 16)
    result = mw.evaluate_transcoders(model, tokenizer, tcs, mw.demo_corpus("eval")[:24])
    assert result.loss_clean < result.loss_spliced < result.loss_zero_ablated
    assert result.loss_recovered > 0.7
    assert min(result.fraction_variance_explained) > 0.8, result  # QUALITY.md: 0.966, 0.870
    assert max(result.dead_fraction) < 0.8  # layer 1: 59.6 % on all 107 held-out texts
    table = str(result)
    assert "variance explained" in table and "recovered" in table
    assert mw.demo_transcoders() is not tcs


def test_an_evaluation_names_what_it_measured():
    result = TranscoderEvaluation(
        n_tokens=100, layers=[0, 1], mse=[0.1, 0.2], fraction_variance_explained=[0.9, 0.8],
        l0=[16.0, 16.0], dead_fraction=[0.0, 0.25], loss_clean=3.0, loss_spliced=3.5,
        loss_zero_ablated=5.0,
    )  # fmt: skip
    assert result.loss_recovered == 0.75
    lines = str(result).splitlines()
    assert lines[0] == "100 tokens"
    assert lines[3].split() == ["1", "0.800", "0.2", "16.0", "25.0"]
    assert lines[-1].endswith("75.0 % recovered")
    assert result.of_layer(1)["dead_fraction"] == 0.25
    with pytest.raises(ValueError, match=r"layer 2 was not evaluated: layers are \[0, 1\]"):
        result.of_layer(2)


def test_bad_arguments_name_what_was_expected(demo):
    model, tokenizer = demo
    with pytest.raises(ValueError, match=r"layers.*2"):
        mw.train_transcoders(model, tokenizer, ["a b"], layers=[2], progress=False)
    with pytest.raises(ValueError, match="activation = 'jumprelu': train_transcoders trains"):
        mw.train_transcoders(model, tokenizer, ["a b"], activation="jumprelu", progress=False)
    with pytest.raises(ValueError, match="needs a corpus that can be read again"):
        mw.train_transcoders(model, tokenizer, iter(["a b"]), epochs=2, progress=False)
    wide = Transcoder(64, 32, k=4, layer=0)
    with pytest.raises(ValueError, match=r"transcoders\[0\] reads d_in = 64.*d_model = 128"):
        mw.evaluate_transcoders(model, tokenizer, [wide], ["a b"])
    with pytest.raises(ValueError, match="one for layer 5 but GPTNeoXForCausalLM has 2 blocks"):
        mw.evaluate_transcoders(model, tokenizer, [Transcoder(128, 32, k=4, layer=5)], ["a b"])
    with pytest.raises(TypeError, match="transcoders must be a TranscoderSet"):
        mw.evaluate_transcoders(model, tokenizer, "tcs", ["a b"])
