"""mw.head_scores and HeadScores: known patterns, a real trace, a model, save/load, errors."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis import (
    attention_patterns,
    induction_score,
    previous_token_score,
    repeated_random_tokens,
)
from mi_widgets.analysis.scores import SCORE_NAMES
from tests.conftest import random_causal_attention

R = 5
REPEATED = [0, 11, 12, 13, 14, 15, 11, 12, 13, 14, 15]  # [BOS] r r, r of length R
N = len(REPEATED)


def pattern_to(keys: list[int]) -> np.ndarray:
    """``[1, 1, N, N]``: query q attends only to ``keys[q]``."""
    n = len(keys)
    pattern = np.zeros((1, 1, n, n), dtype=np.float32)
    pattern[0, 0, np.arange(n), keys] = 1
    return pattern


def reference_text_scores(attention: np.ndarray, ids: list[int]) -> dict[str, np.ndarray]:
    """Duplicate-token and induction by their definition, one query at a time (slow, clear)."""
    n_layers, n_heads, n, _ = attention.shape
    sums = {
        "duplicate_token": np.zeros((n_layers, n_heads)),
        "induction": np.zeros((n_layers, n_heads)),
    }
    counts = {"duplicate_token": 0, "induction": 0}
    for q in range(n):
        earlier = [p for p in range(q) if ids[p] == ids[q]]
        targets = {
            "duplicate_token": set(earlier),
            "induction": {p + 1 for p in earlier if p + 1 < q},
        }
        for name, keys in targets.items():
            if keys:
                counts[name] += 1
                sums[name] += attention[:, :, q, sorted(keys)].sum(-1)
    return {
        name: sums[name] / counts[name] if counts[name] else np.full((n_layers, n_heads), np.nan)
        for name in sums
    }


# ---- hand-built patterns with known answers ---------------------------------------------


def test_previous_token_head_scores_one_on_previous_token():
    keys = [0, *range(N - 1)]
    scores = mw.head_scores(pattern_to(keys), input_ids=REPEATED)
    assert scores.names == list(SCORE_NAMES)
    assert scores["previous_token"][0, 0] == 1.0
    assert scores["duplicate_token"][0, 0] == 0.0
    assert scores["induction"][0, 0] == 0.0
    assert scores["first_token"][0, 0] == pytest.approx(1 / (N - 1))  # only query 1 -> key 0


def test_induction_head_on_a_repeated_sequence_scores_one_on_induction():
    # second copy (queries 6..10) attends to the token after its earlier occurrence
    keys = [0] * (1 + R) + [q - R + 1 for q in range(1 + R, N)]
    scores = mw.head_scores(pattern_to(keys), input_ids=REPEATED)
    assert scores["induction"][0, 0] == 1.0
    assert scores["duplicate_token"][0, 0] == 0.0
    assert scores["previous_token"][0, 0] < 0.5
    # the same batch read as [BOS] r r gives the same scores
    structured = mw.head_scores(pattern_to(keys), repeat_len=R)
    for name in SCORE_NAMES:
        np.testing.assert_allclose(structured[name], scores[name], atol=1e-6)


def test_duplicate_token_head_scores_one_on_duplicate_token():
    keys = [0] * (1 + R) + [q - R for q in range(1 + R, N)]
    scores = mw.head_scores(pattern_to(keys), input_ids=REPEATED)
    assert scores["duplicate_token"][0, 0] == 1.0
    assert scores["induction"][0, 0] == 0.0


def test_sink_head_scores_one_on_first_token():
    scores = mw.head_scores(pattern_to([0] * N), input_ids=REPEATED)
    assert scores["first_token"][0, 0] == 1.0
    assert scores["previous_token"][0, 0] == pytest.approx(1 / (N - 1))
    assert scores["induction"][0, 0] == 0.0


def test_heads_and_layers_stay_apart():
    previous = pattern_to([0, *range(N - 1)])[0, 0]
    sink = pattern_to([0] * N)[0, 0]
    attention = np.stack([np.stack([previous, sink]), np.stack([sink, previous])])
    scores = mw.head_scores(attention, input_ids=REPEATED, layers=[4, 7])
    np.testing.assert_array_equal(scores["previous_token"] == 1.0, [[True, False], [False, True]])
    np.testing.assert_array_equal(scores["first_token"] == 1.0, [[False, True], [True, False]])
    assert scores.layers == (4, 7) and scores.shape == (2, 2)


def test_text_scores_follow_their_definition_on_irregular_repeats():
    ids = [3, 9, 4, 9, 9, 5, 4, 2, 3, 9, 6]  # 9 three times in a row-ish, 4 and 3 twice
    attention = random_causal_attention(2, 3, len(ids), seed=7)
    scores = mw.head_scores(attention, input_ids=ids)
    expected = reference_text_scores(attention, ids)
    for name in ("duplicate_token", "induction"):
        np.testing.assert_allclose(scores[name], expected[name], rtol=1e-5)
    np.testing.assert_allclose(scores["previous_token"], previous_token_score(attention).numpy())


def test_text_without_repeats_has_nan_duplicate_and_induction():
    attention = random_causal_attention(1, 2, 6, seed=1)
    scores = mw.head_scores(attention, input_ids=[5, 6, 7, 8, 9, 10])
    assert np.isnan(scores["duplicate_token"]).all() and np.isnan(scores["induction"]).all()
    assert np.isfinite(scores["previous_token"]).all()
    assert scores.top("induction", 3) == []
    assert "induction        n/a for every head" in repr(scores)


def test_two_equal_tokens_in_a_row_have_no_induction_target():
    # query 2 repeats token 1 right before it: its induction key would be itself
    attention = random_causal_attention(1, 1, 3, seed=2)
    scores = mw.head_scores(attention, input_ids=[1, 7, 7])
    assert np.isnan(scores["induction"]).all()
    assert scores["duplicate_token"][0, 0] == pytest.approx(attention[0, 0, 2, 1])


def test_batches_pool_every_query():
    ids = np.array([[0, 1, 2, 1, 2], [0, 5, 6, 7, 8]])  # only the first row repeats
    attention = np.stack([random_causal_attention(1, 2, 5, seed=s) for s in (3, 4)])
    scores = mw.head_scores(attention, input_ids=ids)
    only_first = mw.head_scores(attention[0], input_ids=ids[0])
    np.testing.assert_allclose(scores["induction"], only_first["induction"], rtol=1e-6)
    np.testing.assert_allclose(
        scores["previous_token"],
        (previous_token_score(attention[0]) + previous_token_score(attention[1])).numpy() / 2,
        rtol=1e-6,
    )


# ---- a real model ---------------------------------------------------------------------


def test_trace_of_a_tiny_gpt2(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(
        model, tokenizer, "When Mary and John went to the store, John gave a drink to Mary"
    )
    scores = mw.head_scores(trace)
    assert scores.shape == (2, 4) and scores.layers == trace.layers
    attention = trace.attention.numpy()
    np.testing.assert_allclose(scores["previous_token"], previous_token_score(attention).numpy())
    np.testing.assert_allclose(scores["first_token"], attention[:, :, 1:, 0].mean(-1), rtol=1e-5)
    expected = reference_text_scores(attention, trace.input_ids.tolist())
    for name in ("duplicate_token", "induction"):
        assert np.isfinite(scores[name]).all(), "the text repeats ' John' and ' Mary'"
        np.testing.assert_allclose(scores[name], expected[name], rtol=1e-5)
    assert all(value.dtype == np.float32 for value in scores.scores.values())
    assert "GPT2LMHeadModel" in scores.source and f"{trace.n_tokens} tokens" in scores.source


def test_trace_of_selected_layers_keeps_the_model_layer(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(model, tokenizer, "a b a b", layers=[1])
    scores = mw.head_scores(trace)
    assert scores.layers == (1,) and scores.shape == (1, 4)
    assert scores.top("previous_token", 1)[0][0] == 1


def test_from_model_and_tokenizer_is_one_seeded_batch(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    scores = mw.head_scores(model, tokenizer)
    repeat = (model.config.n_positions - 1) // 2  # the context (64) caps the default of 40
    assert f"repeat_len={repeat}" in scores.source and "seed=0" in scores.source
    ids = repeated_random_tokens(tokenizer, repeat, 16, seed=0)
    pattern = attention_patterns(model, ids)
    np.testing.assert_allclose(scores["induction"], induction_score(pattern, repeat).numpy())
    # the text definition agrees on this batch
    text = mw.head_scores(pattern, input_ids=ids)
    for name in SCORE_NAMES:
        np.testing.assert_allclose(text[name], scores[name], atol=1e-6)
    again = mw.head_scores(model, tokenizer)
    other = mw.head_scores(model, tokenizer, seed=1, repeat_len=10, n_sequences=4)
    np.testing.assert_array_equal(again["induction"], scores["induction"])
    assert not np.array_equal(other["induction"], scores["induction"])
    assert "repeat_len=10" in other.source and "4 sequences" in other.source


def test_from_a_model_in_training_mode_turns_dropout_off(tiny_family_models):
    model = tiny_family_models["gpt_neox"]
    assert model.training
    first = mw.head_scores(model, repeat_len=8, n_sequences=2)  # ids from config.vocab_size
    second = mw.head_scores(model, repeat_len=8, n_sequences=2)
    np.testing.assert_array_equal(first["induction"], second["induction"])
    assert model.training, "the model gets its mode back"
    assert np.isfinite(first["duplicate_token"]).all()


def test_repeat_len_past_the_context_is_a_clear_error(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    with pytest.raises(ValueError, match=r"repeat_len=40 makes rows of 81 tokens.*at most 64"):
        mw.head_scores(model, tokenizer, repeat_len=40)


# ---- HeadScores: top, repr, save/load -----------------------------------------------------


def make_scores(**kwargs) -> mw.HeadScores:
    induction = np.array([[0.1, 0.9, np.nan], [0.5, 0.2, 0.7]], dtype=np.float32)
    values = {"induction": induction, "previous_token": np.full((2, 3), 0.25)}
    return mw.HeadScores(values, **{"layers": (3, 5), "source": "hand made ✓", **kwargs})


def test_top_sorts_skips_nan_and_names_model_layers():
    scores = make_scores()
    assert scores.top("induction", 3) == [
        (3, 1, pytest.approx(0.9)),
        (5, 2, pytest.approx(0.7)),
        (5, 0, pytest.approx(0.5)),
    ]
    assert len(scores.top("induction", 100)) == 5
    assert all(isinstance(score, float) for _, _, score in scores.top("induction"))
    with pytest.raises(ValueError, match="k must be a positive int"):
        scores.top("induction", 0)
    with pytest.raises(ValueError, match=r"name='bogus'.*valid scores: induction, previous_token"):
        scores.top("bogus")


def test_repr_is_readable():
    text = repr(make_scores())
    assert text.startswith("HeadScores(2 layers x 3 heads, source='hand made ✓')")
    assert "induction       top L3H1 0.900  L5H2 0.700  L5H0 0.500" in text


def test_save_and_load_round_trip(tmp_path):
    scores = make_scores()
    path = scores.save(tmp_path / "scores.npz")
    loaded = mw.HeadScores.load(path)
    assert loaded.names == scores.names and loaded.layers == (3, 5)
    assert loaded.source == "hand made ✓"
    for name in scores.names:
        np.testing.assert_array_equal(loaded[name], scores[name])  # NaN included
        assert loaded[name].dtype == np.float32
    with np.load(path) as raw:  # plain numpy reads it too
        assert json.loads(raw["meta.json"])["names"] == ["induction", "previous_token"]


def test_save_and_load_of_model_scores(tmp_path, tiny_gpt2):
    model, tokenizer = tiny_gpt2
    scores = mw.head_scores(model, tokenizer, repeat_len=6, n_sequences=2)
    loaded = mw.HeadScores.load(scores.save(tmp_path / "model.npz"))
    assert repr(loaded) == repr(scores)


def test_load_rejects_other_files(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match=r"not a HeadScores file: it has no meta\.json"):
        mw.HeadScores.load(tmp_path / "plain.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a HeadScores file"):
        mw.HeadScores.load(tmp_path / "text.npz")


def test_head_scores_are_frozen():
    scores = make_scores()
    with pytest.raises(dataclasses.FrozenInstanceError):
        scores.source = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        scores["induction"][0, 0] = 1.0


# ---- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "non-empty dict"),
        ({"a": np.zeros(3)}, r"scores\['a'\] must have shape \[layer, head\], got \[3\]"),
        (
            {"a": np.zeros((2, 3)), "b": np.zeros((2, 4))},
            r"scores\['b'\] has shape \[2, 4\] but scores\['a'\] has \[2, 3\]",
        ),
        ({"a": [["x"]]}, r"scores\['a'\] must be a numeric"),
    ],
)
def test_bad_scores_name_the_argument(values, message):
    with pytest.raises(ValueError, match=message):
        mw.HeadScores(values)


def test_bad_layers():
    with pytest.raises(ValueError, match=r"layers must hold one int per row of the scores \(2\)"):
        mw.HeadScores({"a": np.zeros((2, 3))}, layers=(1,))


def test_bad_head_scores_arguments(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    attention = random_causal_attention(1, 2, 4)
    with pytest.raises(ValueError, match=r"attention must have shape \[layer, head, query_pos"):
        mw.head_scores(np.zeros((2, 4, 4)), input_ids=[1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"exactly one of input_ids= .* or repeat_len="):
        mw.head_scores(attention)
    with pytest.raises(ValueError, match=r"input_ids must be integer token ids of shape \[4\]"):
        mw.head_scores(attention, input_ids=[1, 2, 3])
    with pytest.raises(TypeError, match="tokenizer goes with a model"):
        mw.head_scores(attention, tokenizer)
    trace = mw.trace(model, tokenizer, "a b a b")
    with pytest.raises(TypeError, match="repeat_len cannot be given with a Trace"):
        mw.head_scores(trace, repeat_len=3)
    with pytest.raises(ValueError, match="repeat_len must be a positive int"):
        mw.head_scores(model, tokenizer, repeat_len=0)
    no_attention = mw.trace(model, tokenizer, "a b a b", kinds={"resid"})
    with pytest.raises(ValueError, match="trace has no attention"):
        mw.head_scores(no_attention)
    with pytest.raises(TypeError, match="needs a Hugging Face model"):
        mw.head_scores(torch.nn.Linear(2, 2))
