"""Gemma Scope SAEs from a local params.npz: JumpReLU as Gemma Scope computes it, checked
against the hook's width."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mi_widgets import SparseAutoencoder

D_MODEL, D_SAE = 32, 48


def write_params(path, d_in: int = D_MODEL, d_sae: int = D_SAE, seed: int = 0, drop=()):
    """A params.npz in Gemma Scope's layout (float32 arrays), without the keys in ``drop``."""
    rng = np.random.default_rng(seed)
    arrays = {
        "W_enc": rng.normal(size=(d_in, d_sae)),
        "W_dec": rng.normal(size=(d_sae, d_in)),
        "b_enc": rng.normal(size=d_sae) * 0.1,
        "b_dec": rng.normal(size=d_in),
        "threshold": rng.uniform(0.2, 1.0, size=d_sae),
    }
    arrays = {key: value.astype(np.float32) for key, value in arrays.items() if key not in drop}
    np.savez(path, **arrays)
    return arrays


def test_encode_is_jumprelu_without_b_dec_and_decode_adds_b_dec(tmp_path, tiny_family_models):
    params = write_params(tmp_path / "params.npz")
    model = tiny_family_models["gpt2"]
    sae = SparseAutoencoder.from_gemma_scope(tmp_path, "blocks.-1.hook_resid_post", model)
    assert (sae.d_in, sae.n_features, sae.activation) == (D_MODEL, D_SAE, "jumprelu")
    assert sae.hook == "blocks.1.hook_resid_post" and sae.info["source"].startswith("Gemma")
    x = np.random.default_rng(1).normal(size=(20, D_MODEL)).astype(np.float32) * 2
    pre = x @ params["W_enc"] + params["b_enc"]  # Gemma Scope: no b_dec subtracted first
    expected = np.where(pre > params["threshold"], np.maximum(pre, 0), 0)
    features = sae.encode(torch.from_numpy(x))
    np.testing.assert_allclose(features.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    between = (pre > 0) & (pre <= params["threshold"])
    assert between.any() and (expected > 0).any(), "the threshold, not the ReLU, cuts some"
    decoded = sae.decode(features).detach().numpy()
    np.testing.assert_allclose(decoded, expected @ params["W_dec"] + params["b_dec"], atol=1e-4)


def test_the_loaded_autoencoder_saves_and_loads_the_same(tmp_path):
    write_params(tmp_path / "params.npz")
    sae = SparseAutoencoder.from_gemma_scope(tmp_path / "params.npz", "blocks.5.hook_resid_post")
    again = SparseAutoencoder.load(sae.save(tmp_path / "sae.safetensors"))
    x = torch.randn(7, D_MODEL)
    torch.testing.assert_close(again.encode(x), sae.encode(x))
    assert not again.apply_b_dec_to_input and again.hook == "blocks.5.hook_resid_post"


def test_an_attention_sae_reads_every_heads_output(tmp_path, tiny_family_models):
    model = tiny_family_models["qwen3"]  # 4 heads of d_head 16: hook_z is 64 wide, d_model 32
    write_params(tmp_path / "params.npz", d_in=64)
    sae = SparseAutoencoder.from_gemma_scope(tmp_path, "blocks.0.attn.hook_z", model)
    assert sae.d_in == 64
    write_params(tmp_path / "params.npz", d_in=D_MODEL)
    with pytest.raises(ValueError, match=r"d_in = 32 .*n_heads \* d_head = 4 \* 16 wide"):
        SparseAutoencoder.from_gemma_scope(tmp_path, "blocks.0.attn.hook_z", model)


def test_an_sae_of_the_wrong_width_for_the_hook_names_both_widths(tmp_path, tiny_family_models):
    write_params(tmp_path / "params.npz", d_in=64)
    model = tiny_family_models["gpt2"]
    with pytest.raises(
        ValueError, match=r"d_in = 64 .*blocks.1.hook_resid_post of GPT2LMHeadModel is 32 wide"
    ):
        SparseAutoencoder.from_gemma_scope(tmp_path, "blocks.1.hook_resid_post", model)
    sae = SparseAutoencoder.from_gemma_scope(tmp_path, "blocks.1.mlp.hook_post", model)
    assert sae.d_in == 64  # d_mlp


def test_bad_files_and_hooks_are_named(tmp_path, tiny_family_models):
    with pytest.raises(FileNotFoundError, match=r"no Gemma Scope params\.npz"):
        SparseAutoencoder.from_gemma_scope(tmp_path, "blocks.0.hook_resid_post")
    write_params(tmp_path / "params.npz", drop=("threshold",))
    with pytest.raises(ValueError, match="not a Gemma Scope SAE: it has no array threshold"):
        SparseAutoencoder.from_gemma_scope(tmp_path, "blocks.0.hook_resid_post")
    write_params(tmp_path / "params.npz")
    with pytest.raises(ValueError, match="hook must be a site name"):
        SparseAutoencoder.from_gemma_scope(tmp_path, None)
    with pytest.raises(ValueError, match="is not a hook point of GPT2LMHeadModel"):
        SparseAutoencoder.from_gemma_scope(
            tmp_path, "layer_5/width_16k", tiny_family_models["gpt2"]
        )
