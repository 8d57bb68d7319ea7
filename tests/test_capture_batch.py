"""Batches: one padded pass, one trace per text, each equal to tracing that text alone."""

import copy

import pytest
import torch

import mi_widgets as mw
from tests.conftest import GEMMA_AND_OLMO2

FAMILIES = ("gpt2", "gpt2_base", "gpt_neox", "llama", "mistral", "qwen2", "bert", "bert_base")

TEXTS = ["Mary", "When Mary and John went to the store, John gave a drink to", "John gave"]
FIELDS = ("attention", "resid_pre", "resid_post", "mlp_post", "logits")

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def assert_same_trace(batched, alone):
    assert batched.tokens == alone.tokens
    assert torch.equal(batched.input_ids, alone.input_ids)
    for name in FIELDS:
        if getattr(alone, name) is None:
            assert getattr(batched, name) is None, name
        else:
            torch.testing.assert_close(
                getattr(batched, name), getattr(alone, name), atol=1e-5, rtol=1e-4, msg=name
            )
    if alone.loss is not None:
        torch.testing.assert_close(batched.loss, alone.loss, atol=1e-5, rtol=1e-4, equal_nan=True)
    if alone.top_k is not None:
        torch.testing.assert_close(batched.top_k.probs, alone.top_k.probs)


@pytest.mark.parametrize("key", [*FAMILIES, *GEMMA_AND_OLMO2])
def test_each_item_equals_tracing_its_text_alone(key, tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models[key], tiny_gpt2[1]
    traces = mw.trace(model, tokenizer, TEXTS)
    assert isinstance(traces, list) and len(traces) == len(TEXTS)
    for text, batched in zip(TEXTS, traces, strict=True):
        assert "".join(batched.tokens) == text  # no padding tokens
        n = batched.n_tokens
        assert batched.attention.shape == (2, 4, n, n)
        torch.testing.assert_close(batched.attention.sum(-1), torch.ones(2, 4, n))
        assert_same_trace(batched, mw.trace(model, tokenizer, text))


def test_a_list_of_one_text_gives_a_list(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    traces = mw.trace(model, tokenizer, ["Mary"])
    assert isinstance(traces, list) and len(traces) == 1
    assert "".join(traces[0].tokens) == "Mary"


@pytest.mark.parametrize("key", ["gpt2", "llama", "bert"])
def test_left_padding_tokenizers_give_the_same_traces_and_are_left_unchanged(
    key, tiny_family_models, tiny_gpt2
):
    model = tiny_family_models[key]
    tokenizer = copy.deepcopy(tiny_gpt2[1])
    tokenizer.padding_side = "left"
    assert tokenizer.pad_token is None
    traces = mw.trace(model, tokenizer, TEXTS)
    assert tokenizer.pad_token is None and tokenizer.padding_side == "left"
    for text, batched in zip(TEXTS, traces, strict=True):
        assert_same_trace(batched, mw.trace(model, tokenizer, text))


def test_batch_items_do_not_share_memory_with_the_batch(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    short, _ = mw.trace(model, tokenizer, ["Mary", TEXTS[1]])
    assert short.attention.untyped_storage().nbytes() == short.attention.nbytes
    assert short.resid_post.untyped_storage().nbytes() == short.resid_post.nbytes
