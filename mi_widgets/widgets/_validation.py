"""Checks of what views draw (attention patterns, token lists); the argument checks every
layer shares are in :mod:`mi_widgets.checks`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..checks import as_float32, check_square_pattern

#: Probabilities may overshoot 1 or undershoot 0 by float rounding; beyond this is an error.
PROBABILITY_TOLERANCE = 1e-4


def check_attention(values: Any, name: str = "attention") -> np.ndarray:
    """Validate attention patterns; returns float32 ``[layer, head, query_pos, key_pos]``.

    Accepts ``[layer, head, N, N]`` or ``[head, N, N]`` (one layer) with values in ``[0, 1]``.
    """
    array = as_float32(values, name)
    check_square_pattern(array.shape, (3, 4), "[layer, head, N, N] or [head, N, N]", name)
    if array.ndim == 3:
        array = array[None]
    finite = np.isfinite(array)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{name} has a non-finite value {array[where]} at index {list(where)}; "
            "expected probabilities in [0, 1]"
        )
    low, high = float(array.min()), float(array.max())
    if low < -PROBABILITY_TOLERANCE or high > 1 + PROBABILITY_TOLERANCE:
        bad = low if low < -PROBABILITY_TOLERANCE else high
        where = tuple(int(i) for i in np.argwhere(array == bad)[0])
        raise ValueError(
            f"{name} has value {bad} at index {list(where)}; expected probabilities in [0, 1]"
        )
    return np.clip(array, 0.0, 1.0)


def check_tokens(tokens: Any, n_tokens: int, name: str = "tokens") -> list[str]:
    """Validate a list of ``n_tokens`` token strings (kept exactly as given)."""
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"{name} must be a list of strings, got {type(tokens).__name__}")
    not_strings = [i for i, token in enumerate(tokens) if not isinstance(token, str)]
    if not_strings:
        i = not_strings[0]
        raise TypeError(f"{name}[{i}] must be a str, got {type(tokens[i]).__name__}")
    if len(tokens) != n_tokens:
        raise ValueError(
            f"{name} has {len(tokens)} entries but the attention covers N = {n_tokens} "
            "positions; expected one token per position"
        )
    return list(tokens)
