"""The streaming kernels of :func:`~mi_widgets.top_activations`: per batch, the top ``k``
candidates of every neuron at once, merged into a running top ``k``; histogram counts come
from :mod:`mi_widgets.analysis.histograms`.

Everything is ``torch`` on whole ``[layer, ..., neuron]`` tensors: no loop over neurons or
tokens. Order everywhere: value descending, then document, then position ascending.

With de-duplication, identical windows (the same token ids at every offset, compared by
their int64 :func:`~mi_widgets.analysis._window_keys.window_keys`) count once per neuron:
the copy that ranks first in that order is kept (for repeated documents, the first in
corpus order), the later ones are never examples. Keeping the top ``k`` of distinct
windows batch by batch stays exact: a window among the top ``k`` distinct ones of the
whole corpus is among the top ``k`` distinct ones of the batch that holds its best copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from ._window_keys import batch_windows, later_copies, window_keys
from .histograms import batch_sparse_stats, batch_stats


@dataclass
class TopState:
    """Running top ``k`` of every neuron.

    ``values``, ``docs``, ``positions`` and ``slots`` are ``[layer, neuron, k]``, ordered;
    empty entries (fewer than ``k`` tokens seen) have value NaN and doc -1 and come last.
    The windows ``[layer, neuron, k, window]`` are stored unordered: entry ``j`` of a neuron
    has its window at ``slots[..., j]``, so an entry that stays in the top ``k`` never moves
    its window; a new entry takes the slot of one that dropped out.
    """

    values: torch.Tensor
    docs: torch.Tensor
    positions: torch.Tensor
    slots: torch.Tensor
    window_ids: torch.Tensor  # int32, -1 outside the document
    window_values: torch.Tensor  # NaN outside the document
    keys: torch.Tensor  # int64 [layer, neuron, k] window_keys of each entry's window

    @classmethod
    def empty(cls, n_layers: int, n_neurons: int, k: int, window: int) -> TopState:
        shape = (n_layers, n_neurons, k)
        return cls(
            values=torch.full(shape, float("nan")),
            docs=torch.full(shape, -1, dtype=torch.long),
            positions=torch.full(shape, -1, dtype=torch.long),
            slots=torch.arange(k).expand(shape).clone(),
            window_ids=torch.full((*shape, window), -1, dtype=torch.int32),
            window_values=torch.full((*shape, window), float("nan")),
            keys=torch.zeros(shape, dtype=torch.long),
        )

    @classmethod
    def ordered(
        cls,
        values: torch.Tensor,
        docs: torch.Tensor,
        positions: torch.Tensor,
        window_ids: torch.Tensor,
        window_values: torch.Tensor,
    ) -> TopState:
        """A state whose windows are stored in the order of its entries."""
        slots = torch.arange(values.shape[2]).expand(values.shape).clone()
        keys = window_keys(window_ids)
        return cls(values, docs, positions, slots, window_ids.int(), window_values, keys)

    def windows(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(window_ids, window_values)`` in the order of the entries."""
        index = self.slots[..., None].expand(-1, -1, -1, self.window_ids.shape[3])
        return self.window_ids.gather(2, index), self.window_values.gather(2, index)

    def threshold(self) -> torch.Tensor:
        """``[layer, neuron]``: the value a later activation must exceed to enter the top
        ``k`` (a tie loses to the earlier document); ``-inf`` while a neuron has room."""
        return self.values[..., -1].nan_to_num(nan=-torch.inf)

    def _order(self, values: torch.Tensor, keys: torch.Tensor | None, k: int) -> torch.Tensor:
        """Index ``[layer, neuron, k]`` into ``[self | later]`` of the top ``k`` of both.

        Both halves are ordered, and ``later``'s documents all come after ``self``'s: a
        stable sort of the concatenation by value keeps that order among equal values.
        Empty entries (NaN) sort as ``-inf``, below every found value. With ``later``'s
        window ``keys``, a found entry whose window ranks after an equal one goes last:
        ``self``'s own empty entries fill the top ``k`` before any such copy.
        """
        values = torch.cat([self.values, values], dim=2).nan_to_num(nan=-torch.inf)
        order = values.sort(dim=2, descending=True, stable=True).indices
        if keys is not None:
            copies = later_copies(torch.cat([self.keys, keys], dim=2).gather(2, order))
            copies &= values.gather(2, order) > -torch.inf  # empty entries are no copies
            order = order.gather(2, copies.byte().argsort(dim=2, stable=True))
        return order[..., :k]

    def merged(self, later: TopState, k: int, *, dedupe: bool = False) -> TopState:
        """The top ``k`` of ``self`` and ``later`` (whose documents all come after); with
        ``dedupe``, of distinct windows."""
        index = self._order(later.values, later.keys if dedupe else None, k)
        (my_ids, my_values), (their_ids, their_values) = self.windows(), later.windows()

        def take(mine: torch.Tensor, theirs: torch.Tensor) -> torch.Tensor:
            both = torch.cat([mine, theirs], dim=2)
            at = index if both.ndim == 3 else index[..., None].expand(*index.shape, both.shape[3])
            return both.gather(2, at)

        return TopState.ordered(
            take(self.values, later.values),
            take(self.docs, later.docs),
            take(self.positions, later.positions),
            take(my_ids, their_ids),
            take(my_values, their_values),
        )

    def absorb(self, batch: _Batch, k: int) -> None:
        """Merge a later batch's candidates in place; windows are cut from the batch only
        for the candidates that enter, into the slots of the entries they push out. With
        ``batch.keys`` (de-duplication), a window equal to a better-ranked one never enters
        and pushes the worse copy out."""
        index = self._order(batch.values, batch.keys, k)
        from_batch = index >= k
        # the old entries that stay; the others free their slots
        stays = torch.zeros(*index.shape[:2], k + 1, dtype=torch.bool)
        stays.scatter_(2, torch.where(from_batch, k, index), True)
        # per neuron, as many entries leave as enter: pair them in order
        freed = (~stays[..., :k]).nonzero(as_tuple=True)
        layer, neuron, entry = from_batch.nonzero(as_tuple=True)
        slots = self.slots.gather(2, index.clamp(max=k - 1))
        slots[layer, neuron, entry] = self.slots[freed]

        def take(mine: torch.Tensor, theirs: torch.Tensor) -> torch.Tensor:
            return torch.cat([mine, theirs], dim=2).gather(2, index)

        self.values = take(self.values, batch.values)
        self.docs = take(self.docs, batch.corpus_docs)
        self.positions = take(self.positions, batch.positions)
        if batch.keys is not None:
            self.keys = take(self.keys, batch.keys)
        self.slots = slots
        rows = batch.rows[layer, neuron, index[layer, neuron, entry] - k]
        ids, values = batch.windows(layer, neuron, rows)
        n_neurons, width = self.window_ids.shape[1], self.window_ids.shape[3]
        at = (layer * n_neurons + neuron) * k + slots[layer, neuron, entry]
        self.window_ids.view(-1, width).index_copy_(0, at, ids.int())
        self.window_values.view(-1, width).index_copy_(0, at, values)


