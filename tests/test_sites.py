"""Hook points by name: the same site names read and replace activations in every family."""

from __future__ import annotations

import pytest
import torch

import mi_widgets as mw
from mi_widgets.capture.families import detect
from mi_widgets.capture.readout import head_weights
from mi_widgets.capture.sites import (
    at_site,
    head_shape,
    parse_site,
    reading,
    site_names,
    site_width,
)

pytestmark = [
    pytest.mark.usefixtures("torch_single_thread"),
    pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning"),
]

TEXT = "When Mary and John went to the store, John gave a drink to"
SEQUENTIAL = ("gpt2", "gpt_neox", "llama", "mistral", "qwen2")  # resid_post = pre + attn + mlp
#: Families that normalise the attention and MLP outputs before adding them (also sequential:
#: ``hook_attn_out`` and ``hook_mlp_out`` are after those norms, what joins the stream).
POST_NORM = ("gemma2", "gemma3_text", "olmo2")


def after_post_norm(family: str, block, norm: str, x: torch.Tensor) -> torch.Tensor:
    """``x`` through ``block``'s norm named ``norm`` in a post-norm family, else ``x``."""
    return block.get_submodule(norm)(x) if family in POST_NORM else x


@pytest.fixture(autouse=True)
def _modes_restored(tiny_family_models):
    """These tests put shared models in eval mode: give each its mode back after."""
    modes = {name: model.training for name, model in tiny_family_models.items()}
    yield
    for name, model in tiny_family_models.items():
        model.train(modes[name])


def run(model, input_ids: torch.Tensor) -> torch.Tensor:
    """The model's first output (logits, or the last hidden state of a base model)."""
    with torch.no_grad():
        if hasattr(model, "cfg"):
            return model(input_ids)
        out = model(input_ids=input_ids)
    return out.logits if hasattr(out, "logits") else out.last_hidden_state


