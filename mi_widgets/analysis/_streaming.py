"""The streaming kernels of :func:`~mi_widgets.top_activations`: per batch, the top ``k``
candidates of every neuron at once, merged into a running top ``k``, and histogram counts.

Everything is ``torch`` on whole ``[layer, ..., neuron]`` tensors: no loop over neurons or
tokens. Order everywhere: value descending, then document, then position ascending.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class _State:
    """Running top ``k`` of every neuron, torch tensors ``[layer, neuron, k(, window)]``."""

    values: torch.Tensor
    docs: torch.Tensor
    positions: torch.Tensor
    window_ids: torch.Tensor
    window_values: torch.Tensor

    @classmethod
    def empty(cls, n_layers: int, n_neurons: int, k: int, window: int) -> _State:
        shape = (n_layers, n_neurons, k)
        return cls(
            values=torch.full(shape, float("nan")),
            docs=torch.full(shape, -1, dtype=torch.long),
            positions=torch.full(shape, -1, dtype=torch.long),
            window_ids=torch.full((*shape, window), -1, dtype=torch.long),
            window_values=torch.full((*shape, window), float("nan")),
        )

    def _order(self, values: torch.Tensor, docs: torch.Tensor, k: int) -> torch.Tensor:
        """Index ``[layer, neuron, k]`` into ``[self | later]`` of the top ``k`` of both.

        Both halves are ordered (value desc, doc, position) with empty rows (doc -1) last,
        and ``later``'s documents all come after ``self``'s: a stable sort of the
        concatenation by value keeps that order among equal values.
        """
        values = torch.cat([self.values, values], dim=2)
        found = torch.cat([self.docs, docs], dim=2) >= 0
        index = values.nan_to_num(nan=-torch.inf).sort(dim=2, descending=True, stable=True).indices
        # then empty rows last, keeping the value order among found ones
        empty_last = (~found.gather(2, index)).byte().sort(dim=2, stable=True).indices
        return index.gather(2, empty_last)[..., :k]

    def merged(self, later: _State, k: int) -> _State:
        """The top ``k`` of ``self`` and ``later`` (whose documents all come after)."""
        index = self._order(later.values, later.docs, k)

        def take(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            both = torch.cat([a, b], dim=2)
            if both.ndim == 3:
                return both.gather(2, index)
            return both.gather(2, index[..., None].expand(*index.shape, both.shape[3]))

        return _State(
            values=take(self.values, later.values),
            docs=take(self.docs, later.docs),
            positions=take(self.positions, later.positions),
            window_ids=take(self.window_ids, later.window_ids),
            window_values=take(self.window_values, later.window_values),
        )

    def absorbed(self, batch: _Batch, k: int) -> _State:
        """The top ``k`` of ``self`` and a later batch's candidates; windows are cut from
        the batch only for the candidates that enter (few, once the scan is under way)."""
        index = self._order(batch.values, batch.docs, k)
        kept = index.clamp(max=k - 1)  # rows that come from the batch are replaced below
        width = self.window_ids.shape[3]
        state = _State(
            values=torch.cat([self.values, batch.values], dim=2).gather(2, index),
            docs=torch.cat([self.docs, batch.corpus_docs], dim=2).gather(2, index),
            positions=torch.cat([self.positions, batch.positions], dim=2).gather(2, index),
            window_ids=self.window_ids.gather(2, kept[..., None].expand(-1, -1, -1, width)),
            window_values=self.window_values.gather(2, kept[..., None].expand(-1, -1, -1, width)),
        )
        layer, neuron, slot = (index >= k).nonzero(as_tuple=True)
        rank = index[layer, neuron, slot] - k
        ids, values = batch.windows(layer, neuron, batch.rows[layer, neuron, rank])
        state.window_ids[layer, neuron, slot] = ids
        state.window_values[layer, neuron, slot] = values
        return state


def _sortable(values: torch.Tensor) -> torch.Tensor:
    """int64 keys ordered like the float32 ``values`` (``-0.0`` and ``0.0`` equal)."""
    bits = (values.float() + 0.0).view(torch.int32)  # + 0.0 turns -0.0 into 0.0
    return torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits).long()


def _by_value_then_row(values: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``rows`` ``[layer, k, neuron]`` reordered by value (descending), then row (ascending)."""
    by_row = rows.sort(dim=1).indices
    values, rows = values.gather(1, by_row), rows.gather(1, by_row)
    return rows.gather(1, values.sort(dim=1, descending=True, stable=True).indices)


