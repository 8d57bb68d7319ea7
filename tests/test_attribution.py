"""Direct logit attribution: the parts add up to the logit difference, on every family."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis.attribution import Attribution
from mi_widgets.capture.hooks import capture_mode
from mi_widgets.capture.readout import readout
from mi_widgets.capture.sites import reading

pytestmark = pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning")

TEXT = "When Mary and John went to the store, John gave a drink to"


def assert_adds_up(dla: Attribution) -> None:
    parts = dla.heads.sum() + dla.mlps.sum() + dla.attn_bias.sum() + dla.embed + dla.constant
    assert parts == pytest.approx(dla.total, abs=1e-4)
    assert dla.values().sum() + dla.constant == pytest.approx(dla.total, abs=1e-4)


@pytest.mark.parametrize(
    "family", ["gpt2", "gpt_neox", "llama", "mistral", "qwen2", "gemma", "gemma3_text", "olmo2"]
)
def test_contributions_sum_to_the_logit_difference(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    dla = mw.direct_logit_attribution(trace, " Mary", " John")
    assert dla.heads.shape == (2, 4) and dla.mlps.shape == (2,)
    mary, john = (tokenizer(t)["input_ids"][0] for t in (" Mary", " John"))
    assert dla.total == pytest.approx(
        float(trace.logits[-1, mary] - trace.logits[-1, john]), abs=1e-5
    )
    assert_adds_up(dla)
    single = mw.direct_logit_attribution(trace, " Mary", position=3)
    assert single.total == pytest.approx(float(trace.logits[3, mary]), abs=1e-5)
    assert_adds_up(single)


def test_hooked_transformer_attribution(hooked):
    model, tokenizer = hooked
    trace = mw.trace(model, tokenizer, TEXT)
    dla = mw.direct_logit_attribution(trace, " Mary", " John")
    assert_adds_up(dla)


def test_a_layers_heads_and_bias_are_its_attention_output_projected(tiny_family_models, tiny_gpt2):
    """Independent of the per-head split: project the recorded attention output with the
    frozen final norm and compare."""
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    dla = mw.direct_logit_attribution(trace, " Mary", " John")
    mary, john = (tokenizer(t)["input_ids"][0] for t in (" Mary", " John"))
    ln = model.transformer.ln_f
    final = trace.resid_post[-1, -1]
    scale = ((final - final.mean()).pow(2).mean() + ln.eps).sqrt()
    direction = model.lm_head.weight[mary] - model.lm_head.weight[john]
    sites = ["blocks.1.hook_attn_out", "blocks.0.hook_mlp_out"]
    with torch.no_grad(), capture_mode(model, eager=False), reading(model, sites) as r:
        model(trace.input_ids[None])

    def project(x):
        return float(((x - x.mean()) / scale * ln.weight.detach()) @ direction.detach())

    attn = r["blocks.1.hook_attn_out"][0, -1]
    assert dla.heads[1].sum() + dla.attn_bias[1] == pytest.approx(project(attn), abs=1e-5)
    assert dla.mlps[0] == pytest.approx(project(r["blocks.0.hook_mlp_out"][0, -1]), abs=1e-5)
    assert dla.scale == pytest.approx(float(scale), rel=1e-5)
    assert readout(model).linear().centred


def logits_before_the_cap(model, resid: torch.Tensor) -> torch.Tensor:
    """The final norm and LM head of a Gemma-style model applied by hand: ``x / rms(x) *
    (1 + w) @ W_U^T`` (Gemma's RMSNorm stores the gain's offset from 1)."""
    norm = model.model.norm
    rms = (resid.pow(2).mean(-1, keepdim=True) + norm.eps).sqrt()
    return (resid / rms * (1 + norm.weight.detach())) @ model.lm_head.weight.detach().T


def test_soft_capped_logits_are_explained_before_the_cap(tiny_family_models, tiny_gpt2, tmp_path):
    model, tokenizer = tiny_family_models["gemma2"], tiny_gpt2[1]
    cap = model.config.final_logit_softcapping
    trace = mw.trace(model, tokenizer, TEXT)
    mary, john = (tokenizer(t)["input_ids"][0] for t in (" Mary", " John"))
    before = logits_before_the_cap(model, trace.resid_post[-1])
    torch.testing.assert_close(torch.tanh(before / cap) * cap, trace.logits, atol=1e-5, rtol=1e-5)
    dla = mw.direct_logit_attribution(trace, " Mary", " John")
    assert dla.softcap == cap
    assert dla.total == pytest.approx(float(before[-1, mary] - before[-1, john]), abs=1e-5)
    assert dla.total != pytest.approx(float(trace.logits[-1, mary] - trace.logits[-1, john]))
    assert_adds_up(dla)
    single = mw.direct_logit_attribution(trace, " Mary", position=3)
    assert single.total == pytest.approx(float(before[3, mary]), abs=1e-5)
    assert cap * np.tanh(single.total / cap) == pytest.approx(
        float(trace.logits[3, mary]), abs=1e-5
    )
    assert_adds_up(single)
    assert Attribution.load(dla.save(tmp_path / "capped.npz")).softcap == cap
    llama = mw.trace(tiny_family_models["llama"], tokenizer, TEXT)
    assert mw.direct_logit_attribution(llama, " Mary").softcap == 0.0


@pytest.mark.parametrize("family", ["gemma2", "gemma3_text", "olmo2"])
def test_a_post_norm_layers_heads_and_bias_are_what_its_norm_adds_to_the_stream(
    tiny_family_models, tiny_gpt2, family
):
    """The heads' parts go through the post-attention norm with its scale frozen: together
    they are the norm's output (``hook_attn_out``, what joins the stream), projected."""
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    dla = mw.direct_logit_attribution(trace, " Mary", " John")
    assert_adds_up(dla)
    mary, john = (tokenizer(t)["input_ids"][0] for t in (" Mary", " John"))
    norm = model.model.norm
    gain = norm.weight.detach() + (0 if family == "olmo2" else 1)
    final = trace.resid_post[-1, -1]
    scale = final.pow(2).mean() + (norm.eps if hasattr(norm, "eps") else norm.variance_epsilon)
    direction = model.lm_head.weight[mary] - model.lm_head.weight[john]
    sites = [f"blocks.{layer}.hook_attn_out" for layer in range(2)]
    with torch.no_grad(), capture_mode(model, eager=False), reading(model, sites) as r:
        model(trace.input_ids[None])
    for layer in range(2):
        attn = r[f"blocks.{layer}.hook_attn_out"][0, -1]
        projected = float((attn / scale.sqrt() * gain) @ direction.detach())
        assert dla.heads[layer].sum() + dla.attn_bias[layer] == pytest.approx(projected, abs=1e-5)
    assert dla.scale == pytest.approx(float(scale.sqrt()), rel=1e-5)


