"""Head scores on hand-built attention patterns with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mi_widgets.analysis import (
    duplicate_token_score,
    first_token_score,
    induction_score,
    previous_token_score,
    repeated_random_tokens,
)

REPEAT = 6
N = 1 + 2 * REPEAT  # [BOS] r r


def offset_pattern(n: int, offset: int, start: int = 0) -> torch.Tensor:
    """``[n, n]``: queries ``q >= start`` attend to ``q - offset``, the others to key 0."""
    pattern = torch.zeros(n, n)
    pattern[:, 0] = 1.0
    q = torch.arange(max(start, offset), n)
    pattern[q, 0] = 0.0
    pattern[q, q - offset] = 1.0
    return pattern


def stack(*heads: torch.Tensor, layers: int = 1) -> torch.Tensor:
    """``[layers, len(heads), n, n]`` with the same heads in every layer."""
    return torch.stack(heads)[None].repeat(layers, 1, 1, 1)


def uniform_causal(n: int) -> torch.Tensor:
    mask = torch.ones(n, n).tril()
    return mask / mask.sum(-1, keepdim=True)


def test_previous_token_pattern_scores_one_only_on_previous_token():
    pattern = stack(offset_pattern(N, 1))
    assert previous_token_score(pattern).tolist() == [[1.0]]
    assert induction_score(pattern, REPEAT).item() == pytest.approx(0.0)
    assert duplicate_token_score(pattern, REPEAT).item() == pytest.approx(0.0)
    # only query 1, whose previous token is key 0, looks at the first token
    assert first_token_score(pattern).item() == pytest.approx(1 / (N - 1))


def test_induction_pattern_scores_one_on_induction():
    head = offset_pattern(N, REPEAT - 1, start=N - REPEAT)
    scores = induction_score(stack(head), REPEAT)
    assert scores.tolist() == [[1.0]]
    assert previous_token_score(stack(head)).item() < 0.5
    assert duplicate_token_score(stack(head), REPEAT).item() == pytest.approx(0.0)


def test_duplicate_pattern_scores_one_on_duplicate_token():
    head = offset_pattern(N, REPEAT, start=N - REPEAT)
    assert duplicate_token_score(stack(head), REPEAT).item() == pytest.approx(1.0)
    assert induction_score(stack(head), REPEAT).item() == pytest.approx(0.0)


def test_sink_pattern_scores_one_on_first_token():
    sink = torch.zeros(N, N)
    sink[:, 0] = 1.0
    assert first_token_score(stack(sink)).item() == pytest.approx(1.0)
    assert previous_token_score(stack(sink)).item() == pytest.approx(1 / (N - 1))
    assert induction_score(stack(sink), REPEAT).item() == pytest.approx(0.0)


def test_uniform_attention_scores_the_mean_of_one_over_row_length():
    expected = float(np.mean([1 / (q + 1) for q in range(N - REPEAT, N)]))
    assert induction_score(stack(uniform_causal(N)), REPEAT).item() == pytest.approx(expected)


def test_scores_keep_layer_and_head_apart():
    heads = (offset_pattern(N, 1), offset_pattern(N, REPEAT - 1, start=N - REPEAT))
    pattern = stack(*heads, layers=3)
    assert previous_token_score(pattern).shape == (3, 2)
    torch.testing.assert_close(induction_score(pattern, REPEAT)[:, 1], torch.ones(3))
    torch.testing.assert_close(previous_token_score(pattern)[:, 0], torch.ones(3))


def test_batch_axis_is_averaged_and_numpy_is_accepted():
    a = stack(offset_pattern(N, 1))
    b = stack(uniform_causal(N))
    batch = torch.stack([a, b]).numpy()
    assert batch.shape == (2, 1, 1, N, N)
    expected = (previous_token_score(a) + previous_token_score(b)) / 2
    torch.testing.assert_close(previous_token_score(batch), expected)
    assert first_token_score(batch).dtype == torch.float32


@pytest.mark.parametrize(
    "shape",
    [(N, N), (2, N, N), (1, 2, 3, N, N, N), (1, 2, N, N + 1)],
)
def test_bad_shapes_name_the_argument_and_shape(shape):
    with pytest.raises(ValueError, match=r"attention must have shape .*got shape \[") as error:
        previous_token_score(torch.zeros(shape))
    assert str(list(shape)) in str(error.value)


def test_repeat_len_must_fit_two_copies():
    with pytest.raises(
        ValueError, match=r"repeat_len=7 needs at least 14 positions.*\[1, 1, 13, 13\]"
    ):
        induction_score(torch.zeros(1, 1, N, N), 7)
    with pytest.raises(ValueError, match="repeat_len must be a positive int"):
        duplicate_token_score(torch.zeros(1, 1, N, N), 0)


def test_integer_attention_is_rejected():
    with pytest.raises(TypeError, match="attention must hold probabilities"):
        first_token_score(torch.zeros(1, 1, 4, 4, dtype=torch.long))


def test_repeated_random_tokens_is_seeded_and_repeats():
    batch = repeated_random_tokens(500, repeat_len=20, n_sequences=4, seed=3, bos_token_id=0)
    assert batch.shape == (4, 41) and batch.dtype == torch.long
    assert (batch[:, 0] == 0).all()
    torch.testing.assert_close(batch[:, 1:21], batch[:, 21:])
    assert ((batch[:, 1:] > 0) & (batch[:, 1:] < 500)).all()
    assert all(len(set(row)) == 20 for row in batch[:, 1:21].tolist())
    torch.testing.assert_close(batch, repeated_random_tokens(500, 20, 4, seed=3, bos_token_id=0))
    assert not torch.equal(batch, repeated_random_tokens(500, 20, 4, seed=4, bos_token_id=0))
    assert repeated_random_tokens(500, 20, 4).shape == (4, 40)


class _Tokenizer:
    """What ``repeated_random_tokens`` reads from a tokenizer: size and special ids."""

    all_special_ids = (0, 7)
    bos_token_id = None
    eos_token_id = 0

    def __len__(self) -> int:
        return 50


def test_repeated_random_tokens_from_a_tokenizer_skips_special_tokens():
    batch = repeated_random_tokens(_Tokenizer(), repeat_len=30, n_sequences=8)
    assert batch.shape == (8, 61)
    assert (batch[:, 0] == 0).all()  # no BOS token: EOS leads
    assert not torch.isin(batch[:, 1:], torch.tensor([0, 7])).any()
    assert int(batch.max()) < 50


def test_repeated_random_tokens_rejects_bad_arguments():
    with pytest.raises(TypeError, match="vocab must be a tokenizer or an int"):
        repeated_random_tokens("gpt2")
    with pytest.raises(ValueError, match="repeat_len=50 exceeds the 10 drawable"):
        repeated_random_tokens(10, repeat_len=50)