def _sortable(values: torch.Tensor) -> torch.Tensor:
    """int64 keys ordered like the float32 ``values`` (``-0.0`` and ``0.0`` equal)."""
    bits = (values.float() + 0.0).view(torch.int32)  # + 0.0 turns -0.0 into 0.0
    return torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits).long()


def _top_rows_exact(values: torch.Tensor, rows: torch.Tensor, take: int) -> torch.Tensor:
    """``[n, take]``: of each of the ``n`` lists of candidate ``rows`` with their ``values``
    (``[n, width]``, ``-inf``: none), the rows of the ``take`` highest values, equal values
    by earlier row (unique keys: value, then row); in row order."""
    keys = (_sortable(values) << 32) | (2**31 - 1 - rows)
    return rows.gather(1, keys.topk(take, dim=1).indices).sort(dim=1).values


def _dense_top_rows(flat: torch.Tensor, k: int) -> torch.Tensor:
    """``[layer, neuron, min(k, rows)]``: the rows of the top ``k`` of every neuron of
    ``flat`` ``[layer, rows, neuron]`` (``-inf``: none), in row order: ``torch.topk`` over
    all rows."""
    n_rows = flat.shape[1]
    take = min(k, n_rows)
    best = flat.topk(min(k + 1, n_rows), dim=1)  # one more, to see ties at the k-th value
    rows = best.indices[:, :take].sort(dim=1).values.transpose(1, 2).contiguous()
    # where the k-th value equals the next one, rows tied with it were left out at random:
    # choose those neurons' rows by unique keys
    tied = best.values[:, take - 1] == best.values[:, min(take, n_rows - 1)]
    if take < n_rows and tied.any():
        layer, neuron = tied.nonzero(as_tuple=True)
        every = torch.arange(n_rows).expand(layer.numel(), -1)
        rows[layer, neuron] = _top_rows_exact(flat[layer, :, neuron], every, take)
    return rows


