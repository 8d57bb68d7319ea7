"""TransformerLens: tracing a HookedTransformer and an ActivationCache (skipped without it)."""

import pytest
import torch
import torch.nn.functional as F

import mi_widgets as mw

transformer_lens = pytest.importorskip("transformer_lens")

TEXT = "When Mary and John went to the store, John gave a drink to"

pytestmark = [
    pytest.mark.usefixtures("torch_single_thread"),
    pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning"),
]


def test_hooked_transformer_trace_matches_its_own_cache(hooked):
    model, tokenizer = hooked
    trace = mw.trace(model, tokenizer, TEXT)
    n = len(tokenizer(TEXT)["input_ids"])
    assert trace.family == "TransformerLens" and trace.causal
    assert trace.attention.shape == (2, 4, n, n)
    assert trace.resid_pre.shape == trace.resid_post.shape == (2, n, 32)
    assert trace.mlp_post.shape == (2, n, 64) and trace.logits.shape == (n, len(tokenizer))
    torch.testing.assert_close(trace.attention.sum(-1), torch.ones(2, 4, n))
    assert not trace.attention.triu(1).any()
    torch.testing.assert_close(trace.resid_pre[1], trace.resid_post[0])
    logits, cache = model.run_with_cache(trace.input_ids[None])
    torch.testing.assert_close(trace.logits, logits[0])
    for layer in range(2):
        torch.testing.assert_close(
            trace.attention[layer], cache[f"blocks.{layer}.attn.hook_pattern"][0]
        )


def test_last_residual_through_ln_final_and_unembed_is_the_logits(hooked):
    model, tokenizer = hooked
    trace = mw.trace(model, tokenizer, TEXT)
    with torch.no_grad():
        logits = model.unembed(model.ln_final(trace.resid_post[-1][None]))[0]
    torch.testing.assert_close(logits, trace.logits, atol=1e-5, rtol=1e-5)
    expected = F.cross_entropy(trace.logits[:-1], trace.input_ids[1:], reduction="none")
    torch.testing.assert_close(trace.loss[:-1], expected)


def test_mlp_activations_equal_a_recomputation_from_the_weights(hooked):
    model, tokenizer = hooked
    trace = mw.trace(model, tokenizer, TEXT)
    _, cache = model.run_with_cache(trace.input_ids[None])
    for layer in range(2):
        x = cache[f"blocks.{layer}.ln2.hook_normalized"][0]
        mlp = model.blocks[layer].mlp
        if model.cfg.gated_mlp:
            expected = F.silu(x @ mlp.W_gate) * (x @ mlp.W_in)
        else:
            expected = F.gelu(x @ mlp.W_in + mlp.b_in, approximate="tanh")
        torch.testing.assert_close(trace.mlp_post[layer], expected, atol=1e-5, rtol=1e-5)


def test_batch_items_equal_single_traces(hooked):
    model, tokenizer = hooked
    texts = ["Mary", TEXT, "John gave"]
    for text, batched in zip(texts, mw.trace(model, tokenizer, texts), strict=True):
        alone = mw.trace(model, tokenizer, text)
        assert batched.tokens == alone.tokens
        for name in ("attention", "resid_post", "mlp_post", "logits"):
            torch.testing.assert_close(
                getattr(batched, name), getattr(alone, name), atol=1e-5, rtol=1e-4
            )


def test_an_activation_cache_traces_like_its_model(hooked):
    model, tokenizer = hooked
    from_model = mw.trace(model, tokenizer, TEXT, layers=[1], dtype=torch.float16)
    ids = torch.tensor(tokenizer(TEXT)["input_ids"])
    _, cache = model.run_with_cache(ids[None])
    for text in (TEXT, ids, ids[None]):
        from_cache = mw.trace(cache, tokenizer, text, layers=[1], dtype=torch.float16)
        assert from_cache.tokens == from_model.tokens and from_cache.layers == (1,)
        for name in ("attention", "resid_pre", "resid_post", "mlp_post", "logits"):
            assert getattr(from_cache, name).dtype == torch.float16
            torch.testing.assert_close(getattr(from_cache, name), getattr(from_model, name))
    with pytest.raises(ValueError, match=r"the cache covers \d+ positions but the tokenizer gives"):
        mw.trace(cache, tokenizer, "Mary")
    _, batch_cache = model.run_with_cache(torch.stack([ids, ids]))
    with pytest.raises(ValueError, match="holds a batch of 2 texts"):
        mw.trace(batch_cache, tokenizer, TEXT)


def test_a_cache_without_some_hooks_leaves_those_kinds_out(hooked):
    model, tokenizer = hooked
    ids = torch.tensor(tokenizer(TEXT)["input_ids"])
    _, cache = model.run_with_cache(ids[None], names_filter=lambda name: "hook_pattern" in name)
    trace = mw.trace(cache, tokenizer, ids)
    assert trace.attention.shape[:2] == (2, 4)
    assert trace.resid_post is None and trace.mlp_post is None and trace.logits is None


def test_a_cache_without_its_batch_dimension_is_traced_too(hooked):
    model, tokenizer = hooked
    ids = torch.tensor(tokenizer(TEXT)["input_ids"])
    _, cache = model.run_with_cache(ids[None])
    with_batch = mw.trace(cache, tokenizer, ids)
    without = mw.trace(cache.remove_batch_dim(), tokenizer, ids)
    for name in ("attention", "resid_post", "mlp_post", "logits"):
        torch.testing.assert_close(getattr(without, name), getattr(with_batch, name))
