"""Attention-head scores: how much of each head's attention follows a known pattern.

Every score takes attention probabilities ``[layer, head, query_pos, key_pos]`` or a batch
``[batch, layer, head, query_pos, key_pos]`` (torch or numpy) and returns a float32 tensor
``[layer, head]``: the mean attention a query puts on one key, averaged over the queries the
pattern defines (and over the batch). A score of 1 means the head does exactly that; a head
spreading attention uniformly over ``N`` keys scores about ``1/N``.

The induction and duplicate-token scores assume a batch built by
:func:`repeated_random_tokens`: an optional prefix (a BOS token) then a random sequence ``r``
of ``repeat_len`` tokens twice, so the second copy fills the last ``repeat_len`` positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..capture.hooks import capture_mode
from ..capture.precision import model_device
from ..checks import PATTERN_SHAPES, check_square_pattern


def previous_token_score(attention: Any) -> torch.Tensor:
    """Mean attention from each query ``q >= 1`` to key ``q - 1``; returns ``[layer, head]``."""
    pattern = _check_attention(attention, min_positions=2)
    return _offset_score(pattern, offset=1, n_queries=pattern.shape[-1] - 1)


def first_token_score(attention: Any) -> torch.Tensor:
    """Mean attention from each query ``q >= 1`` to key 0 (BOS / sink); ``[layer, head]``."""
    pattern = _check_attention(attention, min_positions=2)
    return _batch_mean(pattern[..., 1:, 0].mean(-1))


def induction_score(attention: Any, repeat_len: int) -> torch.Tensor:
    """Mean attention from the second copy of ``r`` to the token after the earlier match.

    A query at position ``q`` in the second copy (the last ``repeat_len`` positions) holds the
    same token as position ``q - repeat_len``; an induction head attends to the token right
    after it, key ``q - repeat_len + 1``. Returns ``[layer, head]``.
    """
    pattern = _check_attention(attention, repeat_len=repeat_len)
    return _offset_score(pattern, offset=repeat_len - 1, n_queries=repeat_len)


def duplicate_token_score(attention: Any, repeat_len: int) -> torch.Tensor:
    """Mean attention from the second copy of ``r`` to the same token in the first copy.

    Query ``q`` in the last ``repeat_len`` positions, key ``q - repeat_len``.
    Returns ``[layer, head]``.
    """
    pattern = _check_attention(attention, repeat_len=repeat_len)
    return _offset_score(pattern, offset=repeat_len, n_queries=repeat_len)


def repeated_random_tokens(
    vocab: Any,
    repeat_len: int = 40,
    n_sequences: int = 16,
    seed: int = 0,
    bos_token_id: int | None = None,
) -> torch.Tensor:
    """A seeded batch ``[BOS] r r``: int64 ``[n_sequences, 1 + 2 * repeat_len]``.

    Args:
        vocab: a tokenizer (its special tokens are never drawn; its BOS, else EOS, token is
            the prefix) or a vocabulary size (then give ``bos_token_id``, or ``None`` for no
            prefix and shape ``[n_sequences, 2 * repeat_len]``).
        repeat_len: length of the random sequence ``r``; its tokens are distinct within a row.
        n_sequences: rows in the batch.
        seed: seed of the generator; the same arguments always give the same batch.
        bos_token_id: prefix token when ``vocab`` is a size; ignored for a tokenizer.
    """
    allowed, bos = _allowed_ids(vocab, bos_token_id)
    if isinstance(repeat_len, bool) or not isinstance(repeat_len, int) or repeat_len < 1:
        raise ValueError(f"repeat_len must be a positive int, got {repeat_len!r}")
    if repeat_len > allowed.numel():
        raise ValueError(
            f"repeat_len={repeat_len} exceeds the {allowed.numel()} drawable token ids"
        )
    if isinstance(n_sequences, bool) or not isinstance(n_sequences, int) or n_sequences < 1:
        raise ValueError(f"n_sequences must be a positive int, got {n_sequences!r}")
    generator = torch.Generator().manual_seed(seed)
    keys = torch.rand(n_sequences, allowed.numel(), generator=generator)
    sequence = allowed[keys.argsort(dim=-1)[:, :repeat_len]]
    parts = [sequence, sequence]
    if bos is not None:
        parts.insert(0, torch.full((n_sequences, 1), bos, dtype=torch.long))
    return torch.cat(parts, dim=1)


def attention_patterns(model: torch.nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    """Run a Hugging Face model on ``input_ids [batch, pos]`` and stack its attention.

    Returns float32 ``[batch, layer, head, query_pos, key_pos]`` on the CPU. The model runs
    in eval mode (no dropout) with eager attention (``sdpa`` returns no probabilities) and
    gets its modes back after.
    """
    if not isinstance(input_ids, torch.Tensor) or input_ids.ndim != 2:
        shape = list(getattr(input_ids, "shape", []))
        raise ValueError(f"input_ids must be an int tensor [batch, pos], got shape {shape}")
    device = model_device(model)
    with capture_mode(model, eager=True), torch.no_grad():
        output = model(input_ids=input_ids.to(device), output_attentions=True)
    return torch.stack(tuple(output.attentions), dim=1).float().cpu()


def _allowed_ids(vocab: Any, bos_token_id: int | None) -> tuple[torch.Tensor, int | None]:
    if isinstance(vocab, int) and not isinstance(vocab, bool):
        if vocab < 1:
            raise ValueError(f"vocab size must be positive, got {vocab}")
        special: Sequence[int] = [] if bos_token_id is None else [bos_token_id]
        bos = bos_token_id
    elif hasattr(vocab, "all_special_ids"):
        special = list(vocab.all_special_ids)
        bos = vocab.bos_token_id if vocab.bos_token_id is not None else vocab.eos_token_id
        vocab = len(vocab)
    else:
        raise TypeError(f"vocab must be a tokenizer or an int size, got {type(vocab).__name__}")
    keep = torch.ones(vocab, dtype=torch.bool)
    keep[[i for i in special if 0 <= i < vocab]] = False
    return keep.nonzero().squeeze(1), bos


def _check_attention(
    attention: Any, min_positions: int = 1, repeat_len: int | None = None
) -> torch.Tensor:
    """Attention as a float tensor of rank 4 or 5 with square last axes, else a clear error."""
    try:
        pattern = torch.as_tensor(attention)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"attention must be a torch tensor or numpy array, got {type(attention).__name__}"
        ) from error
    shape = list(pattern.shape)
    check_square_pattern(shape, (4, 5), PATTERN_SHAPES, "attention")
    if not pattern.is_floating_point():
        raise TypeError(f"attention must hold probabilities (floats), got dtype {pattern.dtype}")
    n_positions = shape[-1]
    if repeat_len is not None:
        if isinstance(repeat_len, bool) or not isinstance(repeat_len, int) or repeat_len < 1:
            raise ValueError(f"repeat_len must be a positive int, got {repeat_len!r}")
        min_positions = max(min_positions, 2 * repeat_len)
        if n_positions < min_positions:
            raise ValueError(
                f"repeat_len={repeat_len} needs at least {min_positions} positions "
                f"(two copies), but attention has shape {shape}"
            )
    if n_positions < min_positions:
        raise ValueError(f"attention needs at least {min_positions} positions, got shape {shape}")
    return pattern.float()


def _offset_score(pattern: torch.Tensor, offset: int, n_queries: int) -> torch.Tensor:
    """Mean of ``pattern[..., q, q - offset]`` over the last ``n_queries`` queries."""
    diagonal = pattern.diagonal(offset=-offset, dim1=-2, dim2=-1)
    return _batch_mean(diagonal[..., -n_queries:].mean(-1))


def _batch_mean(scores: torch.Tensor) -> torch.Tensor:
    return scores.mean(0) if scores.ndim == 3 else scores