def _rows_above(
    acts: torch.Tensor, real: torch.Tensor | None, threshold: torch.Tensor, k: int
) -> torch.Tensor | None:
    """Like :func:`_dense_top_rows`, only among activations above ``threshold``
    ``[layer, neuron]``; row ``n_rows`` marks "none" where a neuron has fewer than ``k``.

    ``acts`` ``[layer, rows, neuron]`` may hold NaN (never above anything); ``real``
    ``[rows]`` is False at padding (``None``: no padding). Once a scan is under way few
    activations beat the running top ``k``: finding them is one comparison, much cheaper
    than a ``topk`` over every row. ``None`` when too many do (the first batch).
    """
    n_layers, n_rows, n_neurons = acts.shape
    n_lists = n_layers * n_neurons
    if int(threshold.isneginf().sum()) * 16 > n_lists:
        return None
    layer, row, neuron = (acts > threshold[:, None, :]).nonzero(as_tuple=True)
    if layer.numel() > n_lists * 4 * k:
        return None
    if real is not None:  # padding is never a candidate
        layer, row, neuron = (index[real[row]] for index in (layer, row, neuron))
    picks = top_per_list(layer * n_neurons + neuron, acts[layer, row, neuron], n_lists, k)
    rows = torch.cat([row, torch.tensor([n_rows])])[picks]  # n_rows: none
    return rows.view(n_layers, n_neurons, k)


def top_per_list(lists: torch.Tensor, values: torch.Tensor, n_lists: int, k: int) -> torch.Tensor:
    """``[n_lists, k]``: for each list, the indices of its ``k`` highest candidates (equal
    values: the earlier candidate), ascending; ``n`` (the number of candidates) where a list
    has fewer than ``k``.

    Candidates are given flat: list index and value ``[n]`` each, values not NaN; within a
    list, candidates come in row order (as ``nonzero`` lists them), so ascending indices are
    ascending rows. Sorts of the candidates only, no loop over lists; the value sort only for
    lists with more than ``k``.
    """
    n = lists.numel()
    order = lists.argsort(stable=True)
    lists = lists[order]
    sizes = torch.bincount(lists, minlength=n_lists)
    rank = torch.arange(n) - (sizes.cumsum(0) - sizes)[lists]  # in order of the candidates
    crowded = (sizes[lists] > k).nonzero().squeeze(1)
    if crowded.numel():  # rank those lists' candidates by value instead (stable: then order)
        by_value = values[order[crowded]].argsort(descending=True, stable=True)
        by_value = by_value[lists[crowded][by_value].argsort(stable=True)]
        rank[crowded[by_value]] = rank[crowded]  # the same ranks 0..size-1 per list
    keep = rank < k
    out = torch.full((n_lists, k), n, dtype=torch.long)
    out[lists[keep], rank[keep]] = order[keep]
    return out.sort(dim=1).values


