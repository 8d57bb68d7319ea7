"""Examples drawn uniformly at random from equal intervals of each feature's activations.

The draw keeps, per feature and interval, the ``m`` activations with the highest random
priority. A priority is a hash of the seed, the feature, the token's position and the token
ids of its window (``2 * context + 1`` tokens, -1 outside the document): it depends on the
token and its context only, not on the batch, the shard or the document's index, so a draw
over two shards merged equals the draw over both (:meth:`FeatureStats.merge` recomputes the
priorities of the examples it keeps from their windows).

With ``dedupe``, identical windows count once per interval: of equal windows, the copy with
the highest priority is kept (equal priorities: the earlier document), as for the top
examples. The counts still count every activation.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..analysis._streaming import TopState, batch_of, top_per_list
from ..analysis._window_keys import (
    batch_windows,
    later_copies,
    mix,
    shift_right,
    spread,
    window_keys,
)
from ..capture.reader import TextBatch

#: bits of a priority: float32 holds them exactly
_PRIORITY_BITS = 24


def token_keys(windows: torch.Tensor, positions: torch.Tensor, seed: int) -> torch.Tensor:
    """int64 ``[n]`` hash keys of tokens from the token ids of their windows ``[n, window]``
    (-1 outside the document), their positions ``[n]`` and ``seed``."""
    return mix(mix(spread(windows) + positions.long()) + seed)


def priorities(keys: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """float32 ``[n]`` priorities in ``[0, 1)`` of features ``[n]`` at tokens of ``keys``."""
    bits = shift_right(mix(keys ^ mix(features.long() + 1)), 64 - _PRIORITY_BITS)
    return bits.float() / 2**_PRIORITY_BITS


class IntervalSampler:
    """Per feature and interval of ``(0, max]``, a uniform random sample of its activations
    (the ``m`` with the highest priority), with their windows, and counts."""

    def __init__(
        self,
        maxima: torch.Tensor,
        n_intervals: int,
        m: int,
        context: int,
        seed: int,
        *,
        dedupe: bool = False,
    ) -> None:
        self.maxima, self.n_intervals, self.m = maxima, n_intervals, m
        n_lists = maxima.numel() * n_intervals
        self.state = TopState.empty(1, n_lists, m, 2 * context + 1)
        self.counts = torch.zeros(n_lists, dtype=torch.long)
        self.columns = torch.arange(n_lists) // n_intervals  # the feature of each list
        self.context, self.seed, self.dedupe = context, seed, dedupe

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
        windows = batch_windows(batch.input_ids, batch.lengths, self.context)
        keys = token_keys(windows, torch.arange(n_pos).repeat(n_batch), self.seed)
        priority = priorities(keys[row], feature)
        above = priority > self.state.threshold()[0, lists]
        lists, row, priority = lists[above], row[above], priority[above]
        copies = window_keys(windows) if self.dedupe else None
        if copies is not None:  # of equal windows in a list, the highest priority stays
            order = priority.argsort(descending=True, stable=True)
            again = later_copies(mix(copies[row[order]] ^ mix(lists[order] + 1)))
            first = torch.ones_like(again).scatter_(0, order, ~again)
            lists, row, priority = lists[first], row[first], priority[first]
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
        if copies is not None:
            chosen = replace(chosen, keys=copies[rows][None])
        self.state.absorb(chosen, self.m)
