"""Argument checks shared by every entry point, so one bad argument gets one message.

This module belongs to no layer: it imports only the standard library and numpy, and
capture, analysis, widgets and export all use it. Each check returns the argument in its
normalised form or raises an error that names the argument, the value it got and what it
expected.

>>> check_layers([0, -1], 3, "GPT2LMHeadModel")
(0, 2)
>>> check_byte_budget(True)
Traceback (most recent call last):
    ...
TypeError: max_bytes must be an int >= 0 (a budget in bytes), got True
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """Python and numpy integers, not bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def positive_int(value: Any, name: str) -> int:
    """``value`` as an int, or a ValueError naming ``name`` unless it is an int >= 1."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def non_negative_int(value: Any, name: str) -> int:
    """``value`` as an int, or a ValueError naming ``name`` unless it is an int >= 0."""
    if not is_int(value) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return int(value)


def check_byte_budget(value: Any, name: str = "max_bytes") -> int:
    """A size budget in bytes: an int >= 0 (``True`` is not a budget)."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int >= 0 (a budget in bytes), got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0 (a budget in bytes), got {value!r}")
    return int(value)


def check_index(value: Any, size: int, name: str) -> int:
    """``value`` as an int in ``range(size)``: a head, neuron, feature, row or token index."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"{name} = {value} is out of range: expected 0 <= {name} < {size}")
    return int(value)


def check_token_position(position: Any, n_tokens: int, what: str) -> int:
    """``position`` as an index into the ``n_tokens`` tokens of ``what`` (negative counts from
    the end), normalised to ``range(n_tokens)``."""
    if not is_int(position):
        raise TypeError(f"position must be an int, got {position!r}")
    if not -n_tokens <= position < n_tokens:
        raise ValueError(
            f"position = {position} is outside the {n_tokens} tokens of {what}: expected "
            f"{-n_tokens} <= position < {n_tokens}"
        )
    return int(position) % n_tokens


def check_layers(
    layers: Any, n_layers: int, owner: str | None, name: str = "layers"
) -> tuple[int, ...]:
    """Model layers, ascending, from an int or a list of ints (negative counts from the end).

    Args:
        layers: what the caller passed as ``name``.
        n_layers: the layers ``owner`` has.
        owner: what has the layers, for the message (a model's class name, "the trace");
            ``None``: a view's layers, named by their range alone.
        name: the argument's name.

    Raises:
        TypeError: not an int or a list of ints.
        ValueError: empty, a layer twice, or a layer outside ``range(-n_layers, n_layers)``.
    """
    items = [layers] if is_int(layers) else layers
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"{name} must be an int or a list of ints, got {type(layers).__name__}")
    items = list(items)
    if not items:
        raise ValueError(f"{name} is empty: give at least one layer")
    for layer in items:
        if not is_int(layer):
            raise TypeError(f"{name} must hold ints, got {layer!r} ({type(layer).__name__})")
        if not -n_layers <= layer < n_layers:
            raise ValueError(_layer_out_of_range(name, is_int(layers), layer, n_layers, owner))
    normalised = sorted(int(layer) % n_layers for layer in items)
    if len(set(normalised)) != len(normalised):
        raise ValueError(f"{name} names a layer twice: {items}")
    return tuple(normalised)


def check_layer(layer: Any, n_layers: int, owner: str | None, name: str = "layer") -> int:
    """One model layer (negative counts from the end), normalised to ``range(n_layers)``:
    the rule of every ``layer=`` argument and ``layer`` trait."""
    if not is_int(layer):
        raise TypeError(f"{name} must be an int, got {layer!r}")
    return check_layers(layer, n_layers, owner, name)[0]


def layer_from_end(layer: Any, layers: Sequence[int]) -> Any:
    """``layers[layer]`` for a negative ``layer`` counting from the end of the model
    ``layers`` a view holds (``-1``: the last); any other value unchanged, to be checked."""
    if is_int(layer) and -len(layers) <= layer < 0:
        return int(layers[layer])
    return layer


def check_layer_member(layer: Any, layers: Sequence[int], owner: str) -> int:
    """One of the model ``layers`` a view holds; negative counts from the end of them."""
    layer = layer_from_end(layer, layers)
    if not is_int(layer):
        raise TypeError(f"layer must be an int, got {type(layer).__name__}")
    if layer not in layers:
        raise ValueError(
            f"layer = {layer} is out of range: {owner} has layers {', '.join(map(str, layers))}"
        )
    return int(layer)


def _layer_out_of_range(
    name: str, single: bool, layer: int, n_layers: int, owner: str | None
) -> str:
    expected = f"0 <= layer < {n_layers} (or {-n_layers} <= layer < 0 counting from the end)"
    if owner is None:
        return f"{name} = {layer} is out of range: expected {expected.replace('layer', name)}"
    if single:
        return (
            f"{name} = {layer} is out of range: {owner} has {n_layers} layers: expected {expected}"
        )
    return (
        f"{name} contains {layer} but {owner} has {n_layers} layers: expected {expected}; "
        f"layer {layer} is out of range: {owner} has {n_layers} layers"
    )


def as_float32(values: Any, name: str) -> np.ndarray:
    """A float32 numpy copy of a torch tensor, numpy array or nested list of numbers."""
    if hasattr(values, "detach"):
        values = values.detach().to("cpu").float().numpy()
    try:
        return np.array(values, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a torch tensor, numpy array or nested list of numbers, "
            f"got {type(values).__name__}"
        ) from error


#: The shapes the attention-pattern analyses take.
PATTERN_SHAPES = "[layer, head, query_pos, key_pos] or [batch, layer, head, query_pos, key_pos]"


def check_square_pattern(
    shape: Sequence[int], ranks: Sequence[int], shapes: str, name: str
) -> None:
    """An attention pattern's shape: one of ``ranks`` dimensions (described by ``shapes``),
    square last two axes (query_pos x key_pos), and no empty axis."""
    shape = list(shape)
    if len(shape) not in ranks:
        raise ValueError(
            f"{name} must have shape {shapes}, got {len(shape)} dimensions (got shape {shape})"
        )
    if shape[-1] != shape[-2]:
        raise ValueError(
            f"{name} must have shape {shapes}, square in its last two axes (query_pos x "
            f"key_pos), got shape {shape}"
        )
    if 0 in shape:
        raise ValueError(f"{name} is empty (shape {shape}): need at least one token")