@dataclass
class _Batch:
    """One padded batch and its best candidates of every neuron ``[layer, neuron, width]``
    (``width <= k``), in row order (so equal values are in document, position order).

    ``docs`` index the batch (-1: no candidate), ``rows`` the flattened ``batch * pos``
    axis; ``corpus_docs`` are the documents' corpus indices.
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
    columns: torch.Tensor | None = None  # the acts neuron of each list (None: the same)
    keys: torch.Tensor | None = None  # window_keys of the candidates (None: no de-duplication)

    def windows(
        self, layer: torch.Tensor, neuron: torch.Tensor, rows: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (-1 outside the document) and the neuron's activations (NaN outside)
        of the ``2 * context + 1`` tokens around each of ``rows``: both ``[n, window]``."""
        doc = rows // self.n_pos
        pos = rows - doc * self.n_pos
        # int32 flat indices where they fit (half the memory traffic of int64)
        small = torch.int32 if self.acts.numel() < 2**31 else torch.long
        offset = torch.arange(-self.context, self.context + 1, dtype=small)
        inside = (offset >= -pos[:, None]) & (offset < (self.lengths[doc] - pos)[:, None])
        n_rows, n_neurons = self.acts.shape[1:]
        at = (rows[:, None].to(small) + offset).clamp_(0, n_rows - 1)  # any row where outside
        ids = self.input_ids.index_select(0, at.view(-1)).view(at.shape).masked_fill_(~inside, -1)
        # flat indices into [layer, row, neuron], one gather
        column = neuron if self.columns is None else self.columns[neuron]
        at.mul_(n_neurons).add_((layer * n_rows * n_neurons + column).to(small)[:, None])
        values = self.acts.reshape(-1).index_select(0, at.view(-1)).view(at.shape)
        values.masked_fill_(~inside, float("nan"))
        return ids, values


def batch_top(
    acts: torch.Tensor,
    input_ids: torch.Tensor,
    lengths: torch.Tensor,
    k: int,
    context: int,
    doc_index: torch.Tensor | None = None,
    threshold: torch.Tensor | None = None,
    *,
    dedupe: bool = False,
) -> _Batch:
    """The top ``k`` candidates of every neuron in one padded batch (with ``dedupe``, of
    distinct windows: a later copy of a window ranks after the first, see the module).

    Args:
        acts: float32 ``[layer, batch, pos, neuron]`` activations (padding anywhere after
            each text's ``lengths``).
        input_ids: ``[batch, pos]`` token ids.
        lengths: ``[batch]`` real tokens per text.
        doc_index: ``[batch]`` corpus index of each text (default ``0..batch-1``).
        threshold: ``[layer, neuron]``: only activations above it are candidates (the
            running top ``k``'s :meth:`TopState.threshold`); ``None``: no bound.
    """
    n_layers, n_batch, n_pos, n_neurons = acts.shape
    n_rows = n_batch * n_pos
    real = (torch.arange(n_pos)[None] < lengths[:, None]).reshape(-1)  # [batch * pos]
    source = acts.reshape(n_layers, n_rows, n_neurons)
    keys = None
    if dedupe:
        keys = window_keys(batch_windows(input_ids, lengths, context))  # [batch * pos]
        source = _without_copies(source, keys, real)
    rows = None
    if threshold is not None:
        rows = _rows_above(source, None if bool(real.all()) else real, threshold, k)
    if rows is None:
        # NaN and padding never become examples, nor what cannot beat the threshold
        source = source.nan_to_num(nan=-torch.inf).masked_fill_(~real[None, :, None], -torch.inf)
        if threshold is not None:
            source.masked_fill_(source <= threshold[:, None, :], -torch.inf)
        rows = _dense_top_rows(source, k)
    none = rows == n_rows
    rows = rows.clamp(max=n_rows - 1)
    values = source.gather(1, rows.transpose(1, 2)).transpose(1, 2)
    values = values.masked_fill(none | (values == -torch.inf), float("nan"))
    out = batch_of(acts, input_ids, lengths, context, doc_index, rows, values)
    return out if keys is None else replace(out, keys=keys[rows])