@pytest.mark.parametrize(
    "family", [*SEQUENTIAL, "gemma", *POST_NORM, "gpt2_base", "bert", "bert_base"]
)
def test_every_site_reads_what_a_trace_records(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    model.eval()
    trace = mw.trace(model, tokenizer, TEXT)
    names = site_names(model)
    assert len(names) == 2 * 7
    with reading(model, names) as records:
        run(model, trace.input_ids[None])
    for layer in range(2):
        site = f"blocks.{layer}."
        torch.testing.assert_close(records[site + "hook_resid_pre"][0], trace.resid_pre[layer])
        torch.testing.assert_close(records[site + "hook_resid_post"][0], trace.resid_post[layer])
        torch.testing.assert_close(records[site + "mlp.hook_post"][0], trace.mlp_post[layer])
        kinds = ("hook_resid_pre", "hook_attn_out", "ln2.hook_normalized", "hook_mlp_out")
        for kind in (*kinds, "mlp.hook_post"):
            assert records[site + kind].shape[-1] == site_width(model, site + kind)
        z = records[site + "attn.hook_z"]
        assert z.shape == (1, trace.n_tokens, *head_shape(model))
        # every head's output through its slice of the projection adds up to the attention
        # output (BERT's is before its dropout and norm; post-norm families: through the
        # norm after attention)
        weight, bias = head_weights(model, layer)
        block = model.base_model.encoder.layer[layer] if family.startswith("bert") else (
            detect(model).block_list(model)[layer])  # fmt: skip
        with torch.no_grad():
            attn_out = after_post_norm(
                family, block, "post_attention_layernorm",
                torch.einsum("bphd,hdm->bpm", z, weight) + bias,
            )  # fmt: skip
        torch.testing.assert_close(attn_out, records[site + "hook_attn_out"], atol=1e-5, rtol=1e-5)
        # the MLP's input, through the MLP, is its output
        mlp_input = records[site + "ln2.hook_normalized"]
        with torch.no_grad():
            if family.startswith("bert"):
                block = model.base_model.encoder.layer[layer]
                mlp_output = block.output.dense(block.intermediate(mlp_input))
            else:
                mlp_output = after_post_norm(
                    family, block, "post_feedforward_layernorm", block.mlp(mlp_input)
                )
        torch.testing.assert_close(mlp_output, records[site + "hook_mlp_out"])
        if family in (*SEQUENTIAL, "gemma", *POST_NORM):  # the block adds both to the stream
            torch.testing.assert_close(
                records[site + "hook_resid_post"],
                records[site + "hook_resid_pre"]
                + records[site + "hook_attn_out"]
                + records[site + "hook_mlp_out"],
            )


@pytest.mark.parametrize("family", ["gpt2", "gpt_neox", "llama", "bert", "gemma", *POST_NORM])
def test_a_replaced_site_changes_the_pass_and_only_inside_the_block(
    tiny_family_models, tiny_gpt2, family
):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    model.eval()
    input_ids = torch.tensor([tokenizer(TEXT)["input_ids"]])
    clean = run(model, input_ids)
    for kind in ("hook_resid_pre", "hook_attn_out", "hook_mlp_out", "mlp.hook_post"):
        with at_site(model, f"blocks.1.{kind}", lambda x: x.clone()):
            torch.testing.assert_close(run(model, input_ids), clean)  # same tensor: same pass
        with at_site(model, f"blocks.1.{kind}", torch.zeros_like):
            assert not torch.allclose(run(model, input_ids), clean)
        torch.testing.assert_close(run(model, input_ids), clean)  # hook gone
    # the residual stream after the last block decides the output alone
    with reading(model, ["blocks.1.hook_resid_post"]) as records:
        run(model, input_ids)
    kept = records["blocks.1.hook_resid_post"]
    with (
        at_site(model, "blocks.1.hook_resid_pre", torch.zeros_like),
        at_site(model, "blocks.1.hook_resid_post", lambda x: kept),
    ):
        torch.testing.assert_close(run(model, input_ids), clean)


def test_the_hook_is_removed_when_the_pass_raises(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    model.eval()
    input_ids = torch.tensor([tokenizer(TEXT)["input_ids"]])
    clean = run(model, input_ids)

    def fail(x: torch.Tensor) -> None:
        raise RuntimeError("inside the pass")

    with (
        pytest.raises(RuntimeError, match="inside the pass"),
        at_site(model, "blocks.0.hook_mlp_out", fail),
    ):
        run(model, input_ids)
    torch.testing.assert_close(run(model, input_ids), clean)


def test_hooked_transformer_sites_are_its_own_hook_points(hooked):
    model, tokenizer = hooked
    input_ids = torch.tensor([tokenizer(TEXT)["input_ids"]])
    names = site_names(model)
    with reading(model, names) as records:
        logits, cache = model.run_with_cache(input_ids)
    for name in names:
        torch.testing.assert_close(records[name], cache[name])
        if name.endswith("attn.hook_z"):
            assert records[name].shape[-2:] == head_shape(model)
            with pytest.raises(ValueError, match=r"holds \[head, d_head\]"):
                site_width(model, name)
        else:
            assert records[name].shape[-1] == site_width(model, name)
    with at_site(model, "blocks.1.hook_mlp_out", torch.zeros_like):
        assert not torch.allclose(model(input_ids), logits)
    torch.testing.assert_close(model(input_ids), logits)


def test_a_site_name_that_does_not_exist_lists_the_valid_ones(tiny_family_models):
    model = tiny_family_models["gpt2"]
    assert parse_site(model, "blocks.-1.hook_resid_post") == (1, "hook_resid_post")
    for name in ("blocks.2.hook_resid_post", "blocks.0.hook_resid_mid", "resid_post", 3):
        with pytest.raises(ValueError, match="is not a hook point of GPT2LMHeadModel") as error:
            parse_site(model, name)
        assert "0 <= layer < 2" in str(error.value)
        assert "hook_mlp_out" in str(error.value) and "mlp.hook_post" in str(error.value)