def test_on_the_demo_model_the_induction_heads_write_the_answer():
    model, tokenizer = mw.demo_model()
    trace = mw.trace(model, tokenizer, "The list holds key value file name. The list holds key")
    dla = mw.direct_logit_attribution(trace, " value", " error")
    assert_adds_up(dla)
    top = [label for label, _ in dla.top(3)]
    assert all(label.startswith("L1H") for label in top)  # layer-1 heads, not the MLPs


def test_table_and_round_trip(tiny_family_models, tiny_gpt2, tmp_path):
    model, tokenizer = tiny_family_models["llama"], tiny_gpt2[1]
    dla = mw.direct_logit_attribution(mw.trace(model, tokenizer, TEXT), " Mary", " John")
    assert dla.labels[:2] == ["embed", "L0H0"] and dla.labels[-1] == "L1 attn bias"
    assert len(dla.labels) == len(dla.values()) == 1 + 8 + 2 + 2
    values = dict(dla.top(len(dla.labels)))
    assert values["L0H1"] == pytest.approx(float(dla.heads[0, 1]))
    loaded = Attribution.load(dla.save(tmp_path / "dla.npz"))
    np.testing.assert_array_equal(loaded.heads, dla.heads)
    assert (loaded.total, loaded.target, loaded.other) == (dla.total, " Mary", " John")


def test_bert_and_bad_input_are_refused(tiny_family_models, tiny_gpt2):
    tokenizer = tiny_gpt2[1]
    bert = mw.trace(tiny_family_models["bert"], tokenizer, TEXT)
    with pytest.raises(ValueError, match="post-norm"):
        mw.direct_logit_attribution(bert, " Mary", " John")
    trace = mw.trace(tiny_family_models["gpt2"], tokenizer, TEXT)
    with pytest.raises(ValueError, match="position = 40 is outside"):
        mw.direct_logit_attribution(trace, " Mary", position=40)
    with pytest.raises(ValueError, match="target = ' Maryland' is 4 tokens"):
        mw.direct_logit_attribution(trace, " Maryland")
    with pytest.raises(ValueError, match="other = 999"):
        mw.direct_logit_attribution(trace, " Mary", 999)
