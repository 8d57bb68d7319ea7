import numpy as np
import pytest
import torch
import traitlets

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array
from tests.conftest import identity_attention, random_causal_attention


def make(n_layers=2, n_heads=3, n=5, **kwargs):
    attention = kwargs.pop("attention", random_causal_attention(n_layers, n_heads, n))
    tokens = kwargs.pop("tokens", [f"t{i}" for i in range(n)])
    return mw.AttentionView(attention=attention, tokens=tokens, **kwargs)


def test_from_trace(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(model, tokenizer, "When Mary and John went to the store")
    view = mw.AttentionView(trace, layer=1, head=3)
    assert (view.n_layers, view.n_heads, view.layer, view.head) == (2, 4, 1, 3)
    assert view.tokens == trace.tokens and view.causal
    assert view.title == "GPT2LMHeadModel attention"
    assert np.abs(view.attention - trace.attention.numpy()).max() <= 1 / 510 + 1e-6


def test_trace_without_attention_is_a_clear_error(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(model, tokenizer, "Mary and John", kinds={"resid"})
    with pytest.raises(ValueError, match="trace has no attention"):
        mw.AttentionView(trace)


def test_small_views_send_every_layer_up_front_as_lower_triangles():
    attention = random_causal_attention(2, 3, 5)
    view = make(attention=attention)
    assert sorted(view._slices) == ["layer:0", "layer:1"]
    encoded = view._slices["layer:1"]
    assert encoded["layout"] == "tril" and len(encoded["data"]) == 3 * 15
    assert np.abs(decode_array(encoded) - attention[1]).max() <= 1 / 510 + 1e-7


def test_non_causal_attention_is_sent_dense():
    attention = np.full((1, 2, 4, 4), 0.25, dtype=np.float32)
    view = make(attention=attention, n=4)
    assert not view.causal and view._slices["layer:0"]["layout"] == "dense"


def test_three_dimensional_attention_is_one_layer():
    view = make(attention=identity_attention(1, 2, 3)[0], n=3)
    assert (view.n_layers, view.n_heads) == (1, 2)


def test_accepts_torch_and_lists():
    attention = torch.tensor(identity_attention(1, 1, 2))
    assert make(attention=attention, n=2).n_heads == 1
    assert make(attention=attention.tolist(), n=2).n_heads == 1


def test_past_the_budget_only_the_current_layer_is_sent_and_the_rest_on_request():
    view = make(n_layers=3, layer=2, max_bytes=10)
    assert list(view._slices) == ["layer:2"]
    sent = []
    view.send = lambda content, buffers=None: sent.append((content, buffers))
    view._on_custom_message(view, {"type": "slice", "key": "layer:0", "id": "r1"}, [])
    content, buffers = sent[-1]
    assert content["id"] == "r1" and content["key"] == "layer:0" and "missing" not in content
    decoded = decode_array({**content["array"], "data": bytes(buffers[0])})
    np.testing.assert_allclose(decoded, view.attention[0], atol=1e-7)
    view._on_custom_message(view, {"type": "slice", "key": "layer:9", "id": "r2"}, [])
    assert sent[-1][0]["missing"] is True and "layer:9" in sent[-1][0]["reason"]


def test_float32_precision_keeps_exact_values():
    attention = random_causal_attention(1, 2, 6)
    view = make(attention=attention, n=6, precision="float32")
    assert view._slices["layer:0"]["dtype"] == "float32"
    np.testing.assert_array_equal(view.attention, attention)


def test_selection_traits_are_validated():
    view = make()
    view.layer, view.head, view.query_token = 1, 2, 4
    view.query_token = None
    with pytest.raises(ValueError, match=r"layer = 2 is out of range: expected 0 <= layer < 2"):
        view.layer = 2
    with pytest.raises(ValueError, match="head = -1 is out of range"):
        view.head = -1
    with pytest.raises(ValueError, match="query_token = 5 is out of range"):
        view.query_token = 5
    with pytest.raises((TypeError, traitlets.TraitError)):
        view.head = "2"


@pytest.mark.parametrize(
    ("attention", "tokens", "message"),
    [
        (
            np.zeros((2, 2)),
            ["a", "b"],
            r"shape \[layer, head, N, N\] or \[head, N, N\], got 2 dimensions",
        ),
        (np.zeros((1, 1, 2, 3)), ["a", "b"], r"square .* got shape \[1, 1, 2, 3\]"),
        (np.zeros((1, 1, 0, 0)), [], r"empty .* need at least one token"),
        (
            np.full((1, 1, 2, 2), np.nan),
            ["a", "b"],
            r"non-finite value nan at index \[0, 0, 0, 0\]",
        ),
        (np.full((1, 1, 2, 2), np.inf), ["a", "b"], "non-finite value inf"),
        (
            np.full((1, 1, 2, 2), -0.5),
            ["a", "b"],
            r"value -0.5 .* expected probabilities in \[0, 1\]",
        ),
        (
            np.full((1, 1, 2, 2), 1.5),
            ["a", "b"],
            r"value 1.5 .* expected probabilities in \[0, 1\]",
        ),
        (np.eye(3)[None, None], ["a", "b"], r"tokens has 2 entries but the attention covers N = 3"),
    ],
)
def test_bad_attention_is_a_clear_value_error(attention, tokens, message):
    with pytest.raises(ValueError, match=message):
        mw.AttentionView(attention=attention, tokens=tokens)


def test_bad_arguments_are_clear_errors():
    attention = identity_attention(1, 1, 2)
    with pytest.raises(TypeError, match=r"tokens\[1\] must be a str, got int"):
        mw.AttentionView(attention=attention, tokens=["a", 1])
    with pytest.raises(TypeError, match="tokens must be a list of strings, got str"):
        mw.AttentionView(attention=attention, tokens="ab")
    with pytest.raises(TypeError, match="needs a Trace, or both attention= and tokens="):
        mw.AttentionView(attention=attention)
    with pytest.raises(TypeError, match=r"trace must be a mi_widgets\.Trace"):
        mw.AttentionView(attention)
    with pytest.raises(ValueError, match="causal=True but the attention has non-zero values"):
        mw.AttentionView(attention=np.full((1, 1, 2, 2), 0.5), tokens=["a", "b"], causal=True)
    with pytest.raises(ValueError, match="precision must be"):
        mw.AttentionView(attention=attention, tokens=["a", "b"], precision="int4")
    with pytest.raises(ValueError, match=r"head = 1 is out of range: expected 0 <= head < 1"):
        mw.AttentionView(attention=attention, tokens=["a", "b"], head=1)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        mw.AttentionView(attention=attention, tokens=["a", "b"], heads=1)
