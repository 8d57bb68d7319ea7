"""Attribution patching: exact where the model is linear, close to exact patching elsewhere."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis.patching import PatchingResult
from mi_widgets.capture.readout import readout
from mi_widgets.widgets._serialization import decode_array

CLEAN = "The list holds key value file name. The list holds key"
CORRUPTED = "The list holds key error file name. The list holds key"
METRIC = mw.logit_diff(" value", " error")
GRIDS = [
    ("resid", "layer,position"),
    ("resid_pre", "layer,position"),
    ("attn", "layer,position"),
    ("mlp", "layer"),
    ("head", "layer,head"),
    ("head", "layer,head,position"),
]


@pytest.fixture(scope="module")
def demo():
    return mw.demo_model()


@pytest.fixture(scope="module")
def linear_tail():
    """The demo model without its final norm. Its blocks add attention and MLP in parallel
    to the residual stream, so the last block's attention output, heads, MLP output and
    output reach the logits through sums and the unembedding only: the metric is linear in
    them, and their first-order estimate must be the exact effect."""
    model, tokenizer = mw.demo_model()
    assert model.config.use_parallel_residual
    model.gpt_neox.final_layer_norm = torch.nn.Identity()
    return model, tokenizer


@pytest.mark.parametrize("direction", ["denoise", "noise"])
@pytest.mark.parametrize(("component", "over"), [grid for grid in GRIDS if grid[0] != "resid_pre"])
def test_the_estimate_is_exact_where_the_metric_is_linear_in_the_patch(
    linear_tail, component, over, direction
):
    model, tokenizer = linear_tail
    kwargs = {"component": component, "over": over, "direction": direction}
    exact = mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, **kwargs)
    estimate = mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, method="attribution", **kwargs)
    assert estimate.clean_metric == pytest.approx(exact.clean_metric, abs=1e-4)
    scale = abs(exact.clean_metric - exact.corrupted_metric)
    np.testing.assert_allclose(estimate.raw[-1], exact.raw[-1], atol=1e-5 * scale)
    assert np.abs(exact.values[-1] - (direction == "noise")).max() > 1e-3  # a real effect
    if component == "resid":  # the first block's output passes the last block: not linear
        assert np.abs(estimate.raw[0] - exact.raw[0]).max() > 1e-2 * scale


def spearman_by_scipy(a: np.ndarray, b: np.ndarray) -> float:
    stats = pytest.importorskip("scipy.stats")
    return float(stats.spearmanr(a.ravel(), b.ravel()).statistic)


def check_agreement(estimate: PatchingResult, exact: PatchingResult, k: int):
    """The agreement, checked against scipy and a by-hand top-k."""
    agreement = mw.patching_agreement(estimate, exact, k=k)
    shift = 1.0 if exact.direction == "noise" else 0.0
    a, b = estimate.values - shift, exact.values - shift
    rounded = [np.round(x / 1e-5) for x in (a, b)]  # float-error differences tie
    assert agreement.spearman == pytest.approx(spearman_by_scipy(*rounded), abs=1e-9)
    top_a = set(np.argsort(-np.abs(a.ravel()), kind="stable")[:k])
    top_b = set(np.argsort(-np.abs(b.ravel()), kind="stable")[:k])
    assert agreement.top_k_overlap == len(top_a & top_b) / k
    tied_first = np.flatnonzero(np.abs(b) >= np.abs(b).max() * (1 - 1e-5))
    assert agreement.top_cell_agrees == (np.argmax(np.abs(a)) in tied_first)
    return agreement


@pytest.mark.parametrize("direction", ["denoise", "noise"])
@pytest.mark.parametrize(("component", "over"), GRIDS)
def test_on_the_demo_model_estimates_rank_the_cells_like_exact_patching(
    demo, component, over, direction
):
    """Measured (Spearman, top-5 overlap; denoise / noise): resid 0.71, 1.0 / 0.94, 1.0;
    resid_pre 0.71, 1.0 / 0.94, 1.0; attn 0.70, 1.0 / 0.94, 1.0; mlp per layer 1.0, 1.0
    (2 cells) / the same; heads 0.98, 0.8 / 0.98, 0.8; heads x positions 0.71, 1.0 / 0.77,
    0.8. The first cell agrees except resid noise and resid_pre denoise (near ties)."""
    model, tokenizer = demo
    kwargs = {"component": component, "over": over, "direction": direction}
    exact = mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, **kwargs)
    estimate = mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, method="attribution", **kwargs)
    assert estimate.method == "attribution" and estimate.is_estimate
    np.testing.assert_allclose(estimate.estimates, estimate.values)
    assert not estimate.verified.any()
    k = min(5, exact.values.size)
    agreement = check_agreement(estimate, exact, k)
    print(f"{component} {over} {direction}: {agreement}")  # the numbers in the docstring
    # the estimate's first cell is first in exact patching, or close (noising the residual
    # stream: 1.03 at L0 position 8 against 1.00 at L1 position 18, estimated 0.62 and 0.95)
    effects = np.abs(exact.values - (direction == "noise")).ravel()
    first = np.argmax(np.abs(estimate.values - (direction == "noise")))
    assert agreement.top_cell_agrees or effects[first] >= 0.9 * effects.max()
    assert agreement.top_k_overlap >= 0.4
    if exact.values.size > 2:
        assert agreement.spearman > 0.5


def test_every_family_with_an_lm_head(tiny_family_models, tiny_gpt2):
    """Random tiny models: the metric moves by ~1e-4 logits, close to the linear regime.
    Measured Spearman (resid / heads): gpt2 0.57 / 1.0, gpt_neox 0.90 / 1.0, llama 0.94 /
    1.0, mistral 1.0 / 1.0, qwen2 0.59 / 1.0, bert 0.99 / 1.0; top-5 overlap 0.8-1.0.
    The post-norm family models are built farther from that regime (initializer range 0.1,
    random norm gains, Gemma 2's final soft-cap of 0.5 saturates tanh): the metric moves by
    ~0.05-0.1. Measured: gemma 0.73 / 0.98, gemma2 0.63 / 0.86, olmo2 1.0 / 0.76, qwen3, phi3,
    stablelm 1.0 / 0.98-1.0, gptj and starcoder2 0.65 / 1.0; gemma3_text 0.26 / 0.86, where
    a first-order estimate ranks the few non-zero residual cells after the changed token
    differently (its top cell and top 5 still agree), so that one pair is held to the overlap
    only; the arithmetic is checked where the estimate must be exact
    (test_the_estimate_is_exact_where_the_metric_is_linear_in_the_patch).
    """
    tokenizer = tiny_gpt2[1]
    clean = "When Mary and John went to the store, John gave a drink to"
    corrupted = "When Mary and John went to the store, Mary gave a drink to"
    metric = mw.logit_diff(" Mary", " John")
    checked = []
    for name, model in tiny_family_models.items():
        try:
            readout(model)
        except ValueError:  # a base model without an LM head: nothing to patch
            continue
        for component, over in [("resid", "layer,position"), ("head", "layer,head")]:
            kwargs = {"component": component, "over": over}
            exact = mw.patch(model, tokenizer, clean, corrupted, metric, **kwargs)
            estimate = mw.patch(
                model, tokenizer, clean, corrupted, metric, method="attribution", **kwargs
            )
            agreement = check_agreement(estimate, exact, k=5)
            print(f"{name} {component}: {agreement}")
            if (name, component) != ("gemma3_text", "resid"):
                assert agreement.spearman > 0.5, (name, component, agreement)
            assert agreement.top_k_overlap >= 0.4, (name, component, agreement)
        checked.append(name)
    assert {"gpt2", "gpt_neox", "llama", "bert"} <= set(checked)


def test_hooked_transformer_estimates(hooked):
    model, tokenizer = hooked
    clean = "When Mary and John went to the store, John gave a drink to"
    corrupted = "When Mary and John went to the store, Mary gave a drink to"
    metric = mw.logit_diff(" Mary", " John")
    exact = mw.patch(model, tokenizer, clean, corrupted, metric)
    estimate = mw.patch(model, tokenizer, clean, corrupted, metric, method="attribution")
    assert check_agreement(estimate, exact, k=5).spearman > 0.5


@pytest.mark.parametrize("direction", ["denoise", "noise"])
def test_attribution_then_exact_patches_the_largest_estimates(demo, direction):
    model, tokenizer = demo
    kwargs = {"component": "head", "over": "layer,head,position", "direction": direction}
    exact = mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, **kwargs)
    estimate = mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, method="attribution", **kwargs)
    both = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, METRIC, method="attribution+exact", verify=6, **kwargs
    )
    assert both.verified.sum() == 6
    shift = 1.0 if direction == "noise" else 0.0
    largest = np.argsort(-np.abs(estimate.values - shift).ravel(), kind="stable")[:6]
    assert set(np.flatnonzero(both.verified)) == set(largest)
    np.testing.assert_allclose(both.estimates, estimate.values, atol=1e-6)
    np.testing.assert_allclose(both.values[both.verified], exact.values[both.verified], atol=1e-5)
    np.testing.assert_allclose(both.raw[both.verified], exact.raw[both.verified], atol=1e-4)
    np.testing.assert_array_equal(both.values[~both.verified], estimate.values[~both.verified])
    np.testing.assert_array_equal(both.top_ids[both.verified], exact.top_ids[both.verified])
    assert np.isnan(both.top_probs[~both.verified]).all()
    assert not np.isnan(both.top_probs[both.verified]).any()


@pytest.fixture(scope="module")
def checked_heads(demo):
    """Every head estimated, the 2 largest patched exactly."""
    model, tokenizer = demo
    return mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, METRIC, component="head", method="attribution+exact",
        verify=2,
    )  # fmt: skip


def test_estimates_round_trip(demo, checked_heads, tmp_path):
    model, tokenizer = demo
    result = checked_heads
    assert "(attribution+exact)" in repr(result)
    loaded = PatchingResult.load(result.save(tmp_path / "estimates.npz"))
    assert loaded.method == "attribution+exact"
    np.testing.assert_array_equal(loaded.estimates, result.estimates)
    np.testing.assert_array_equal(loaded.verified, result.verified)
    exact = PatchingResult.load(
        mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, component="head").save(
            tmp_path / "exact.npz"
        )
    )
    assert exact.method == "exact" and exact.estimates is None and not exact.is_estimate


def test_agreement_by_hand():
    estimate = np.array([[0.9, 0.1, 0.0], [0.3, -0.5, 0.0]])
    reference = np.array([[1.0, 0.0, 0.0], [0.5, 0.4, 0.05]])
    agreement = mw.patching_agreement(estimate, reference, k=2)
    assert agreement.top_cell_agrees  # cell (0, 0) in both
    assert agreement.top_k_overlap == 0.5  # by magnitude {(0,0), (1,1)} against {(0,0), (1,0)}
    assert agreement.spearman == pytest.approx(spearman_by_scipy(estimate, reference))
    same = mw.patching_agreement(reference, reference, k=3)
    assert same.spearman == pytest.approx(1.0) and same.top_k_overlap == 1.0
    assert np.isnan(mw.patching_agreement(np.zeros(3), reference[0], k=1).spearman)
    with pytest.raises(ValueError, match="same grid"):
        mw.patching_agreement(estimate, reference[0])
    with pytest.raises(ValueError, match="k = 7 is more than the 6 cells"):
        mw.patching_agreement(estimate, reference, k=7)


def test_bad_methods_and_metrics_without_a_gradient_are_named(demo):
    model, tokenizer = demo
    with pytest.raises(ValueError, match="method must be one of 'exact', 'attribution'"):
        mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, method="gradient")
    with pytest.raises(ValueError, match="verify = 3 applies to method='attribution\\+exact'"):
        mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, verify=3)
    with pytest.raises(ValueError, match="verify"):
        mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, method="attribution+exact", verify=0)
    value = tokenizer(" value")["input_ids"][0]

    def top_is_value(logits):
        return (logits.argmax(-1) == value).float()

    def detached(logits):
        return logits.detach()[:, value]

    for metric in (top_is_value, detached):
        with pytest.raises(ValueError, match=r"needs the gradient of the metric.*no gradient"):
            mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric, method="attribution")
    # the same metrics work for exact patching
    mw.patch(model, tokenizer, CLEAN, CORRUPTED, detached, over="layer")


def test_the_view_says_the_values_are_estimates(demo, checked_heads):
    model, tokenizer = demo
    result = checked_heads
    view = mw.PatchingView(result)
    assert (
        view.title == "Denoising head outputs over layer x head, estimated by attribution patching"
    )
    assert view.subtitle.endswith(
        "values are first-order estimates (activation difference x gradient), the 2 largest "
        "patched exactly"
    )
    probs = decode_array(view._predictions["probs"])
    np.testing.assert_array_equal(np.isnan(probs[..., 0]), ~result.verified)
    exact = mw.PatchingView(mw.patch(model, tokenizer, CLEAN, CORRUPTED, METRIC, component="head"))
    assert "estimate" not in exact.title + exact.subtitle