def _without_copies(source: torch.Tensor, keys: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """``source`` ``[layer, rows, neuron]`` with NaN where a row's window (``keys``
    ``[rows]``) has a better copy for that neuron: a higher value, or an equal value at an
    earlier row. Unchanged (not copied) when the batch repeats no window."""
    keys = keys.masked_fill(~real, 0)
    _, group, sizes = keys.unique(return_inverse=True, return_counts=True)
    repeated = (real & (sizes[group] > 1)).nonzero().squeeze(1)  # rows of repeated windows
    if repeated.numel() == 0:
        return source
    part = source[:, repeated].nan_to_num(nan=-torch.inf)  # [layer, repeated, neuron]
    # unique ranks: value, then earlier row; the best of each group is its maximum
    rank = (_sortable(part) << 32) | (2**31 - 1 - repeated)[None, :, None]
    at = group[repeated][None, :, None].expand_as(rank)
    best = torch.full((rank.shape[0], sizes.numel(), rank.shape[2]), torch.iinfo(torch.long).min)
    best.scatter_reduce_(1, at, rank, reduce="amax")
    out = source.clone()
    out[:, repeated] = part.masked_fill(rank != best.gather(1, at), float("nan"))
    return out


def batch_of(
    acts: torch.Tensor,
    input_ids: torch.Tensor,
    lengths: torch.Tensor,
    context: int,
    doc_index: torch.Tensor | None,
    rows: torch.Tensor,
    values: torch.Tensor,
    columns: torch.Tensor | None = None,
) -> _Batch:
    """A :class:`_Batch` of chosen candidates: ``rows`` ``[layer, list, width]`` into the
    flattened ``batch * pos`` axis, ranked by ``values`` (NaN: no candidate); the windows
    show ``acts`` ``[layer, batch, pos, neuron]`` of neuron ``columns[list]`` (default:
    the list index)."""
    n_layers, n_batch, n_pos, n_neurons = acts.shape
    found = ~values.isnan()
    doc = torch.where(found, rows // n_pos, -1)
    doc_index = torch.arange(n_batch) if doc_index is None else doc_index
    return _Batch(
        acts=acts.reshape(n_layers, n_batch * n_pos, n_neurons),
        input_ids=input_ids.reshape(-1),
        lengths=lengths,
        n_pos=n_pos,
        context=context,
        values=values,
        docs=doc,
        corpus_docs=torch.where(found, doc_index[doc.clamp(min=0)], -1),
        positions=torch.where(found, rows % n_pos, -1),
        rows=rows,
        columns=columns,
    )


class Scan:
    """Every neuron's running top ``k`` (with windows), histogram counts, tokens above 0 and
    sum, over padded batches given in corpus order (:meth:`add`).

    With ``nonzero``, for sparse non-negative activations (autoencoder features): only
    activations above 0 become examples (a feature that fired fewer than ``k`` times keeps
    empty rows), the histogram counts only non-zero activations and ``n_firing`` the
    non-zero ones, all computed from the few entries above 0. With ``dedupe``, the top
    ``k`` holds distinct windows (see the module); histograms and counts count every token.
    """

    def __init__(
        self,
        k: int,
        context: int,
        edges: torch.Tensor,
        *,
        nonzero: bool = False,
        dedupe: bool = False,
    ) -> None:
        self.k, self.context, self.edges, self.nonzero = k, context, edges, nonzero
        self.dedupe = dedupe
        self.state: TopState | None = None
        self.counts = self.n_firing = self.sums = torch.zeros(0)
        self.n_tokens = 0

    def add(
        self,
        acts: torch.Tensor,
        input_ids: torch.Tensor,
        lengths: torch.Tensor,
        doc_index: torch.Tensor | None = None,
    ) -> None:
        """One batch: ``acts`` ``[layer, batch, pos, neuron]``, ``input_ids`` ``[batch, pos]``,
        ``lengths`` ``[batch]`` real tokens, ``doc_index`` ``[batch]`` corpus indices."""
        n_layers, _, n_pos, n_neurons = acts.shape
        if self.state is None:
            self.state = TopState.empty(n_layers, n_neurons, self.k, 2 * self.context + 1)
            self.counts = torch.zeros(
                (n_layers, n_neurons, self.edges.numel() - 1), dtype=torch.long
            )
            self.n_firing = torch.zeros((n_layers, n_neurons), dtype=torch.long)
            self.sums = torch.zeros((n_layers, n_neurons), dtype=torch.float64)
        threshold = self.state.threshold()
        if self.nonzero:  # zero is no activation: never an example
            threshold = threshold.clamp(min=0.0)
        top = batch_top(
            acts, input_ids, lengths, self.k, self.context, doc_index, threshold, dedupe=self.dedupe
        )
        self.state.absorb(top, self.k)
        in_text = (torch.arange(n_pos)[None] < lengths[:, None]).reshape(-1)
        real = None if bool(in_text.all()) else in_text
        stats = batch_sparse_stats if self.nonzero else batch_stats
        counts, firing, sums = stats(top.acts, real, self.edges)
        self.counts += counts
        self.n_firing += firing
        self.sums += sums
        self.n_tokens += int(lengths.sum())
