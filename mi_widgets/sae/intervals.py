"""Examples drawn uniformly at random from equal intervals of each feature's activations.

The draw keeps, per feature and interval, the ``m`` activations with the highest random
priority. A priority is a hash of the seed, the feature, the token's position and the token
ids of its window (``2 * context + 1`` tokens, -1 outside the document): it depends on the
token and its context only, not on the batch, the shard or the document's index, so a draw
over two shards merged equals the draw over both (:meth:`FeatureStats.merge` recomputes the
priorities of the examples it keeps from their windows).
"""

from __future__ import annotations

import torch

from ..analysis._streaming import TopState, batch_of, top_per_list
from ..capture.reader import TextBatch

#: splitmix64's multipliers, as signed int64
_MULTIPLIERS = (0xBF58476D1CE4E5B9 - 2**64, 0x94D049BB133111EB - 2**64)
#: bits of a priority: float32 holds them exactly
_PRIORITY_BITS = 24


def _shift_right(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Logical right shift of int64 ``x`` (torch's ``>>`` copies the sign bit)."""
    return (x >> bits) & ((1 << (64 - bits)) - 1)


def _mix(x: torch.Tensor) -> torch.Tensor:
    """splitmix64's finaliser on int64 (wrapping arithmetic): a well-spread 64-bit hash."""
    x = x ^ _shift_right(x, 30)
    x = x * _MULTIPLIERS[0]
    x = x ^ _shift_right(x, 27)
    x = x * _MULTIPLIERS[1]
    return x ^ _shift_right(x, 31)


def token_keys(windows: torch.Tensor, positions: torch.Tensor, seed: int) -> torch.Tensor:
    """int64 ``[n]`` hash keys of tokens from the token ids of their windows ``[n, window]``
    (-1 outside the document), their positions ``[n]`` and ``seed``."""
    width = windows.shape[1]
    spread = _mix(windows.long() * width + torch.arange(width)).sum(1)  # wraps: a hash
    return _mix(_mix(spread + positions.long()) + seed)


def priorities(keys: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """float32 ``[n]`` priorities in ``[0, 1)`` of features ``[n]`` at tokens of ``keys``."""
    bits = _shift_right(_mix(keys ^ _mix(features.long() + 1)), 64 - _PRIORITY_BITS)
    return bits.float() / 2**_PRIORITY_BITS


def batch_windows(batch: TextBatch, context: int) -> torch.Tensor:
    """int64 ``[batch * pos, 2 * context + 1]`` token ids around every token (-1 outside)."""
    ids = batch.input_ids.long().masked_fill(~batch.mask.bool(), -1)
    padded = torch.nn.functional.pad(ids, (context, context), value=-1)
    return padded.unfold(1, 2 * context + 1, 1).reshape(ids.numel(), -1)


class IntervalSampler:
    """Per feature and interval of ``(0, max]``, a uniform random sample of its activations
    (the ``m`` with the highest priority), with their windows, and counts."""

    def __init__(
        self, maxima: torch.Tensor, n_intervals: int, m: int, context: int, seed: int
    ) -> None:
        self.maxima, self.n_intervals, self.m = maxima, n_intervals, m
        n_lists = maxima.numel() * n_intervals
        self.state = TopState.empty(1, n_lists, m, 2 * context + 1)
        self.counts = torch.zeros(n_lists, dtype=torch.long)
        self.columns = torch.arange(n_lists) // n_intervals  # the feature of each list
        self.context, self.seed = context, seed

    def add(self, acts: torch.Tensor, batch: TextBatch) -> None:
        """One batch of features ``[1, batch, pos, feature]``, in corpus order."""
        _, n_batch, n_pos, n_features = acts.shape
        flat = acts.reshape(n_batch * n_pos, n_features)
        real = batch.mask.reshape(-1).bool()
        row, feature = (flat > 0).nonzero(as_tuple=True)  # by row, then feature
        keep = real[row]
        row, feature = row[keep], feature[keep]
        value = flat[row, feature]
        scaled = value / self.maxima[feature] * self.n_intervals
        interval = (scaled.ceil().long() - 1).clamp(0, self.n_intervals - 1)
        lists = feature * self.n_intervals + interval
        self.counts += torch.bincount(lists, minlength=self.counts.numel())
        keys = token_keys(
            batch_windows(batch, self.context), torch.arange(n_pos).repeat(n_batch), self.seed
        )
        priority = priorities(keys[row], feature)
        above = priority > self.state.threshold()[0, lists]
        lists, row, priority = lists[above], row[above], priority[above]
        picks = top_per_list(lists, priority, self.counts.numel(), self.m)
        none = picks == lists.numel()
        rows = torch.cat([row, torch.zeros(1, dtype=torch.long)])[picks]
        values = torch.cat([priority, torch.zeros(1)])[picks].masked_fill(none, float("nan"))
        chosen = batch_of(
            acts,
            batch.input_ids,
            batch.lengths,
            self.context,
            batch.doc_index,
            rows[None],
            values[None],
            self.columns,
        )
        self.state.absorb(chosen, self.m)
