"""Qwen3, Phi-3, GPT-J and the generic decoder path: what the shared family tests do not cover
(probes and SAEs per family, parallel blocks, the generic path's warning and errors)."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.capture import families
from mi_widgets.capture.families import detect
from mi_widgets.capture.sites import parse_site, reading
from mi_widgets.sae import evaluate_sae, train_sae
from tests.conftest import ADDED_DECODERS, GENERIC_DECODERS
from tests.test_sae import splitting_autoencoder

pytestmark = [
    pytest.mark.usefixtures("torch_single_thread"),
    pytest.mark.filterwarnings("ignore:.*is not in the family table:UserWarning"),
]

TEXTS = [f"When Mary and John went to the store {i}, John gave a drink to" for i in range(16)]


@pytest.mark.parametrize("family", ADDED_DECODERS)
def test_probe_from_the_model_equals_probe_from_its_traces(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    labels = [i % 2 for i in range(len(TEXTS))]
    probes = mw.probe(model, tokenizer, TEXTS, labels, batch_size=3, l2=1.0)
    traces = [mw.trace(model, tokenizer, text) for text in TEXTS]
    from_traces = mw.probe(traces, labels=labels, l2=1.0)
    assert probes.layers.tolist() == [0, 1]
    np.testing.assert_allclose(from_traces.projection, probes.projection, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(from_traces.accuracy, probes.accuracy)


@pytest.mark.parametrize("family", ADDED_DECODERS)
def test_train_sae_and_an_exact_autoencoder_spliced_in(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    hook = "blocks.0.hook_resid_post"
    sae = train_sae(
        model, tokenizer, TEXTS, hook, n_features=32, k=4, batch_size=64, buffer_size=128,
        progress=False,
    )  # fmt: skip
    assert (sae.hook, sae.d_in, sae.n_features) == (hook, 32, 32) and sae.info["steps"] > 0
    exact = evaluate_sae(model, tokenizer, splitting_autoencoder(32, hook), TEXTS[:4])
    assert exact.fraction_variance_explained == pytest.approx(1.0, abs=1e-5)
    assert exact.loss_spliced == pytest.approx(exact.loss_clean, abs=1e-4)
    assert exact.loss_zero_ablated != exact.loss_clean  # the site feeds the loss


@pytest.mark.parametrize("family", ["gptj", "gpt_neox"])
def test_parallel_blocks_refuse_hook_resid_mid_with_the_reason(tiny_family_models, family):
    model = tiny_family_models[family]
    with pytest.raises(ValueError, match=r"hook_resid_mid.*read the block's input in parallel"):
        parse_site(model, "blocks.0.hook_resid_mid")
    with pytest.raises(ValueError, match="no learned positional embeddings"):
        parse_site(model, "hook_pos_embed")  # rotary positions


def test_sequential_blocks_refuse_hook_resid_mid_with_the_list(tiny_family_models):
    with pytest.raises(ValueError, match="expected hook_embed") as error:
        parse_site(tiny_family_models["qwen3"], "blocks.0.hook_resid_mid")
    assert "parallel" not in str(error.value)


def test_qwen3_heads_are_narrower_than_d_model_over_heads(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["qwen3"], tiny_gpt2[1]
    input_ids = torch.tensor([tokenizer(TEXTS[0])["input_ids"]])
    with reading(model, ["blocks.1.attn.hook_z"]) as records, torch.no_grad():
        model(input_ids)
    assert records["blocks.1.attn.hook_z"].shape == (1, input_ids.shape[1], 4, 16)  # not 32 / 4


@pytest.mark.parametrize("family", GENERIC_DECODERS)
def test_the_generic_path_warns_once_naming_what_it_inferred(
    tiny_family_models, family, monkeypatch
):
    model = tiny_family_models[family]
    monkeypatch.setattr(families, "_GENERIC", {})
    with pytest.warns(UserWarning, match="is not in the family table") as record:
        first = detect(model)
    message = str(record[0].message)
    mlp = "mlp.down_proj" if family == "stablelm" else "mlp.c_proj"
    for inferred in ("blocks = 'layers'", "attn_proj = 'self_attn.o_proj'", f"mlp = '{mlp}'"):
        assert inferred in message
    assert "final_norm = 'norm'" in message and "unembed = 'lm_head'" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert detect(model) is first  # once per class
    assert first.name == f"generic decoder ({family})" and first.mlp_is_input


class _Toy(torch.nn.Module):
    """A model with a config but no blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.config = types.SimpleNamespace(model_type="toy", hidden_size=8)
        self.proj = torch.nn.Linear(8, 8)

    @property
    def base_model(self) -> torch.nn.Module:
        return self


def test_a_model_without_blocks_gets_an_error_naming_what_was_not_found(tiny_gpt2):
    with pytest.raises(ValueError) as error:
        mw.trace(_Toy(), tiny_gpt2[1], TEXTS[0])
    message = str(error.value)
    assert message.startswith("cannot trace _Toy (model_type 'toy'): it is not in the family")
    assert "did not find a ModuleList of blocks under _Toy, each with an attention" in message
    for name in ("GPT-2", "Qwen3", "Phi-3", "GPT-J", "TransformerLens"):
        assert name in message


def test_a_generic_model_without_its_lm_head_gets_an_error(tiny_family_models):
    base = tiny_family_models["stablelm"].base_model
    with pytest.raises(ValueError, match=r"cannot trace StableLmModel .*did not find an LM head"):
        detect(base)
