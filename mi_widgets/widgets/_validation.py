"""Checks on user input at the boundary, with errors that say what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Probabilities may overshoot 1 or undershoot 0 by float rounding; beyond this is an error.
PROBABILITY_TOLERANCE = 1e-4


def as_numpy(values: Any, name: str) -> np.ndarray:
    """A float32 numpy copy of a torch tensor, numpy array or nested list."""
    if hasattr(values, "detach"):
        values = values.detach().to("cpu").float().numpy()
    try:
        return np.array(values, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a torch tensor, numpy array or nested list of numbers, "
            f"got {type(values).__name__}"
        ) from error


def check_attention(values: Any, name: str = "attention") -> np.ndarray:
    """Validate attention patterns; returns float32 ``[layer, head, query_pos, key_pos]``.

    Accepts ``[layer, head, N, N]`` or ``[head, N, N]`` (one layer) with values in ``[0, 1]``.
    """
    array = as_numpy(values, name)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise ValueError(
            f"{name} must have shape [layer, head, N, N] or [head, N, N], "
            f"got {array.ndim} dimensions with shape {list(array.shape)}"
        )
    n_layers, n_heads, n_queries, n_keys = array.shape
    if n_queries != n_keys:
        raise ValueError(
            f"{name} must be square in its last two axes (query_pos x key_pos), "
            f"got shape {list(array.shape)}"
        )
    if n_queries == 0 or n_layers == 0 or n_heads == 0:
        raise ValueError(f"{name} is empty (shape {list(array.shape)}): need at least one token")
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


def check_index(value: int, size: int, name: str) -> int:
    """``value`` as an int in ``range(size)``, or a ValueError naming the range."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"{name} = {value} is out of range: expected 0 <= {name} < {size}")
    return int(value)
