"""Validate the options of ``trace(...)`` with errors that name the argument and the range."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch

from ..checks import check_layers, is_int

#: What a trace can record; ``kinds=None`` records all of them.
KINDS = ("attention", "resid", "mlp", "logits")
#: Storage dtypes a trace accepts.
DTYPES = (torch.float32, torch.float16, torch.bfloat16)


@dataclass(frozen=True)
class Options:
    """Checked capture options (see ``trace`` for their meaning)."""

    layers: tuple[int, ...]
    kinds: frozenset[str]
    dtype: torch.dtype
    top_k: int
    max_length: int | None
    truncate: bool


def check_texts(text: Any) -> tuple[list[str], bool]:
    """``(texts, batched)``: a str becomes one text; a list or tuple of str is a batch."""
    if isinstance(text, str):
        texts, batched, label = [text], False, "text"
    elif isinstance(text, (list, tuple)):
        texts, batched, label = list(text), True, "texts"
        if not texts:
            raise ValueError("text is an empty list: give at least one text to trace")
    else:
        raise TypeError(f"text must be a str or a list of str, got {type(text).__name__}")
    for i, item in enumerate(texts):
        name = f"{label}[{i}]" if batched else "text"
        if not isinstance(item, str):
            raise TypeError(f"{name} must be a str, got {type(item).__name__}")
        if not item:
            raise ValueError(f"{name} is empty: give at least one character to trace")
    return texts, batched


def check_options(
    *,
    n_layers: int,
    model_name: str,
    context: int | None,
    layers: Any,
    kinds: Any,
    dtype: Any,
    top_k: Any,
    max_length: Any,
    truncate: Any,
) -> Options:
    """Validate every option against a model with ``n_layers`` layers and ``context`` tokens."""
    if not isinstance(truncate, bool):
        raise TypeError(f"truncate must be True or False, got {truncate!r}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(map(str, DTYPES))}, got {dtype!r}")
    if not is_int(top_k) or top_k < 0:
        raise ValueError(f"top_k must be an int >= 0 (0 records no predictions), got {top_k!r}")
    if max_length is not None:
        if not is_int(max_length) or max_length < 1:
            raise ValueError(f"max_length must be None or an int >= 1, got {max_length!r}")
        if context is not None and max_length > context:
            raise ValueError(
                f"max_length = {max_length} exceeds the context of {model_name} ({context} tokens)"
            )
    return Options(
        layers=tuple(range(n_layers))
        if layers is None
        else check_layers(layers, n_layers, model_name),
        kinds=_check_kinds(kinds),
        dtype=dtype,
        top_k=int(top_k),
        max_length=None if max_length is None else int(max_length),
        truncate=truncate,
    )


def _check_kinds(kinds: Any) -> frozenset[str]:
    if kinds is None:
        return frozenset(KINDS)
    items = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(items, Iterable):
        raise TypeError(f"kinds must be None or a set of str, got {type(kinds).__name__}")
    items = frozenset(items)
    unknown = sorted(map(repr, items - set(KINDS)))
    if unknown:
        raise ValueError(
            f"kinds contains unknown {', '.join(unknown)}: valid kinds are "
            f"{', '.join(map(repr, KINDS))}"
        )
    if not items:
        raise ValueError(f"kinds is empty: give None for all, or some of {', '.join(KINDS)}")
    return items
