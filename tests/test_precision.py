"""Half-precision models: every analysis runs on a bfloat16 or float16 model, the sums that
must be exact hold to float32 precision, and quantised weights are refused by name."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.capture.precision import check_weights, in_float32

from .test_attribute import check_sums, random_transcoders

TEXT = "When Mary and John went to the store, John gave a drink to"
CORRUPTED = "When Mary and John went to the store, Mary gave a drink to"
CORPUS = [TEXT, CORRUPTED, "John gave Mary a drink at the store."] * 3
FAMILIES = ["gpt2", "llama"]

pytestmark = pytest.mark.usefixtures("torch_single_thread")


@pytest.fixture(scope="module")
def half_models(tiny_family_models):
    """``(family, dtype) -> model``: eval-mode copies of the tiny models in half precision."""
    return {
        (family, dtype): copy.deepcopy(tiny_family_models[family]).eval().to(dtype)
        for family in FAMILIES
        for dtype in (torch.bfloat16, torch.float16)
    }


def float32_logits(model: torch.nn.Module, tokenizer, text: str) -> torch.Tensor:
    """``[pos, d_vocab]`` the logits of a float32 copy of ``model``: the recomputation the
    exact sums are held to."""
    full = copy.deepcopy(model).float().eval()
    ids = torch.tensor([tokenizer(text)["input_ids"]])
    with torch.no_grad():
        return full(input_ids=ids).logits[0]


def weights_of(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def assert_unchanged(model: torch.nn.Module, before: list[torch.Tensor]) -> None:
    """The model's weights have their old dtype and bits (a float32 pass restored them)."""
    for old, new in zip(before, model.parameters(), strict=True):
        assert new.dtype == old.dtype and torch.equal(new, old)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
@pytest.mark.parametrize("family", FAMILIES)
def test_trace_and_logit_lens_on_a_half_precision_model(half_models, tiny_gpt2, family, dtype):
    model, tokenizer = half_models[family, dtype], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    n = trace.n_tokens
    assert trace.attention.dtype == torch.float32 and trace.attention.device.type == "cpu"
    torch.testing.assert_close(trace.attention.sum(-1), torch.ones(2, 4, n), atol=1e-2, rtol=0)
    assert not trace.attention.triu(1).any()
    lens = mw.logit_lens(trace, k=1)
    for position in range(n):  # the last row is the model's own (half-precision) prediction
        assert lens.top_tokens(-1, position)[0][0] == trace.top_k.at(position)[0][0]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
@pytest.mark.parametrize("family", FAMILIES)
def test_direct_logit_attribution_adds_up_in_float32(half_models, tiny_gpt2, family, dtype):
    model, tokenizer = half_models[family, dtype], tiny_gpt2[1]
    before = weights_of(model)
    trace = mw.trace(model, tokenizer, TEXT)
    dla = mw.direct_logit_attribution(trace, " Mary", " John")
    assert_unchanged(model, before)
    assert dla.heads.dtype == dla.mlps.dtype == dla.attn_bias.dtype == np.float32
    mary, john = (tokenizer(t)["input_ids"][0] for t in (" Mary", " John"))
    expected = float32_logits(model, tokenizer, TEXT)[-1]
    assert dla.total == pytest.approx(float(expected[mary] - expected[john]), abs=1e-5)
    parts = np.concatenate([dla.heads.ravel(), dla.mlps, dla.attn_bias, [dla.embed]])
    scale = np.abs(parts).sum() + abs(dla.constant)
    assert parts.sum() + dla.constant == pytest.approx(dla.total, abs=1e-6 * scale + 1e-7)
    # the half-precision logits differ from the float32 recomputation by their rounding only
    half = float(trace.logits[-1, mary] - trace.logits[-1, john])
    assert abs(half - dla.total) <= 2**-6 * float(expected[[mary, john]].abs().sum()) + 1e-3


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
@pytest.mark.parametrize("family", FAMILIES)
def test_attribution_graph_sums_hold_in_float32(half_models, tiny_gpt2, family, dtype):
    model, tokenizer = half_models[family, dtype], tiny_gpt2[1]
    before = weights_of(model)
    prompt = "When Mary and John went to the store, John gave"
    graph = mw.attribute(model, tokenizer, prompt, random_transcoders(32, 2, skip=True))
    assert_unchanged(model, before)
    assert graph.adjacency.dtype == graph.values.dtype == torch.float32
    check_sums(graph)  # values = incoming edges + constants, relative 1e-4
    expected = float32_logits(model, tokenizer, prompt)[-1]
    logit_rows = graph.values[graph.slices["logit"]]  # logit minus the mean logit
    centred = (expected - expected.mean())[graph.logits]
    torch.testing.assert_close(logit_rows, centred, atol=5e-2, rtol=0)  # transcoder errors


