"""mw.trace options: layers, kinds, dtype, top_k, lengths, site names and their errors."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

import mi_widgets as mw

TEXT = "When Mary and John went to the store"

pytestmark = pytest.mark.usefixtures("torch_single_thread")


@pytest.fixture
def llama(tiny_family_models, tiny_gpt2):
    return tiny_family_models["llama"], tiny_gpt2[1]


def test_a_subset_of_layers_equals_those_layers_of_the_full_trace(llama):
    model, tokenizer = llama
    full = mw.trace(model, tokenizer, TEXT)
    part = mw.trace(model, tokenizer, TEXT, layers=[-1])
    assert part.layers == (1,) and part.n_layers == 1
    for name in ("attention", "resid_pre", "resid_post", "mlp_post"):
        torch.testing.assert_close(getattr(part, name), getattr(full, name)[1:])
    torch.testing.assert_close(part.logits, full.logits)
    assert mw.trace(model, tokenizer, TEXT, layers=[1, 0]).layers == (0, 1)
    assert mw.trace(model, tokenizer, TEXT, layers=0).layers == (0,)
    assert mw.trace(model, tokenizer, TEXT, layers=np.arange(1, 2)).layers == (1,)


def test_kinds_record_only_what_is_asked(llama):
    model, tokenizer = llama
    only_attention = mw.trace(model, tokenizer, TEXT, kinds={"attention"})
    assert only_attention.attention.shape[:2] == (2, 4)
    assert only_attention.resid_pre is None and only_attention.resid_post is None
    assert only_attention.mlp_post is None and only_attention.logits is None
    assert only_attention.loss is None and only_attention.top_k is None
    activations = mw.trace(model, tokenizer, TEXT, kinds=["resid", "mlp"])
    assert activations.attention is None and activations.n_heads is None
    assert activations.n_layers == 2 and activations.mlp_post.shape[0] == 2
    assert "kinds=resid+mlp" in repr(activations)
    assert mw.trace(model, tokenizer, TEXT, kinds="logits").logits is not None
    assert model.config._attn_implementation == "sdpa"


def test_float16_storage_is_close_to_float32(llama):
    model, tokenizer = llama
    exact = mw.trace(model, tokenizer, TEXT)
    half = mw.trace(model, tokenizer, TEXT, dtype=torch.float16)
    for name in ("attention", "resid_pre", "resid_post", "mlp_post", "logits"):
        value = getattr(half, name)
        assert value.dtype == torch.float16, name
        torch.testing.assert_close(value.float(), getattr(exact, name), atol=2e-3, rtol=1e-2)
    assert half.loss.dtype == half.top_k.probs.dtype == torch.float32
    torch.testing.assert_close(half.loss, exact.loss, equal_nan=True)
    view = mw.AttentionView(half)
    assert view.causal and view.n_layers == 2


def test_top_k_is_capped_at_the_vocabulary_and_zero_records_none(llama):
    model, tokenizer = llama
    assert mw.trace(model, tokenizer, "Mary", top_k=10_000).top_k.k == len(tokenizer)
    assert mw.trace(model, tokenizer, "Mary", top_k=0).top_k is None


def test_site_names_follow_the_transformer_lens_scheme(llama):
    model, tokenizer = llama
    trace = mw.trace(model, tokenizer, TEXT, layers=[1])
    torch.testing.assert_close(trace["blocks.1.attn.hook_pattern"], trace.attention[0])
    torch.testing.assert_close(trace["blocks.1.hook_resid_pre"], trace.resid_pre[0])
    torch.testing.assert_close(trace["blocks.1.hook_resid_post"], trace.resid_post[0])
    torch.testing.assert_close(trace["blocks.1.mlp.hook_post"], trace.mlp_post[0])
    assert "blocks.1.mlp.hook_post" in trace.names and len(trace.names) == 4
    with pytest.raises(KeyError, match=r"blocks\.0\.hook_resid_pre.*valid names are blocks\.1"):
        trace["blocks.0.hook_resid_pre"]
    with pytest.raises(KeyError, match=r"'blocks\.1\.hook_z'"):
        trace["blocks.1.hook_z"]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"layers": [2]},
            ValueError,
            r"layers contains 2 but LlamaForCausalLM has 2 layers: "
            r"expected 0 <= layer < 2",
        ),
        ({"layers": [-3]}, ValueError, "layers contains -3"),
        ({"layers": [0, -2]}, ValueError, "names a layer twice"),
        ({"layers": []}, ValueError, "layers is empty"),
        ({"layers": [0.5]}, TypeError, "layers must hold ints"),
        ({"layers": [True]}, TypeError, "layers must hold ints"),
        (
            {"kinds": {"attention", "neurons"}},
            ValueError,
            "unknown 'neurons': valid kinds are 'attention', 'resid', 'mlp', 'logits'",
        ),
        ({"kinds": set()}, ValueError, "kinds is empty"),
        ({"dtype": torch.int8}, ValueError, r"dtype must be one of torch.float32"),
        ({"top_k": -1}, ValueError, "top_k must be an int >= 0"),
        ({"max_length": 0}, ValueError, "max_length must be None or an int >= 1"),
        (
            {"max_length": 65},
            ValueError,
            r"max_length = 65 exceeds the context of LlamaForCausalLM \(64 tokens\)",
        ),
        ({"truncate": "yes"}, TypeError, "truncate must be True or False"),
    ],
)
def test_bad_options_are_clear_errors(llama, options, error, message):
    model, tokenizer = llama
    with pytest.raises(error, match=message):
        mw.trace(model, tokenizer, TEXT, **options)


def test_texts_longer_than_the_context_fail_unless_truncated(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    long = "Mary and John " * 60
    full = tokenizer(long)["input_ids"]
    with pytest.raises(
        ValueError,
        match=rf"text is {len(full)} tokens long but GPT2LMHeadModel "
        r"takes at most 64; shorten the text or pass truncate=True",
    ):
        mw.trace(model, tokenizer, long)
    cut = mw.trace(model, tokenizer, long, truncate=True)
    assert cut.input_ids.tolist() == full[:64] and cut.attention.shape[-1] == 64
    medium = "Mary and John " * 4
    assert len(tokenizer(medium)["input_ids"]) > 5
    with pytest.raises(ValueError, match=r"takes at most 5 \(max_length\)"):
        mw.trace(model, tokenizer, medium, max_length=5)
    assert mw.trace(model, tokenizer, medium, max_length=5, truncate=True).n_tokens == 5
    with pytest.raises(ValueError, match=r"texts\[1\] is \d+ tokens long"):
        mw.trace(model, tokenizer, ["Mary", long])


def test_empty_texts_and_wrong_types_are_clear_errors(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    with pytest.raises(ValueError, match="text is empty"):
        mw.trace(model, tokenizer, "")
    with pytest.raises(ValueError, match=r"texts\[1\] is empty"):
        mw.trace(model, tokenizer, ["Mary", ""])
    with pytest.raises(ValueError, match="text is an empty list"):
        mw.trace(model, tokenizer, [])
    with pytest.raises(TypeError, match=r"texts\[0\] must be a str, got int"):
        mw.trace(model, tokenizer, [3])
    with pytest.raises(TypeError, match="tokenizer is None"):
        mw.trace(model, None, TEXT)


def test_unknown_architecture_names_the_class_and_every_supported_family(tiny_gpt2):
    class MysteryForCausalLM(torch.nn.Module):
        config = SimpleNamespace(model_type="mystery")

    with pytest.raises(ValueError) as error:
        mw.trace(MysteryForCausalLM(), tiny_gpt2[1], TEXT)
    message = str(error.value)
    assert message.startswith("cannot trace MysteryForCausalLM (model_type 'mystery')")
    for family in (
        "GPT-2",
        "GPT-NeoX/Pythia",
        "Llama",
        "Mistral",
        "Qwen2",
        "BERT",
        "TransformerLens",
    ):
        assert family in message
    for model_type in ("'gpt2'", "'gpt_neox'", "'llama'", "'mistral'", "'qwen2'", "'bert'"):
        assert model_type in message
