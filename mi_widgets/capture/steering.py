"""Steering: add a direction to the residual stream for every forward pass in a block.

>>> input_ids = tokenizer("def f(x):", return_tensors="pt").input_ids
>>> direction = torch.randn(model.config.hidden_size)   # or a probe: probes[1]
>>> with mw.steer(model, direction, layer=1, alpha=4.0):
...     steered = model(input_ids).logits
>>> bool((steered != model(input_ids).logits).any())
True
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from ..checks import check_layer
from .sites import at_site, check_stream_kind, n_layers, site_width


@contextmanager
def steer(
    model: Any,
    direction: Any,
    layer: int | None = None,
    alpha: float = 1.0,
    *,
    positions: int | Sequence[int] | None = None,
    site: str = "hook_resid_post",
    normalize: bool = False,
) -> Iterator[torch.Tensor]:
    """Add ``alpha * direction`` to the residual stream at ``layer`` inside the ``with`` block.

    Every forward pass of ``model`` in the block (a call, ``generate``, a trace, a probe)
    sees the residual stream at ``blocks.{layer}.{site}`` shifted by ``alpha * direction`` at
    every position, or only at ``positions``. The hook is removed on the way out, also when
    the block raises.

    Args:
        model: a Hugging Face model of a supported family or a TransformerLens
            ``HookedTransformer``.
        direction: ``[d_model]`` (torch, numpy or list), or a :class:`~mi_widgets.Probe`
            (``probes[layer]``: its unit ``direction``, and its ``layer`` when ``layer`` is not
            given).
        layer: the block whose residual stream is shifted (negative counts from the end).
        alpha: the multiple of ``direction`` added (in the residual stream's units).
        positions: ``None`` for every position, else an int or a list of ints indexing the
            positions of each forward pass's input (negative counts from the end). With a
            key/value cache, ``generate`` runs one new position per pass: there use ``None``.
        site: the kind of block site shifted: ``"hook_resid_post"`` (leaving the block),
            ``"hook_resid_pre"`` (entering it), ``"hook_attn_out"`` or ``"hook_mlp_out"``.
        normalize: scale ``direction`` to unit norm first.

    Yields:
        the added vector ``alpha * direction`` ``[d_model]`` (float32).

    Example::

        probes = mw.probe(model, tokenizer, texts, labels)
        with mw.steer(model, probes[1], alpha=8.0):
            logits = model(**tokenizer("The", return_tensors="pt")).logits
    """
    if hasattr(direction, "direction") and hasattr(direction, "layer"):
        layer = direction.layer if layer is None else layer
        direction = direction.direction
    if layer is None:
        raise TypeError("layer is required: the block whose residual stream is steered")
    layer = check_layer(layer, n_layers(model), type(model).__name__)
    site = check_stream_kind(site)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number, got {alpha!r}")
    name = f"blocks.{layer}.{site}"
    vector = _direction(direction, site_width(model, name), normalize) * float(alpha)
    index = _positions(positions)

    def add(x: torch.Tensor) -> torch.Tensor:
        shift = vector.to(device=x.device, dtype=x.dtype)
        if index is None:
            return x + shift
        n = x.shape[-2]
        bad = [p for p in index if not -n <= p < n]
        if bad:
            raise IndexError(
                f"positions {bad} are out of range for a forward pass over {n} positions"
            )
        out = x.clone()
        out[..., list(index), :] += shift
        return out

    with at_site(model, name, add):
        yield vector


def _direction(direction: Any, width: int, normalize: bool) -> torch.Tensor:
    if isinstance(direction, torch.Tensor):
        vector = direction.detach().to("cpu", torch.float32)
    else:
        try:
            vector = torch.as_tensor(np.asarray(direction, dtype=np.float32))
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"direction must be a [d_model] tensor, array or list, or a Probe; got "
                f"{type(direction).__name__}"
            ) from error
    if vector.shape != (width,):
        raise ValueError(
            f"direction has shape {list(vector.shape)} but the residual stream has d_model = "
            f"{width}; expected shape [{width}]"
        )
    if not torch.isfinite(vector).all():
        raise ValueError("direction holds NaN or infinite values")
    if normalize:
        norm = vector.norm()
        if norm == 0:
            raise ValueError("direction is all zeros: it cannot be normalised")
        vector = vector / norm
    return vector


def _positions(positions: Any) -> tuple[int, ...] | None:
    if positions is None:
        return None
    chosen = [positions] if isinstance(positions, numbers.Integral) else positions
    if isinstance(chosen, (str, bytes)) or not isinstance(chosen, Sequence) or not chosen:
        raise TypeError(f"positions must be None, an int or a list of ints, got {positions!r}")
    if any(isinstance(p, bool) or not isinstance(p, numbers.Integral) for p in chosen):
        raise TypeError(f"positions must hold ints, got {positions!r}")
    return tuple(int(p) for p in chosen)
