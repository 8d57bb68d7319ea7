import pytest
import torch

import mi_widgets as mw


def test_trace_records_tokens_and_attention(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    text = "When Mary and John went to the store, John gave a drink to"
    trace = mw.trace(model, tokenizer, text)
    n = len(tokenizer(text)["input_ids"])
    assert trace.attention.shape == (2, 4, n, n)
    assert trace.attention.dtype == torch.float32
    assert "".join(trace.tokens) == text
    assert trace.tokens == [tokenizer.decode([i]) for i in trace.input_ids.tolist()]
    torch.testing.assert_close(trace.attention.sum(-1), torch.ones(2, 4, n))
    assert not trace.attention.triu(1).any()
    assert trace.causal and trace.model_name == "GPT2LMHeadModel"
    assert "2 layers x 4 heads" in repr(trace)


def test_attention_matches_the_model_under_eager(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(model, tokenizer, "John gave a drink")
    model.set_attn_implementation("eager")
    try:
        with torch.no_grad():
            expected = model(trace.input_ids[None], output_attentions=True).attentions
    finally:
        model.set_attn_implementation("sdpa")
    torch.testing.assert_close(trace.attention, torch.stack([a[0] for a in expected]))


def test_attention_implementation_is_restored(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    assert model.config._attn_implementation == "sdpa"
    mw.trace(model, tokenizer, "Mary")
    assert model.config._attn_implementation == "sdpa"


def test_restored_even_when_the_forward_pass_fails(tiny_gpt2, monkeypatch):
    model, tokenizer = tiny_gpt2

    def broken_forward(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(model, "forward", broken_forward)
    with pytest.raises(RuntimeError, match="boom"):
        mw.trace(model, tokenizer, "Mary")
    assert model.config._attn_implementation == "sdpa"


def test_empty_and_too_long_text_are_clear_errors(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    with pytest.raises(ValueError, match="text is empty"):
        mw.trace(model, tokenizer, "")
    with pytest.raises(ValueError, match=r"tokens long but GPT2LMHeadModel takes at most 64"):
        mw.trace(model, tokenizer, "Mary and John " * 60)
    with pytest.raises(TypeError, match="text must be a str"):
        mw.trace(model, tokenizer, 42)


def test_unknown_architecture_names_class_and_supported_families(tiny_gpt2):
    _, tokenizer = tiny_gpt2
    with pytest.raises(ValueError, match=r"cannot trace Linear .*supported families are GPT-2"):
        mw.trace(torch.nn.Linear(2, 2), tokenizer, "Mary")
