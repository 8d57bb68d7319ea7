"""Per-family checks of mw.trace against the model's own modules and weights."""

from contextlib import contextmanager

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mi_widgets as mw
from mi_widgets.capture import detect
from tests.conftest import GEMMA_AND_OLMO2

TEXT = "When Mary and John went to the store, John gave a drink to"
POST_NORM_DECODERS = list(GEMMA_AND_OLMO2)
DECODERS = ["gpt2", "gpt2_base", "gpt_neox", "llama", "mistral", "qwen2", *POST_NORM_DECODERS]
ENCODERS = ["bert", "bert_base"]
WITH_HEAD = ["gpt2", "gpt_neox", "llama", "mistral", "qwen2", "bert", *POST_NORM_DECODERS]

pytestmark = pytest.mark.usefixtures("torch_single_thread")


@contextmanager
def evaluating(model):
    """Eval mode and eager attention for a reference pass; training mode back after."""
    previous = model.config._attn_implementation
    model.eval()
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.train()
        model.set_attn_implementation(previous)


def reference(model, input_ids):
    with evaluating(model), torch.no_grad():
        return model(input_ids[None], output_attentions=True, output_hidden_states=True)


def final_norm_and_unembed(key, model):
    """The model's own final norm and LM head, named explicitly per family."""
    if key == "bert":
        return torch.nn.Identity(), model.cls
    if key == "gpt2":
        return model.transformer.ln_f, model.lm_head
    if key == "gpt_neox":
        return model.gpt_neox.final_layer_norm, model.lm_head
    return model.model.norm, model.lm_head  # llama, mistral, qwen2


def mlp_from_weights(key, model, layer, x):
    """MLP post-activation recomputed from layer ``layer``'s weights on its input ``x``."""
    base = model.base_model
    if key.startswith("gpt2"):
        mlp = base.h[layer].mlp  # Conv1D: weight is [d_model, d_mlp]
        return F.gelu(x @ mlp.c_fc.weight + mlp.c_fc.bias, approximate="tanh")
    if key == "gpt_neox":
        dense = base.layers[layer].mlp.dense_h_to_4h
        return F.gelu(x @ dense.weight.T + dense.bias)
    if key.startswith("bert"):
        dense = base.encoder.layer[layer].intermediate.dense
        return F.gelu(x @ dense.weight.T + dense.bias)
    mlp = base.layers[layer].mlp
    if key.startswith("gemma"):  # gelu_pytorch_tanh gate
        gate = F.gelu(x @ mlp.gate_proj.weight.T, approximate="tanh")
        return gate * (x @ mlp.up_proj.weight.T)
    return F.silu(x @ mlp.gate_proj.weight.T) * (x @ mlp.up_proj.weight.T)


def mlp_module(key, model, layer):
    """The module whose input is what the MLP nonlinearity is applied to (after the norm)."""
    base = model.base_model
    if key.startswith("gpt2"):
        return base.h[layer].mlp
    if key.startswith("bert"):
        return base.encoder.layer[layer].intermediate
    return base.layers[layer].mlp


@pytest.fixture(params=DECODERS + ENCODERS)
def family(request, tiny_family_models, tiny_gpt2):
    key = request.param
    return key, tiny_family_models[key], tiny_gpt2[1]


def test_shapes_tokens_and_dtypes(family):
    key, model, tokenizer = family
    trace = mw.trace(model, tokenizer, TEXT)
    n = len(tokenizer(TEXT)["input_ids"])
    d_vocab = len(tokenizer)
    assert trace.tokens == [tokenizer.decode([i]) for i in trace.input_ids.tolist()]
    assert "".join(trace.tokens) == TEXT and trace.n_tokens == n
    assert trace.attention.shape == (2, 4, n, n)
    assert trace.resid_pre.shape == trace.resid_post.shape == (2, n, 32)
    assert trace.mlp_post.shape == (2, n, 64)
    assert trace.layers == (0, 1) and (trace.n_layers, trace.n_heads) == (2, 4)
    assert trace.family == detect(model).name and trace.model_name == type(model).__name__
    for tensor in (trace.attention, trace.resid_pre, trace.resid_post, trace.mlp_post):
        assert tensor.dtype == torch.float32 and tensor.device.type == "cpu"
    if key in WITH_HEAD:
        assert trace.logits.shape == (n, d_vocab)
        assert trace.top_k.ids.shape == trace.top_k.probs.shape == (n, 5)
    else:
        assert trace.logits is None and trace.top_k is None and trace.loss is None


def test_attention_rows_sum_to_one_and_match_the_model(family):
    key, model, tokenizer = family
    trace = mw.trace(model, tokenizer, TEXT)
    n = trace.n_tokens
    torch.testing.assert_close(trace.attention.sum(-1), torch.ones(2, 4, n))
    expected = torch.stack([a[0] for a in reference(model, trace.input_ids).attentions])
    torch.testing.assert_close(trace.attention, expected)
    above = trace.attention[..., torch.ones(n, n, dtype=torch.bool).triu(1)]
    if key in DECODERS:
        assert trace.causal and not above.any()
    else:  # bidirectional: every query attends to later keys too
        assert not trace.causal and (above > 0.01).all()


