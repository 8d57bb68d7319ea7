"""Head composition scores: the formulas, the weights each family stores, the demo model."""

from __future__ import annotations

import contextlib
import copy
import pathlib

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis.composition import KINDS, CompositionScores
from mi_widgets.capture.attention_weights import attention_weights
from mi_widgets.capture.readout import norm_parameters
from mi_widgets.capture.sites import at_site

PRE_NORM_FAMILIES = ("gpt2", "gpt2_base", "gpt_neox", "llama", "mistral", "qwen2")


def dense_scores(weights) -> np.ndarray:
    """The definition, with every ``[d_model, d_model]`` matrix formed: ``[kind, L, H, L, H]``."""
    ov = weights.W_V @ weights.W_O  # [layer, head, d_model, d_model]
    qk = weights.W_Q @ weights.W_K.transpose(-1, -2)
    n_layers, n_heads = ov.shape[:2]
    out = np.full((3, n_layers, n_heads, n_layers, n_heads), np.nan, dtype=np.float32)
    norm = torch.linalg.matrix_norm
    for l1 in range(n_layers):
        for h1 in range(n_heads):
            for l2 in range(l1 + 1, n_layers):
                for h2 in range(n_heads):
                    w_ov, w_qk, w_ov2 = ov[l1, h1], qk[l2, h2], ov[l2, h2]
                    out[:, l1, h1, l2, h2] = [
                        norm(w_ov @ w_qk) / (norm(w_ov) * norm(w_qk)),
                        norm(w_ov @ w_qk.T) / (norm(w_ov) * norm(w_qk)),
                        norm(w_ov @ w_ov2) / (norm(w_ov) * norm(w_ov2)),
                    ]
    return out


@pytest.mark.parametrize("name", PRE_NORM_FAMILIES)
def test_scores_equal_the_dense_definition(tiny_family_models, name):
    model = tiny_family_models[name]
    comp = mw.composition_scores(model)
    assert comp.scores.shape == (3, 2, 4, 2, 4)
    expected = dense_scores(attention_weights(model))
    np.testing.assert_allclose(comp.scores, expected, rtol=1e-4, atol=1e-6)
    defined = ~np.isnan(comp.scores)
    assert defined[:, 0, :, 1].all() and not defined[:, :, :, 0].any()
    assert not defined[:, 1, :, 1].any()
    assert ((comp.scores[defined] > 0) & (comp.scores[defined] <= 1)).all()


def captured(model, input_ids, layer):
    """The residual stream entering ``layer``, its pattern and per-head outputs ``z``."""
    found = {}

    def keep(name):
        def edit(x):
            found[name] = x.detach()

        return edit

    sites = ("hook_resid_pre", "attn.hook_pattern", "attn.hook_z")
    with contextlib.ExitStack() as stack:
        for site in sites:
            stack.enter_context(at_site(model, f"blocks.{layer}.{site}", keep(site)))
        with torch.no_grad():
            model(input_ids)
    return [found[site][0] for site in sites]


@pytest.mark.parametrize("name", PRE_NORM_FAMILIES)
def test_value_weights_reproduce_every_heads_output(tiny_family_models, name):
    """With biases zero, z[q, h] = Σ_k pattern[h, q, k] (x_k W_V[h]) / scale(x_k): the
    folded W_V (fused layouts, grouped-query heads, norm weights) is what the model uses."""
    model = copy.deepcopy(tiny_family_models[name]).eval()
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if parameter_name.endswith("bias"):
                parameter.zero_()
            elif "norm" in parameter_name or "ln_" in parameter_name:
                parameter.uniform_(0.5, 1.5)  # a norm weight that is not all ones
    weights = attention_weights(model)
    ids = torch.arange(1, 9)[None]
    for layer in range(2):
        resid, pattern, z = captured(model, ids, layer)
        block = model.base_model.get_submodule({"gpt2": "h"}.get(name[:4], "layers"))[layer]
        norm = getattr(block, "ln_1", None) or block.input_layernorm
        scale = norm_parameters(norm, resid.shape[-1], "norm").scale(resid)  # [pos]
        values = torch.einsum("kd,hdf->khf", resid / scale[:, None], weights.W_V[layer])
        expected = torch.einsum("hqk,khf->qhf", pattern, values)
        torch.testing.assert_close(z, expected, rtol=1e-4, atol=1e-5)


def test_gpt2_query_and_key_weights_reproduce_the_pattern(tiny_family_models):
    model = copy.deepcopy(tiny_family_models["gpt2"]).eval()
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if parameter_name.endswith("bias"):
                parameter.zero_()
    weights = attention_weights(model)
    resid, pattern, _ = captured(model, torch.arange(1, 9)[None], 1)
    x = resid / norm_parameters(model.transformer.h[1].ln_1, 32, "ln").scale(resid)[:, None]
    q, k = (torch.einsum("pd,hdf->hpf", x, w[1]) for w in (weights.W_Q, weights.W_K))
    logits = q @ k.transpose(-1, -2) / 8**0.5
    logits = logits.masked_fill(torch.ones(8, 8, dtype=torch.bool).triu(1), float("-inf"))
    torch.testing.assert_close(logits.softmax(-1), pattern, rtol=1e-4, atol=1e-5)


def test_equals_transformer_lens_all_composition_scores(hooked):
    model, _ = hooked
    if model.cfg.normalization_type != "RMS":
        pytest.skip("TransformerLens' scores leave out the LayerNorm's centring; RMS has none")
    comp = mw.composition_scores(model)
    for index, kind in enumerate(KINDS):
        theirs = model.all_composition_scores(kind).detach().numpy()
        mine = np.nan_to_num(comp.scores[index], nan=0.0)
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


