"""Logit lens: each layer's residual stream read through the model's own final norm and head."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis.lens import LogitLens
from mi_widgets.capture.hooks import capture_mode
from tests.conftest import GEMMA_AND_OLMO2

pytestmark = pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning")

TEXT = "When Mary and John went to the store, John gave a drink to"


@pytest.mark.parametrize(
    "family",
    ["gpt2", "gpt_neox", "llama", "qwen2", "bert", *GEMMA_AND_OLMO2],
)
def test_the_last_row_is_the_models_own_prediction(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    lens = mw.logit_lens(trace, k=3)
    assert lens.rows == ["embed", "L0", "L1"]
    assert lens.probs.shape == (3, trace.n_tokens, len(lens.candidates))
    for position in (0, trace.n_tokens - 1):
        expected = trace.top_k.at(position)[:3]
        got = lens.top_tokens(-1, position)
        assert [t for t, _ in got] == [t for t, _ in expected]
        np.testing.assert_allclose([p for _, p in got], [p for _, p in expected], atol=1e-5)


def test_every_row_is_the_head_applied_to_that_layers_residual(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    lens = mw.logit_lens(trace, k=4, targets=[" Mary", 7])
    with torch.no_grad(), capture_mode(model, eager=False):
        probs = model.lm_head(model.transformer.ln_f(trace.resid_post[0])).softmax(-1)
    top = probs.topk(4, dim=-1)
    np.testing.assert_array_equal(lens.candidates[lens.top[1]], top.indices.numpy())
    np.testing.assert_allclose(
        np.take_along_axis(lens.probs[1], lens.top[1], axis=-1), top.values.numpy(), atol=1e-6
    )
    mary = tokenizer(" Mary")["input_ids"][0]
    np.testing.assert_allclose(lens.probability(" Mary")[1:2], probs[-1:, mary].numpy(), atol=1e-6)
    assert lens.probability(mary).shape == (3,)
    assert [lens.candidates[i] for i in lens.targets] == [mary, 7]
    # the next input token is always kept, so a view can chart it
    assert set(trace.input_ids[1:].tolist()) <= set(lens.candidates.tolist())
    with pytest.raises(KeyError, match="targets="):
        lens.probability(" neverkept")


def test_hooked_transformer_lens(hooked):
    model, tokenizer = hooked
    trace = mw.trace(model, tokenizer, TEXT)
    lens = mw.logit_lens(trace)
    assert [t for t, _ in lens.top_tokens(-1, 2)] == [t for t, _ in trace.top_k.at(2)]


def test_a_subset_of_layers_has_no_embedding_row(tiny_family_models, tiny_gpt2, tmp_path):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    lens = mw.logit_lens(mw.trace(model, tokenizer, TEXT, layers=[1]))
    assert lens.rows == ["L1"]
    loaded = LogitLens.load(lens.save(tmp_path / "lens.npz"))
    np.testing.assert_array_equal(loaded.probs, lens.probs)
    assert loaded.candidate_tokens == lens.candidate_tokens and loaded.rows == lens.rows
    assert "1 rows x" in repr(loaded)


def test_bad_input_is_named(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    with pytest.raises(ValueError, match="no residual stream"):
        mw.logit_lens(mw.trace(model, tokenizer, TEXT, kinds="attention"))
    with pytest.raises(TypeError, match=r"must be a mi_widgets\.Trace"):
        mw.logit_lens("a text")
    with pytest.raises(ValueError, match="is 4 tokens"):
        mw.logit_lens(mw.trace(model, tokenizer, TEXT), targets=[" Maryland"])
    with pytest.raises(ValueError, match="no LM head"):
        mw.logit_lens(mw.trace(tiny_family_models["gpt2_base"], tokenizer, TEXT))
