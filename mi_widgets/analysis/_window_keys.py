"""int64 hash keys of token windows, all on torch: equal windows (the same token ids at every
offset, -1 outside the document) get equal keys, different ones differ but with probability
about ``2**-64`` per pair. Used to recognise repeated contexts and to draw reproducible
random samples."""

from __future__ import annotations

import torch

#: splitmix64's multipliers, as signed int64
_MULTIPLIERS = (0xBF58476D1CE4E5B9 - 2**64, 0x94D049BB133111EB - 2**64)


def shift_right(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Logical right shift of int64 ``x`` (torch's ``>>`` copies the sign bit)."""
    return (x >> bits) & ((1 << (64 - bits)) - 1)


def mix(x: torch.Tensor) -> torch.Tensor:
    """splitmix64's finaliser on int64 (wrapping arithmetic): a well-spread 64-bit hash."""
    x = x ^ shift_right(x, 30)
    x = x * _MULTIPLIERS[0]
    x = x ^ shift_right(x, 27)
    x = x * _MULTIPLIERS[1]
    return x ^ shift_right(x, 31)


def spread(windows: torch.Tensor) -> torch.Tensor:
    """int64 ``[...]``: the sum of the hashed (offset, token id) pairs of ``windows``
    ``[..., window]`` (wrapping: a hash of the whole window)."""
    width = windows.shape[-1]
    return mix(windows.long() * width + torch.arange(width)).sum(-1)


def window_keys(windows: torch.Tensor) -> torch.Tensor:
    """int64 ``[...]`` keys of token windows ``[..., window]``: equal exactly for equal windows."""
    return mix(spread(windows) ^ 0x5DEECE66D)


def batch_windows(input_ids: torch.Tensor, lengths: torch.Tensor, context: int) -> torch.Tensor:
    """int64 ``[batch * pos, 2 * context + 1]`` token ids around every token of the padded
    ``input_ids`` ``[batch, pos]`` (-1 outside each text's first ``lengths`` tokens)."""
    inside = torch.arange(input_ids.shape[1])[None] < lengths[:, None]
    ids = input_ids.long().masked_fill(~inside, -1)
    padded = torch.nn.functional.pad(ids, (context, context), value=-1)
    return padded.unfold(1, 2 * context + 1, 1).reshape(ids.numel(), -1)


def later_copies(keys: torch.Tensor) -> torch.Tensor:
    """bool, the shape of ``keys`` ``[..., n]``: True where an earlier entry along the last
    axis has the same key (entries given in rank order: the first copy is the one kept)."""
    by_key = keys.sort(dim=-1, stable=True)  # equal keys together, in rank order
    repeated = by_key.values[..., 1:] == by_key.values[..., :-1]
    out = torch.zeros_like(keys, dtype=torch.bool)
    return out.scatter_(-1, by_key.indices[..., 1:], repeated)