def test_hand_set_heads_compose_by_the_kind_they_were_built_for(tiny_family_models):
    """Layer 0 head 0 writes only to direction e0; layer 1 head 1 reads e0 for its keys only,
    head 2 for its queries only, head 3 for its values only."""
    model = copy.deepcopy(tiny_family_models["gpt2_base"])
    d_model, d_head = 32, 8
    with torch.no_grad():
        for block in model.h:
            block.ln_1.weight.fill_(1.0)
            block.attn.c_attn.weight.normal_()
            block.attn.c_proj.weight.normal_()
        c_proj = model.h[0].attn.c_proj.weight  # [head x d_head, d_model]
        c_proj[:d_head, :] = 0.0
        c_proj[:d_head, 0] = 1.0  # head 0 writes e0 (- its mean, after the centring)
        reads = model.h[1].attn.c_attn.weight  # [d_model, (q | k | v) x head x d_head]
        reads[0, :] = 0.0  # nobody in layer 1 reads e0 ...
        for head, part in ((1, 1), (2, 0), (3, 2)):  # ... but these, by k, q, v
            columns = slice(part * d_model + head * d_head, part * d_model + (head + 1) * d_head)
            reads[:, columns] = 0.0
            reads[0, columns] = 1.0
    comp = mw.composition_scores(model)
    writer = comp.scores[:, 0, 0, 1]  # [kind, reader head]
    for head, kind in ((1, "K"), (2, "Q"), (3, "V")):
        k = KINDS.index(kind)
        assert writer[k, head] > 0.9, (kind, writer[:, head])
        others = [i for i in range(3) if i != k]
        assert (writer[others, head] < 0.2).all(), (kind, writer[:, head])


def test_demo_induction_heads_key_compose_with_the_previous_token_heads():
    """The demo model's previous-token heads (L0H0, L0H2) are, for every induction head
    (L1H0-L1H3), the two strongest K-composition writers, above the random baseline."""
    model, tokenizer = mw.demo_model()
    comp = mw.composition_scores(model)
    scores = mw.head_scores(model, tokenizer, n_sequences=4)
    previous = sorted(h for layer, h, _ in scores.top("previous_token", 2) if layer == 0)
    induction = [h for layer, h, _ in scores.top("induction", 4) if layer == 1]
    assert previous == [0, 2] and sorted(induction) == [0, 1, 2, 3]
    k_scores = comp["K"][0, :, 1, :]  # [writer head, reader head]
    for reader in induction:
        assert sorted(np.argsort(-k_scores[:, reader])[:2]) == previous
    assert (k_scores[previous][:, induction] > comp.baseline[KINDS.index("K")] * 2).all()
    # what README.md and notebook 01 say about it
    excess = comp.excess("K")[0, previous][:, 1, induction]
    assert f"{excess.min():.2f} to {excess.max():.2f} above" in readme_composition()
    assert f"baseline of {comp.baseline[1]:.2f}" in readme_composition()
    assert "previous-token heads, L0H0 and L0H2" in readme_composition()


def readme_composition() -> str:
    """The "Head composition" section of README.md, lines joined."""
    text = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split("### Head composition", 1)[1].split("\n### ", 1)[0]
    return " ".join(section.split())


def test_baseline_is_about_one_over_sqrt_d_model_and_seeded(tiny_family_models):
    model = tiny_family_models["gpt2"]
    comp = mw.composition_scores(model, baseline_samples=32, seed=3)
    np.testing.assert_allclose(comp.baseline, 32**-0.5, rtol=0.25)
    again = mw.composition_scores(model, baseline_samples=32, seed=3)
    np.testing.assert_array_equal(comp.baseline, again.baseline)


def test_top_save_load_and_repr(tiny_family_models, tmp_path):
    comp = mw.composition_scores(tiny_family_models["llama"])
    best = comp.top("V", 3)
    assert len(best) == 3 and best[0][2] >= best[1][2] >= best[2][2]
    (l1, h1), (l2, h2), excess = best[0]
    assert l1 < l2
    assert excess == pytest.approx(comp.scores[2, l1, h1, l2, h2] - comp.baseline[2])
    loaded = CompositionScores.load(comp.save(tmp_path / "comp.npz"))
    np.testing.assert_array_equal(loaded.scores, comp.scores)
    np.testing.assert_array_equal(loaded.baseline, comp.baseline)
    assert loaded.model_name == "LlamaForCausalLM"
    assert "baseline" in repr(comp) and "K" in repr(comp)


@pytest.mark.parametrize("name", ["bert", "bert_base"])
def test_post_norm_bert_is_refused_by_name(tiny_family_models, name):
    model = tiny_family_models[name]
    with pytest.raises(ValueError, match=rf"{type(model).__name__}.*post-norm"):
        mw.composition_scores(model)


def test_bad_arguments_are_named(tiny_family_models):
    model = tiny_family_models["gpt2"]
    with pytest.raises(ValueError, match="baseline_samples must be an int >= 2, got 1"):
        mw.composition_scores(model, baseline_samples=1)
    comp = mw.composition_scores(model)
    with pytest.raises(ValueError, match="kind='X' is not a composition kind"):
        comp["X"]
    with pytest.raises(ValueError, match="k must be a positive int, got 0"):
        comp.top("Q", 0)
    with pytest.raises(ValueError, match=r"scores must have shape \[kind=3.*got \[2, 2, 4, 2, 4\]"):
        CompositionScores(np.zeros((2, 2, 4, 2, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="Linear"):
        mw.composition_scores(torch.nn.Linear(2, 2))