@dataclass
class _Batch:
    """One padded batch and its top ``k`` candidates of every neuron ``[layer, neuron, k]``.

    ``docs`` index the batch (-1: no candidate, e.g. fewer than ``k`` tokens), ``rows`` the
    flattened ``batch * pos`` axis; ``corpus_docs`` are the documents' corpus indices.
    """

    acts: torch.Tensor  # [layer, batch * pos, neuron]
    input_ids: torch.Tensor  # [batch * pos]
    lengths: torch.Tensor  # [batch]
    n_pos: int
    context: int
    values: torch.Tensor
    docs: torch.Tensor
    corpus_docs: torch.Tensor
    positions: torch.Tensor
    rows: torch.Tensor

    def windows(
        self, layer: torch.Tensor, neuron: torch.Tensor, rows: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (-1 outside the document) and the neuron's activations (NaN outside)
        of the ``2 * context + 1`` tokens around each of ``rows``: both ``[n, window]``."""
        doc, pos = rows // self.n_pos, rows % self.n_pos
        around = pos[:, None] + torch.arange(-self.context, self.context + 1)
        inside = (around >= 0) & (around < self.lengths[doc][:, None])
        at = doc[:, None] * self.n_pos + around.clamp(0, self.n_pos - 1)
        ids = torch.where(inside, self.input_ids[at], -1)
        values = self.acts[layer[:, None], at, neuron[:, None]].masked_fill(~inside, float("nan"))
        return ids, values


def batch_top(
    acts: torch.Tensor,
    input_ids: torch.Tensor,
    lengths: torch.Tensor,
    k: int,
    context: int,
    doc_index: torch.Tensor | None = None,
) -> _Batch:
    """The top ``k`` candidates of every neuron in one padded batch.

    Args:
        acts: float32 ``[layer, batch, pos, neuron]`` activations (padding anywhere after
            each text's ``lengths``).
        input_ids: ``[batch, pos]`` token ids.
        lengths: ``[batch]`` real tokens per text.
        doc_index: ``[batch]`` corpus index of each text (default ``0..batch-1``).
    """
    n_layers, n_batch, n_pos, n_neurons = acts.shape
    n_rows = n_batch * n_pos
    real = (torch.arange(n_pos)[None] < lengths[:, None]).reshape(-1)  # [batch * pos]
    # NaN and padding never become examples
    flat = acts.reshape(n_layers, n_rows, n_neurons).nan_to_num(nan=-torch.inf)
    flat.masked_fill_(~real[None, :, None], -torch.inf)
    take = min(k, n_rows)
    best = flat.topk(min(k + 1, n_rows), dim=1)  # one more, to see ties at the k-th value
    rows = _by_value_then_row(best.values[:, :take], best.indices[:, :take])
    # where the k-th value equals the next one, rows tied with it were left out at random:
    # rank those neurons by unique keys, the value then the earlier (document, position)
    tied = best.values[:, take - 1] == best.values[:, min(take, n_rows - 1)]
    if take < n_rows and tied.any():
        layer_index, neuron_index = tied.nonzero(as_tuple=True)
        columns = flat[layer_index, :, neuron_index]  # [tied, rows]
        rank = 2**31 - 1 - torch.arange(n_rows)
        keys = (_sortable(columns) << 32) | rank
        rows[layer_index, :, neuron_index] = keys.topk(take, dim=1).indices
    values = flat.gather(1, rows)
    found = values > -torch.inf

    def pad(tensor: torch.Tensor, fill: float) -> torch.Tensor:
        """``[layer, neuron, k]``: neuron axis second, padded up to ``k`` rows."""
        tensor = tensor.transpose(1, 2)
        shape = (n_layers, n_neurons, k - take)
        return torch.cat([tensor, torch.full(shape, fill, dtype=tensor.dtype)], dim=2)

    doc = torch.where(found, rows // n_pos, -1)
    doc_index = torch.arange(n_batch) if doc_index is None else doc_index
    return _Batch(
        acts=acts.reshape(n_layers, n_rows, n_neurons),
        input_ids=input_ids.reshape(-1),
        lengths=lengths,
        n_pos=n_pos,
        context=context,
        values=pad(values.masked_fill(~found, float("nan")), float("nan")),
        docs=pad(doc, -1),
        corpus_docs=pad(torch.where(found, doc_index[doc.clamp(min=0)], -1), -1),
        positions=pad(torch.where(found, rows % n_pos, -1), -1),
        rows=pad(rows, 0),
    )


def batch_histogram(acts: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """int64 ``[layer, neuron, bins]`` counts of ``acts`` ``[layer, tokens, neuron]``.

    Bin ``i`` holds ``edges[i] <= x < edges[i + 1]``; the first and last bins also hold
    what lies below or above the edges. One layer at a time (all its tokens and neurons at
    once), so the integer temporaries stay small enough for the CPU caches.
    """
    return torch.stack([_layer_histogram(layer, edges) for layer in acts])


def batch_stats(
    acts: torch.Tensor, edges: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Histogram counts ``[layer, neuron, bins]``, tokens > 0 ``[layer, neuron]`` and sums
    (float64) ``[layer, neuron]`` of ``acts`` ``[layer, tokens, neuron]``, layer by layer."""
    counts, firing, sums = zip(
        *((_layer_histogram(x, edges), (x > 0).sum(0), x.sum(0).double()) for x in acts),
        strict=True,
    )
    return torch.stack(counts), torch.stack(firing), torch.stack(sums)


def _layer_histogram(acts: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """int64 ``[neuron, bins]`` counts of ``acts`` ``[tokens, neuron]``."""
    n_neurons, n_bins = acts.shape[1], edges.numel() - 1
    if torch.equal(edges, POWERS_OF_TWO):
        bins = _power_of_two_bins(acts)
    else:  # searching the inner edges puts what lies outside into the end bins directly
        bins = torch.bucketize(acts, edges[1:-1], right=True, out_int32=True)
    flat = bins.add_(torch.arange(n_neurons, dtype=torch.int32) * n_bins).reshape(-1)
    return torch.bincount(flat, minlength=n_neurons * n_bins).reshape(n_neurons, n_bins)


#: ``-1024, -512, ..., -2**-10, 0, 2**-10, ..., 512, 1024``: bins read off the float bits.
POWERS_OF_TWO = torch.cat(
    [-(2.0 ** torch.arange(10, -11, -1)), torch.zeros(1), 2.0 ** torch.arange(-10, 11)]
).float()


def _power_of_two_bins(acts: torch.Tensor) -> torch.Tensor:
    """The bin of each float32 value among :data:`POWERS_OF_TWO` from its exponent bits:
    the same as a search of the edges (``edges[i] <= x < edges[i + 1]``, ends clamped), in
    a few integer operations (2.5x faster than ``bucketize`` on one core)."""
    half, low = 21, -10  # bins per sign; exponent of the smallest edge above 0
    bits = acts.contiguous().view(torch.int32)
    magnitude = bits & 0x7FFFFFFF
    negative = (bits < 0) & (magnitude > 0)  # -0.0 counts as 0
    # a negative x lies in [-2^(e+1), -2^e) when |x| is in (2^e, 2^(e+1)]: the exponent of
    # the float just below |x|
    exponent = (magnitude - negative.int()) >> 23  # biased by 127
    above = exponent.sub_(127 + low - 1).clamp_(0, half - 1)  # 0: below 2^low
    return torch.where(negative, half - 1 - above, half + above)
