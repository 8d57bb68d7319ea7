"""Activation patching: exact endpoints, batched equals one run per cell, every family."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis.patching import PatchingResult
from mi_widgets.capture.hooks import capture_mode
from mi_widgets.capture.sites import at_site
from tests.conftest import GEMMA_AND_OLMO2

CLEAN = "When Mary and John went to the store, John gave a drink to"
CORRUPTED = "When Mary and John went to the store, Mary gave a drink to"
FAMILIES = ["gpt2", "gpt_neox", "llama", "qwen2", "bert", *GEMMA_AND_OLMO2]


def metric_between(tokenizer):
    """A logit difference of two single-token strings of the tiny tokenizer."""
    return mw.logit_diff(" Mary", " John")


def first_difference(tokenizer) -> int:
    a, b = (tokenizer(t)["input_ids"] for t in (CLEAN, CORRUPTED))
    return next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)


@pytest.fixture(scope="module")
def gpt2(tiny_gpt2):
    return tiny_gpt2


@pytest.mark.parametrize("family", FAMILIES)
def test_patching_the_last_residual_at_the_last_position_recovers_exactly_one(
    tiny_family_models, tiny_gpt2, family
):
    """Random tiny models tell the inputs apart by ~1e-4 logits, so the metric itself is
    compared (to float32 precision); the demo model's test below checks the normalised 1."""
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    result = mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer))
    assert result.values.shape == (2, len(result.clean_tokens))
    assert result.raw[-1, -1] == pytest.approx(result.clean_metric, abs=1e-6)
    noised = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer), direction="noise"
    )
    assert noised.raw[-1, -1] == pytest.approx(noised.corrupted_metric, abs=1e-6)


DEMO_CLEAN = "The list holds key value file name. The list holds key"
DEMO_CORRUPTED = "The list holds key error file name. The list holds key"


@pytest.fixture(scope="module")
def demo():
    return mw.demo_model()


def test_on_the_demo_model_the_endpoints_are_exactly_one_and_zero(demo):
    model, tokenizer = demo
    metric = mw.logit_diff(" value", " error")
    result = mw.patch(model, tokenizer, DEMO_CLEAN, DEMO_CORRUPTED, metric)
    assert result.clean_metric - result.corrupted_metric > 10  # the model copies the token
    assert result.values[-1, -1] == pytest.approx(1.0, abs=1e-6)
    first = [a != b for a, b in zip(result.clean_tokens, result.corrupted_tokens, strict=True)]
    before = first.index(True)
    np.testing.assert_allclose(result.values[:, :before], 0.0, atol=1e-6)
    noised = mw.patch(model, tokenizer, DEMO_CLEAN, DEMO_CORRUPTED, metric, direction="noise")
    assert noised.values[-1, -1] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("component", ["resid_pre", "resid", "attn", "mlp"])
def test_a_patch_that_changes_nothing_gives_zero(gpt2, component):
    model, tokenizer = gpt2
    result = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer), component=component
    )
    before = first_difference(tokenizer)
    # in a causal model nothing differs before the first changed token
    np.testing.assert_allclose(result.raw[:, :before], result.corrupted_metric, atol=1e-6)
    assert np.abs(result.raw[:, before:] - result.corrupted_metric).max() > 1e-6


def patched_by_hand(model, tokenizer, site, donor_edit, metric_ids):
    """The metric of the corrupted run with one edit, run alone (one forward pass, no
    dropout; the shared fixture models keep their training flag)."""
    ids = torch.tensor([tokenizer(CORRUPTED)["input_ids"]])
    with torch.no_grad(), capture_mode(model, eager=False), at_site(model, site, donor_edit):
        logits = model(ids).logits[0, -1]
    return float(logits[metric_ids[0]] - logits[metric_ids[1]])


def clean_activation(model, tokenizer, site):
    from mi_widgets.capture.sites import reading

    ids = torch.tensor([tokenizer(CLEAN)["input_ids"]])
    with torch.no_grad(), capture_mode(model, eager=False), reading(model, [site]) as records:
        model(ids)
    return records[site][0]


@pytest.mark.parametrize(
    ("component", "over", "site"),
    [
        ("resid", "layer,position", "hook_resid_post"),
        ("mlp", "layer", "hook_mlp_out"),
        ("head", "layer,head", "attn.hook_z"),
        ("head", "layer,head,position", "attn.hook_z"),
    ],
)
def test_batched_cells_equal_one_forward_pass_per_cell_by_hand(gpt2, component, over, site):
    model, tokenizer = gpt2
    model.eval()
    metric = metric_between(tokenizer)
    ids = (tokenizer(" Mary")["input_ids"][0], tokenizer(" John")["input_ids"][0])
    result = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, metric, component=component, over=over, batch_size=7
    )
    one_by_one = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, metric, component=component, over=over, batch_size=1
    )
    np.testing.assert_allclose(result.raw, one_by_one.raw, atol=1e-6)
    rng = np.random.default_rng(0)
    for flat in rng.choice(result.raw.size, size=min(4, result.raw.size), replace=False):
        cell = dict(zip(result.axes, np.unravel_index(flat, result.raw.shape), strict=True))
        name = f"blocks.{cell['layer']}.{site}"
        donor = clean_activation(model, tokenizer, name)
        where = (slice(None),) if "position" not in cell else (slice(None), cell["position"])

        def edit(x, cell=cell, donor=donor, where=where):
            x = x.clone()
            index = (0, *where[1:]) if "position" in cell else (0,)
            source = donor[where[1:]] if "position" in cell else donor
            if "head" in cell:
                index = (*index, slice(None)) if "position" not in cell else index
                x[(*index, cell["head"])] = source[..., cell["head"], :]
            else:
                x[index] = source
            return x

        expected = patched_by_hand(model, tokenizer, name, edit, ids)
        assert result.raw[tuple(cell.values())] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("family", ["gpt_neox", "llama", "mistral", "qwen2", *GEMMA_AND_OLMO2])