def test_patching_the_demo_model_in_bfloat16_keeps_exact_endpoints():
    """Random tiny models tell the inputs apart by less than bfloat16 resolves: the demo
    model copies a token, a difference of more than 10 logits."""
    model, tokenizer = mw.demo_model()
    model = model.to(torch.bfloat16)
    clean = "The list holds key value file name. The list holds key"
    corrupted = "The list holds key error file name. The list holds key"
    metric = mw.logit_diff(" value", " error")
    result = mw.patch(model, tokenizer, clean, corrupted, metric)
    assert result.clean_metric - result.corrupted_metric > 10
    assert result.values.dtype == result.top_probs.dtype == np.float32
    assert result.values[-1, -1] == 1.0 and np.isfinite(result.values).all()
    changed = [a != b for a, b in zip(result.clean_tokens, result.corrupted_tokens, strict=True)]
    np.testing.assert_array_equal(result.values[:, : changed.index(True)], 0.0)
    heads = mw.patch(model, tokenizer, clean, corrupted, metric, component="head")
    assert heads.values.dtype == np.float32 and np.isfinite(heads.values).all()


@pytest.mark.parametrize("family", FAMILIES)
def test_steering_and_corpus_analyses_on_bfloat16(half_models, tiny_gpt2, family):
    model, tokenizer = half_models[family, torch.bfloat16], tiny_gpt2[1]
    plain = mw.trace(model, tokenizer, TEXT).logits
    with mw.steer(model, torch.randn(32), layer=0, alpha=4.0) as vector:
        steered = mw.trace(model, tokenizer, TEXT).logits
    assert vector.dtype == torch.float32 and not torch.equal(plain, steered)

    top = mw.top_activations(model, tokenizer, CORPUS, layer=1, k=3, progress=False)
    assert top.values.dtype == np.float32 and np.isfinite(top.values).all()

    sae = mw.train_sae(
        model, tokenizer, CORPUS, hook="blocks.1.hook_resid_post", n_features=16, k=4,
        progress=False,
    )  # fmt: skip
    assert sae.W_enc.dtype == torch.float32
    assert np.isfinite(sae.info["evaluation"]["fraction_variance_explained"])
    stats = mw.feature_stats(model, tokenizer, sae, CORPUS, k=3, progress=False)
    assert stats.values.dtype == np.float32

    probes = mw.probe(model, tokenizer, CORPUS * 2, [0, 1, 0] * 6, l2=1.0)
    assert probes.projection.dtype == np.float32 and np.isfinite(probes.projection).all()


def test_a_probe_of_a_bfloat16_model_equals_a_probe_of_its_activations(half_models, tiny_gpt2):
    """The probe reads the bfloat16 activations as float32 and fits in float32 or better
    (eager attention in both, as a trace has: sdpa rounds differently in bfloat16)."""
    model, tokenizer = copy.deepcopy(half_models["gpt2", torch.bfloat16]), tiny_gpt2[1]
    model.set_attn_implementation("eager")
    texts = [f"text number {i} is {'odd' if i % 2 else 'even'}" for i in range(20)]
    labels = [i % 2 for i in range(20)]
    probes = mw.probe(model, tokenizer, texts, labels, batch_size=3, l2=1.0)
    last = torch.stack([mw.trace(model, tokenizer, t).resid_post[:, -1] for t in texts], dim=1)
    from_arrays = mw.probe(last, labels=labels, l2=1.0)
    np.testing.assert_allclose(from_arrays.projection, probes.projection, rtol=1e-4, atol=1e-4)


def test_in_float32_restores_every_weight_exactly(half_models):
    model = half_models["llama", torch.bfloat16]
    before = weights_of(model)
    with in_float32(model):
        assert {p.dtype for p in model.parameters()} == {torch.float32}
        assert check_weights(model) == torch.float32
    assert_unchanged(model, before)
    with pytest.raises(RuntimeError, match="boom"), in_float32(model):
        raise RuntimeError("boom")
    assert_unchanged(model, before)


def test_int8_weights_are_refused_naming_the_dtype(tiny_family_models, tiny_gpt2):
    model, tokenizer = copy.deepcopy(tiny_family_models["llama"]).eval(), tiny_gpt2[1]
    head = model.lm_head
    head.weight = torch.nn.Parameter(head.weight.detach().to(torch.int8), requires_grad=False)
    message = r"LlamaForCausalLM has weights in torch\.int8: the analyses need weights in float32"
    with pytest.raises(ValueError, match=message):
        mw.trace(model, tokenizer, TEXT)
    with pytest.raises(ValueError, match=message):
        mw.patch(model, tokenizer, TEXT, CORRUPTED, mw.logit_diff(" Mary", " John"))


def test_torch_quantised_modules_are_refused_naming_the_dtype(tiny_family_models, tiny_gpt2):
    model, tokenizer = copy.deepcopy(tiny_family_models["llama"]).eval(), tiny_gpt2[1]
    with pytest.warns(UserWarning):  # torch deprecates its quantised tensors
        quantised = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, torch.qint8)
    with pytest.raises(ValueError, match=r"quantised Linear \(torch\.qint8\).*float32"):
        mw.trace(quantised, tokenizer, TEXT)
