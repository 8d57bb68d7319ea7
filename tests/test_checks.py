"""One bad argument gets one message, whichever entry point it is given to."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis.head_scores import previous_token_score
from mi_widgets.checks import check_byte_budget, check_layer, check_layers, positive_int

pytestmark = [pytest.mark.usefixtures("torch_single_thread")]

TEXTS = ["When Mary and John went", "to the store, John gave", "a drink to", "Mary and"]
CLEAN = "When Mary and John went to the store, John gave a drink to"
CORRUPTED = "When Mary and John went to the store, Mary gave a drink to"


def message(call) -> tuple[type, str]:
    """The type and text of the error ``call()`` raises."""
    with pytest.raises((TypeError, ValueError)) as error:
        call()
    return type(error.value), str(error.value)


def layer_entry_points(model, tokenizer, argument: str, value):
    """Every entry point that takes model layers, given ``value``, with the check it must
    agree with; ``argument`` is ``"layers"`` or ``"layer"``, the name each takes it under."""
    layers = lambda: check_layers(value, 2, "GPT2LMHeadModel", argument)  # noqa: E731
    if argument == "layers":
        return {
            "trace": (lambda: mw.trace(model, tokenizer, CLEAN, layers=value), layers),
            "patch": (
                lambda: mw.patch(
                    model, tokenizer, CLEAN, CORRUPTED, mw.logit_diff(1, 2), layers=value
                ),
                layers,
            ),
            "probe": (
                lambda: mw.probe(model, tokenizer, TEXTS, [0, 1, 0, 1], layers=value),
                layers,
            ),
        }
    return {
        "top_activations": (
            lambda: mw.top_activations(model, tokenizer, TEXTS, layer=value, progress=False),
            layers,
        ),
        "steer": (  # one layer, not a list
            lambda: mw.steer(model, torch.zeros(32), layer=value).__enter__(),
            lambda: check_layer(value, 2, "GPT2LMHeadModel"),
        ),
    }


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("layers", [99]),
        ("layers", [0, -3]),
        ("layers", []),
        ("layers", [0, 0.5]),
        ("layers", [1, -1]),
        ("layers", "1"),
        ("layer", 99),
        ("layer", -3),
        ("layer", True),
    ],
)
def test_a_bad_layer_gets_the_same_message_everywhere(tiny_gpt2, argument, value):
    model, tokenizer = tiny_gpt2
    for name, (call, check) in layer_entry_points(model, tokenizer, argument, value).items():
        assert message(call) == message(check), name


def test_a_layer_out_of_range_names_the_argument_the_value_and_the_range():
    _, text = message(lambda: check_layers([0, 99], 2, "GPT2LMHeadModel"))
    assert text.startswith("layers contains 99 but GPT2LMHeadModel has 2 layers")
    assert "expected 0 <= layer < 2 (or -2 <= layer < 0 counting from the end)" in text
    _, text = message(lambda: check_layers(-3, 2, "the trace", "layer"))
    assert text.startswith("layer = -3 is out of range: the trace has 2 layers")
    assert check_layers([-1, 0], 2, "m") == (0, 1)


def test_a_view_refuses_a_layer_it_does_not_hold_as_it_refuses_a_model_layer(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(model, tokenizer, CLEAN)
    _, text = message(lambda: mw.NeuronView(trace, layer=99))
    _, model_text = message(lambda: check_layers(99, 2, "GPT2LMHeadModel", "layer"))
    prefix = "layer = 99 is out of range: "
    assert text.startswith(prefix) and model_text.startswith(prefix)


@pytest.mark.parametrize("budget", [True, -1, 2.5, "10"])
def test_every_view_with_a_byte_budget_checks_it_the_same_way(budget):
    expected = message(lambda: check_byte_budget(budget))
    attention = np.full((1, 1, 2, 2), 0.5, dtype=np.float32)
    views = {
        "AttentionView": lambda: mw.AttentionView(
            attention=attention, tokens=["a", "b"], max_bytes=budget
        ),
        "NeuronView": lambda: mw.NeuronView(
            activations=np.zeros((1, 2, 3)), tokens=["a", "b"], max_bytes=budget
        ),
    }
    for name, call in views.items():
        assert message(call) == expected, name


@pytest.mark.parametrize("batch_size", [0, -2, 1.5, True])
def test_a_bad_batch_size_gets_the_same_message_everywhere(tiny_gpt2, batch_size):
    model, tokenizer = tiny_gpt2
    expected = message(lambda: positive_int(batch_size, "batch_size"))
    calls = {
        "top_activations": lambda: mw.top_activations(
            model, tokenizer, TEXTS, layer=0, batch_size=batch_size, progress=False
        ),
        "patch": lambda: mw.patch(
            model, tokenizer, CLEAN, CORRUPTED, mw.logit_diff(1, 2), batch_size=batch_size
        ),
        "probe": lambda: mw.probe(model, tokenizer, TEXTS, [0, 1, 0, 1], batch_size=batch_size),
        "train_sae": lambda: mw.train_sae(
            model, tokenizer, TEXTS, "blocks.0.hook_resid_post", batch_size=batch_size
        ),
    }
    for name, call in calls.items():
        assert message(call) == expected, name


@pytest.mark.parametrize("shape", [(4, 4), (2, 4, 4), (1, 2, 4, 5), (1, 1, 0, 0)])
def test_a_bad_attention_shape_gets_the_same_message_from_every_score(shape):
    pattern = np.zeros(shape, dtype=np.float32)
    expected = message(lambda: previous_token_score(torch.from_numpy(pattern)))
    assert message(lambda: mw.head_scores(pattern, input_ids=[1] * shape[-1])) == expected
    assert "attention must have shape" in expected[1] or "is empty" in expected[1]


@pytest.mark.parametrize("position", [99, -99, 1.0])
def test_a_bad_token_position_gets_the_same_message_from_patch_and_attribution(tiny_gpt2, position):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(model, tokenizer, CLEAN)
    _, patched = message(
        lambda: mw.patch(model, tokenizer, CLEAN, CORRUPTED, mw.logit_diff(1, 2), position=position)
    )
    _, attributed = message(lambda: mw.direct_logit_attribution(trace, target=1, position=position))
    assert patched.replace("the inputs", "X") == attributed.replace("the trace", "X")