def test_residual_stream_is_block_input_and_output(family):
    key, model, tokenizer = family
    trace = mw.trace(model, tokenizer, TEXT)
    torch.testing.assert_close(trace.resid_pre[1], trace.resid_post[0])
    hidden = reference(model, trace.input_ids).hidden_states
    torch.testing.assert_close(trace.resid_pre[0], hidden[0][0])
    torch.testing.assert_close(trace.resid_pre[1], hidden[1][0])
    if key in ENCODERS:
        torch.testing.assert_close(trace.resid_post[-1], hidden[-1][0])
    else:  # decoders: hidden_states[-1] is after the final norm, resid_post[-1] before it
        assert not torch.allclose(trace.resid_post[-1], hidden[-1][0], atol=1e-3)


@pytest.mark.parametrize("key", WITH_HEAD)
def test_last_residual_through_final_norm_and_unembed_is_the_logits(
    key, tiny_family_models, tiny_gpt2
):
    model, tokenizer = tiny_family_models[key], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    final_norm, unembed = final_norm_and_unembed(key, model)
    with evaluating(model), torch.no_grad():
        logits = unembed(final_norm(trace.resid_post[-1]))
    cap = getattr(model.config, "final_logit_softcapping", None)
    if cap is not None:  # Gemma 2 soft-caps its final logits
        logits = torch.tanh(logits / cap) * cap
    torch.testing.assert_close(logits, trace.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(trace.logits, reference(model, trace.input_ids).logits[0])
    family = detect(model)
    if key == "bert":
        assert family.unembed_module(model) is model.cls.predictions
    else:
        assert family.unembed_module(model) is unembed
        assert family.final_norm_module(model) is final_norm


@pytest.mark.parametrize("key", DECODERS + ENCODERS)
def test_mlp_activations_equal_a_recomputation_from_the_weights(key, tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models[key], tiny_gpt2[1]
    inputs = {}
    handles = [
        mlp_module(key, model, layer).register_forward_pre_hook(
            lambda module, args, layer=layer: inputs.__setitem__(layer, args[0][0].clone())
        )
        for layer in range(2)
    ]
    try:
        trace = mw.trace(model, tokenizer, TEXT)
    finally:
        for handle in handles:
            handle.remove()
    with torch.no_grad():
        for layer in range(2):
            expected = mlp_from_weights(key, model, layer, inputs[layer])
            torch.testing.assert_close(trace.mlp_post[layer], expected, atol=1e-6, rtol=1e-5)
    assert trace.mlp_post.abs().max() > 0.01


@pytest.mark.parametrize(
    "key", ["gpt2", "gpt_neox", "llama", "mistral", "qwen2", *POST_NORM_DECODERS]
)
def test_loss_is_the_next_token_cross_entropy(key, tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models[key], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    ids = trace.input_ids
    assert trace.loss.shape == (len(ids),) and torch.isnan(trace.loss[-1])
    expected = F.cross_entropy(trace.logits[:-1], ids[1:], reduction="none")
    torch.testing.assert_close(trace.loss[:-1], expected)
    with evaluating(model), torch.no_grad():
        mean = model(ids[None], labels=ids[None]).loss
    torch.testing.assert_close(trace.loss.nanmean(), mean)


def test_masked_lm_has_logits_and_predictions_but_no_next_token_loss(tiny_family_models, tiny_gpt2):
    trace = mw.trace(tiny_family_models["bert"], tiny_gpt2[1], TEXT)
    assert trace.logits is not None and trace.top_k is not None and trace.loss is None


@pytest.mark.parametrize("key", WITH_HEAD)
def test_top_k_predictions(key, tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models[key], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT, top_k=3)
    expected = trace.logits.softmax(-1).topk(3)
    torch.testing.assert_close(trace.top_k.probs, expected.values)
    assert torch.equal(trace.top_k.ids, expected.indices) and trace.top_k.k == 3
    assert (trace.top_k.probs[:, :-1] >= trace.top_k.probs[:, 1:]).all()
    assert trace.top_k.tokens[2] == [tokenizer.decode([i]) for i in expected.indices[2].tolist()]
    assert trace.top_k.at(2) == list(
        zip(trace.top_k.tokens[2], expected.values[2].tolist(), strict=True)
    )


def built_with_sdpa(model) -> None:
    """Skip models built with eager attention (Gemma 2: sdpa cannot soft-cap its logits):
    the tests below check that capture switches sdpa to eager and back."""
    if model.config._attn_implementation == "eager":
        pytest.skip(f"{type(model).__name__} is built with eager attention")


def test_training_mode_and_attention_implementation_are_restored(family):
    _, model, tokenizer = family
    built_with_sdpa(model)
    assert model.training and model.config._attn_implementation == "sdpa"
    first = mw.trace(model, tokenizer, TEXT)
    second = mw.trace(model, tokenizer, TEXT)  # dropout is off during the pass
    torch.testing.assert_close(first.mlp_post, second.mlp_post, atol=0, rtol=0)
    assert model.training and all(module.training for module in model.modules())
    assert model.config._attn_implementation == "sdpa"


def test_every_hook_is_removed_also_when_the_pass_fails(family, monkeypatch):
    _, model, tokenizer = family
    built_with_sdpa(model)
    blocks = detect(model).block_list(model)

    def count():
        return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())

    before = count()
    mw.trace(model, tokenizer, TEXT)
    assert count() == before

    def broken(*args, **kwargs):
        raise RuntimeError("boom in block 1")

    monkeypatch.setattr(blocks[1], "forward", broken)
    with pytest.raises(RuntimeError, match="boom in block 1"):
        mw.trace(model, tokenizer, TEXT)
    assert count() == before
    assert model.training and model.config._attn_implementation == "sdpa"


@pytest.mark.parametrize("key", ["gemma2", "gemma3_text"])
def test_sliding_window_layers_attend_only_inside_their_window(key, tiny_family_models, tiny_gpt2):
    """Layer 0 slides (window 4: a query sees itself and the 3 keys before), layer 1 is
    global; outside the window the pattern is exactly zero, rows still sum to one."""
    model, tokenizer = tiny_family_models[key], tiny_gpt2[1]
    assert model.config.layer_types == ["sliding_attention", "full_attention"]
    window = model.config.sliding_window
    trace = mw.trace(model, tokenizer, TEXT)
    n = trace.n_tokens
    assert n >= 3 * window
    query, key_pos = torch.arange(n)[:, None], torch.arange(n)[None, :]
    inside = (key_pos <= query) & (query - key_pos < window)
    sliding, full = trace.attention[0], trace.attention[1]
    assert torch.all(sliding[:, ~inside] == 0) and torch.all(sliding[:, inside] > 0)
    assert torch.all(full[:, key_pos <= query] > 0)  # the global layer sees every earlier key
    torch.testing.assert_close(trace.attention.sum(-1), torch.ones(2, 4, n))


def test_gemma2_attention_logits_are_soft_capped(tiny_family_models, tiny_gpt2):
    """The recorded pattern is the softmax of ``cap * tanh(scores / cap)``, recomputed here
    from the layer's queries and keys (rotary positions, grouped heads, the global layer)."""
    from transformers.models.gemma2.modeling_gemma2 import apply_rotary_pos_emb

    model, tokenizer = tiny_family_models["gemma2"], tiny_gpt2[1]
    config, attention = model.config, model.model.layers[1].self_attn
    trace = mw.trace(model, tokenizer, TEXT)
    n = trace.n_tokens
    x = model.model.layers[1].input_layernorm(trace.resid_pre[1][None])
    with torch.no_grad():
        q = attention.q_proj(x).view(1, n, -1, 8).transpose(1, 2)
        k = attention.k_proj(x).view(1, n, -1, 8).transpose(1, 2)
        cos, sin = model.model.rotary_emb(x, torch.arange(n)[None])
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        k = k.repeat_interleave(2, dim=1)
        scores = q @ k.transpose(2, 3) * config.query_pre_attn_scalar**-0.5
    cap = config.attn_logit_softcapping
    future = torch.ones(n, n, dtype=torch.bool).triu(1)
    capped = (torch.tanh(scores / cap) * cap).masked_fill(future, float("-inf")).softmax(-1)
    torch.testing.assert_close(trace.attention[1], capped[0], atol=1e-5, rtol=1e-4)
    uncapped = scores.masked_fill(future, float("-inf")).softmax(-1)
    assert (uncapped[0] - trace.attention[1]).abs().max() > 1e-3  # the cap matters here


def test_gemma_embeddings_are_scaled_by_the_square_root_of_d_model(tiny_family_models, tiny_gpt2):
    for key in ("gemma", "gemma2", "gemma3_text"):
        model = tiny_family_models[key]
        trace = mw.trace(model, tiny_gpt2[1], TEXT)
        weights = model.model.embed_tokens.weight.detach()
        torch.testing.assert_close(trace.resid_pre[0], weights[trace.input_ids] * 32**0.5)


def test_attention_view_draws_bidirectional_bert_attention(tiny_family_models, tiny_gpt2):
    trace = mw.trace(tiny_family_models["bert"], tiny_gpt2[1], TEXT)
    view = mw.AttentionView(trace)
    assert not view.causal and view._slices["layer:0"]["layout"] == "dense"
    assert np.abs(view.attention - trace.attention.numpy()).max() <= 1 / 510 + 1e-6


def test_bert_heads_other_than_masked_lm(tiny_family_models, tiny_gpt2):
    import transformers as T

    config = tiny_family_models["bert"].config
    pretraining = T.BertForPreTraining(config)
    trace = mw.trace(pretraining, tiny_gpt2[1], TEXT)
    with evaluating(pretraining), torch.no_grad():
        expected = pretraining.cls.predictions(trace.resid_post[-1])
    torch.testing.assert_close(trace.logits, expected, atol=1e-5, rtol=1e-5)
    classifier = mw.trace(T.BertForSequenceClassification(config), tiny_gpt2[1], TEXT)
    assert classifier.logits is None and classifier.top_k is None
    assert classifier.mlp_post.shape == (2, classifier.n_tokens, 64)