def test_running_only_the_tokens_after_an_unchanged_prefix_is_exact(
    tiny_family_models, tiny_gpt2, family
):
    """Causal decoders run a cell at position p from the base run's cached keys and values of
    the tokens before p; every cell must equal a full forward pass with that one patch."""
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    ids = (tokenizer(" Mary")["input_ids"][0], tokenizer(" John")["input_ids"][0])
    result = mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer), batch_size=5)
    for layer, position in [(0, 3), (1, 9), (0, len(result.clean_tokens) - 2)]:
        name = f"blocks.{layer}.hook_resid_post"
        donor = clean_activation(model, tokenizer, name)

        def edit(x, donor=donor, position=position):
            x = x.clone()
            x[0, position] = donor[position]
            return x

        expected = patched_by_hand(model, tokenizer, name, edit, ids)
        assert result.raw[layer, position] == pytest.approx(expected, abs=1e-6)


def test_heads_over_positions_sum_up_for_the_last_layer(gpt2):
    """At the last layer every head at every position is patched into the same output:
    patching all of a head's positions at once equals the (layer, head) cell."""
    model, tokenizer = gpt2
    metric = metric_between(tokenizer)
    per_head = mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric, component="head")
    per_position = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, metric, component="head", over="layer,head,position"
    )
    assert per_position.values.shape == (2, 4, len(per_head.clean_tokens))
    # only the last position can move the last layer's logits at the last position
    np.testing.assert_allclose(per_position.raw[-1, :, -1], per_head.raw[-1], atol=1e-6)
    np.testing.assert_allclose(per_position.raw[-1, :, :-1], per_head.corrupted_metric, atol=1e-6)


def test_hooked_transformer_patching(hooked):
    model, tokenizer = hooked
    result = mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer))
    assert result.raw[-1, -1] == pytest.approx(result.clean_metric, abs=1e-6)
    heads = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer), component="head"
    )
    assert heads.values.shape == (2, 4)
    assert np.isfinite(heads.values).all()


def test_result_reports_predictions_top_cells_and_round_trips(gpt2, tmp_path):
    model, tokenizer = gpt2
    result = mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer), top_k=3)
    assert result.top_ids.shape == (*result.values.shape, 3)
    assert result.top(1)[0][0] == {"layer": 1, "position": len(result.clean_tokens) - 1}
    predictions = result.predictions((1, len(result.clean_tokens) - 1))
    clean = [result.vocabulary[int(i)] for i in result.clean_top_ids]
    assert [token for token, _ in predictions] == clean  # the fully patched run is the clean one
    assert result.position_labels[1].endswith("_1")
    assert "denoise resid" in repr(result)
    loaded = PatchingResult.load(result.save(tmp_path / "patch.npz"))
    np.testing.assert_array_equal(loaded.values, result.values)
    assert loaded.vocabulary == result.vocabulary
    assert loaded.layers == result.layers
    assert loaded.metric == result.metric == "logit(' Mary') - logit(' John')"


def test_a_callable_metric_and_a_subset_of_layers(gpt2):
    model, tokenizer = gpt2
    mary = tokenizer(" Mary")["input_ids"][0]

    def mary_probability(logits):
        return logits.softmax(-1)[:, mary]

    result = mw.patch(
        model, tokenizer, CLEAN, CORRUPTED, mary_probability, layers=[-1], over="layer"
    )
    assert result.layers == (1,)
    assert result.values.shape == (1,)
    assert result.metric == "mary_probability"


def test_inputs_of_different_lengths_show_both_tokenizations(gpt2):
    model, tokenizer = gpt2
    with pytest.raises(ValueError, match="same number of tokens") as error:
        mw.patch(model, tokenizer, CLEAN, CORRUPTED + " Mary", metric_between(tokenizer))
    assert "clean:" in str(error.value) and "' Mary'" in str(error.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"component": "residual"}, "component must be one of"),
        ({"component": "head", "over": "layer,position"}, "does not apply to component 'head'"),
        ({"direction": "sideways"}, "direction must be"),
        ({"position": 99}, "position = 99 is outside"),
        ({"batch_size": 0}, "batch_size"),
        ({"layers": [5]}, "layers contains 5"),
    ],
)
def test_bad_arguments_are_named(gpt2, kwargs, message):
    model, tokenizer = gpt2
    with pytest.raises(ValueError, match=message):
        mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric_between(tokenizer), **kwargs)


def test_a_metric_that_cannot_tell_the_inputs_apart_is_refused(gpt2):
    model, tokenizer = gpt2
    with pytest.raises(ValueError, match="no difference to patch"):
        mw.patch(model, tokenizer, CLEAN, CLEAN, metric_between(tokenizer))
    with pytest.raises(ValueError, match="is 4 tokens for this tokenizer"):
        mw.patch(model, tokenizer, CLEAN, CORRUPTED, mw.logit_diff(" Maryland", " John"))
    with pytest.raises(TypeError, match="metric must be"):
        mw.patch(model, tokenizer, CLEAN, CORRUPTED, "logit diff")


def test_a_base_model_without_head_is_refused(tiny_family_models, tiny_gpt2):
    with pytest.raises(ValueError, match="no LM head"):
        mw.patch(
            tiny_family_models["gpt2_base"], tiny_gpt2[1], CLEAN, CORRUPTED, mw.logit_diff(1, 2)
        )
