"""NeuronView: traits, binary slices, examples on demand, export, and errors for bad input."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
import traitlets

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array
from tests.conftest import HOSTILE_TOKENS

TEXT = "When Mary and John went to the store, John gave a drink to Mary."
CORPUS = [TEXT, "Mary went to the store.", "John and Mary", "a drink at the store"]


@pytest.fixture(scope="module")
def gpt2_setup(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    trace = mw.trace(model, tokenizer, TEXT)
    top = mw.top_activations(model, tokenizer, CORPUS, layer=1, k=5, context=2, progress=False)
    return trace, top


def replies(view) -> list[tuple[dict, list]]:
    """Capture what the view sends to the page."""
    sent: list[tuple[dict, list]] = []
    view.send = lambda content, buffers=None: sent.append((content, buffers or []))
    return sent


def test_trace_view_traits_and_layer_slices(gpt2_setup):
    trace, _ = gpt2_setup
    view = mw.NeuronView(trace, layer=1, neuron=5)
    assert view.tokens == trace.tokens and view.layers == [0, 1] and view.n_neurons == 64
    assert (view.layer, view.neuron, view.token) == (1, 5, None)
    assert view.examples_info == {} and view.example_tokens == []
    assert sorted(view._slices) == ["layer:0", "layer:1"]
    encoded = view._slices["layer:1"]
    assert encoded["dtype"] == "float16" and encoded["shape"] == [trace.n_tokens, 64]
    decoded = decode_array(encoded)
    np.testing.assert_allclose(decoded, trace.mlp_post[1].numpy(), rtol=2**-11, atol=1e-6)
    np.testing.assert_array_equal(decoded, view.activations[1])
    exact = mw.NeuronView(trace, precision="float32")
    assert exact._slices["layer:0"]["dtype"] == "float32"
    np.testing.assert_array_equal(decode_array(exact._slices["layer:0"]), trace.mlp_post[0])
    assert "neuron=5" in repr(view)


def test_raw_arrays_with_model_layer_labels():
    acts = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    view = mw.NeuronView(activations=acts, tokens=["a", "b", "c"], layers=[4, 7], layer=7)
    assert view.layers == [4, 7] and view.layer == 7
    assert view.slice_keys() == ["layer:7", "layer:4"]
    np.testing.assert_array_equal(decode_array(view.encode_slice("layer:4")), acts[0])
    one = mw.NeuronView(activations=acts[0], tokens=["a", "b", "c"])
    assert one.layers == [0] and one.top_neurons(2, k=2) == [(3, 11.0), (2, 10.0)]


def test_opens_on_the_most_active_neuron_of_the_opened_layer():
    acts = np.zeros((2, 3, 5), dtype=np.float32)
    acts[0, 1, 2] = 4.0  # layer 0: neuron 2 peaks
    acts[1, 0, 3] = -9.0  # layer 1: the largest |value| is negative, the maximum is neuron 1
    acts[1, 2, 1] = 1.5
    acts[1, 1, 4] = 1.5  # a tie: the lower index wins
    tokens = ["a", "b", "c"]
    assert mw.NeuronView(activations=acts, tokens=tokens).neuron == 2
    assert mw.NeuronView(activations=acts, tokens=tokens, layer=1).neuron == 1
    assert mw.NeuronView(activations=acts, tokens=tokens, layer=1, neuron=0).neuron == 0


def test_past_the_budget_only_the_current_layer_goes_up_front(gpt2_setup):
    trace, _ = gpt2_setup
    view = mw.NeuronView(trace, layer=1, max_bytes=10)
    assert sorted(view._slices) == ["layer:1"]
    sent = replies(view)
    view._on_custom_message(view, {"type": "slice", "key": "layer:0", "id": "r1"}, [])
    content, buffers = sent[0]
    assert content["id"] == "r1" and content["array"]["shape"] == [trace.n_tokens, 64]
    np.testing.assert_array_equal(
        decode_array({**content["array"], "data": buffers[0]}), view.activations[0]
    )
    view._on_custom_message(view, {"type": "slice", "key": "layer:5", "id": "r2"}, [])
    assert sent[1][0]["missing"] is True


def test_examples_travel_as_two_binary_slices(gpt2_setup):
    trace, top = gpt2_setup
    view = mw.NeuronView(trace, layer=1, neuron=7, examples=top)
    assert view.examples_info["layers"] == [1] and view.examples_info["k"] == 5
    assert view.example_tokens == top.vocab
    assert "examples:1:7" in view._slices and "example-ids:1:7" in view._slices
    values = decode_array(view._slices["examples:1:7"])
    ids = decode_array(view._slices["example-ids:1:7"]).astype(int)
    np.testing.assert_array_equal(values, top.window_values[0, 7])
    np.testing.assert_array_equal(ids[:, 0], top.docs[0, 7])
    np.testing.assert_array_equal(ids[:, 1], top.positions[0, 7])
    first = top.examples(7, layer=1)[0]
    window = [view.example_tokens[i] for i in ids[0, 2:] if i >= 0]
    assert window == first.tokens
    stats = decode_array(view._example_stats)
    assert stats.shape == (1, 2, 64)
    np.testing.assert_allclose(stats[0, 0], top.density[0], rtol=1e-6)
    np.testing.assert_allclose(stats[0, 1], top.values[0, :, 0], rtol=1e-6)

    # any neuron's examples come from the kernel on demand
    sent = replies(view)
    view._on_custom_message(view, {"type": "slice", "key": "example-ids:1:60", "id": "x"}, [])
    got = decode_array({**sent[0][0]["array"], "data": sent[0][1][0]}).astype(int)
    np.testing.assert_array_equal(got[:, 0], top.docs[0, 60])
    view._on_custom_message(view, {"type": "slice", "key": "examples:0:1", "id": "y"}, [])
    assert sent[1][0]["missing"] is True, "layer 0 has no examples"


def test_export_embeds_a_chosen_set_of_neurons(gpt2_setup, tmp_path):
    trace, top = gpt2_setup
    view = mw.NeuronView(trace, layer=1, neuron=9, examples=top, export_neurons=[3, 4])
    assert view.export_neurons(1) == [9, 3, 4] and view.export_neurons(0) == []
    keys = view.slice_keys()
    assert keys[0] == "layer:1" and keys[-1] == "layer:0"
    assert [k for k in keys if k.startswith("examples:")] == [
        "examples:1:9",
        "examples:1:3",
        "examples:1:4",
    ]
    by_peak = mw.NeuronView(trace, layer=1, neuron=0, examples=top, export_neurons=4)
    peak = by_peak.activations[1].max(0)
    best = np.argsort(-peak, kind="stable")[:4].tolist()
    assert by_peak.export_neurons(1) == list(dict.fromkeys([0, *best]))
    path = mw.to_html(view, tmp_path / "neurons.html")
    text = path.read_text()
    data = json.loads(re.search(r'id="mi-widgets-data">(.*?)</script>', text, re.S).group(1))
    (exported,) = data["views"]
    assert exported["module"] == "neuron"
    assert set(exported["slices"]) == {
        "layer:0",
        "layer:1",
        *(f"{kind}:1:{m}" for kind in ("examples", "example-ids") for m in (9, 3, 4)),
    }
    assert exported["state"]["example_tokens"] == top.vocab


def test_hostile_tokens_are_kept_as_given():
    acts = np.random.default_rng(0).normal(size=(len(HOSTILE_TOKENS), 3)).astype(np.float32)
    view = mw.NeuronView(activations=acts, tokens=HOSTILE_TOKENS)
    assert view.tokens == HOSTILE_TOKENS


def test_selection_traits_are_validated(gpt2_setup):
    trace, _ = gpt2_setup
    view = mw.NeuronView(trace)
    view.neuron, view.layer, view.token = 63, 1, trace.n_tokens - 1
    view.token = None
    with pytest.raises(ValueError, match=r"neuron = 64 is out of range: expected 0 <= neuron < 64"):
        view.neuron = 64
    with pytest.raises(ValueError, match="layer = 2 is out of range"):
        view.layer = 2
    with pytest.raises(ValueError, match=r"token = .* is out of range"):
        view.token = trace.n_tokens
    with pytest.raises(traitlets.TraitError, match=r"'neuron' trait .* expected an int"):
        view.neuron = "3"


def test_bad_input_gets_errors_naming_the_argument(gpt2_setup, tiny_family_models, tiny_gpt2):
    trace, top = gpt2_setup
    with pytest.raises(ValueError, match="layer = 3 is out of range"):
        mw.NeuronView(trace, layer=3)
    with pytest.raises(ValueError, match="neuron = 99 is out of range"):
        mw.NeuronView(trace, neuron=99)
    with pytest.raises(ValueError, match="token = -1 is out of range"):
        mw.NeuronView(trace, token=-1)
    with pytest.raises(TypeError, match=r"trace must be a mi_widgets\.Trace"):
        mw.NeuronView(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="needs a Trace"):
        mw.NeuronView(activations=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="tokens has 2 entries"):
        mw.NeuronView(activations=np.zeros((3, 4)), tokens=["a", "b"])
    with pytest.raises(ValueError, match="activations must have shape"):
        mw.NeuronView(activations=np.zeros((1, 2, 3, 4)), tokens=["a", "b", "c"])
    with pytest.raises(ValueError, match="non-finite"):
        mw.NeuronView(activations=np.full((2, 2), np.nan), tokens=["a", "b"])
    with pytest.raises(TypeError, match=r"examples must be a mi_widgets\.TopActivations"):
        mw.NeuronView(trace, examples={"values": 1})
    with pytest.raises(ValueError, match="precision"):
        mw.NeuronView(trace, precision="uint8")
    with pytest.raises(ValueError, match=r"export_neurons\[0\] = 64 is out of range"):
        mw.NeuronView(trace, examples=top, export_neurons=[64])
    other = mw.NeuronView(activations=np.zeros((3, 8)), tokens=list("abc"))
    with pytest.raises(ValueError, match="examples has 64 neurons per layer"):
        mw.NeuronView(activations=np.zeros((3, 8)), tokens=list("abc"), examples=top)
    assert other.n_neurons == 8
    no_mlp = mw.trace(tiny_family_models["gpt2"], tiny_gpt2[1], TEXT, kinds="attention")
    with pytest.raises(ValueError, match="trace has no MLP activations"):
        mw.NeuronView(no_mlp)


def test_a_torch_float16_trace_works(gpt2_setup):
    trace, _ = gpt2_setup
    view = mw.NeuronView(activations=trace.mlp_post.to(torch.float16), tokens=trace.tokens)
    np.testing.assert_allclose(view.activations, trace.mlp_post.numpy(), rtol=2e-3, atol=1e-3)
