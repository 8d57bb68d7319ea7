"""Histogram counts of activations per neuron, batch by batch, with bins shared by every
neuron so that the counts of shards add up (:data:`POWERS_OF_TWO` read off the float bits,
any other edges by search). Whole ``[layer, tokens, neuron]`` tensors, no loop over neurons.
"""

from __future__ import annotations

import torch


def batch_histogram(acts: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """int64 ``[layer, neuron, bins]`` counts of ``acts`` ``[layer, tokens, neuron]``.

    Bin ``i`` holds ``edges[i] <= x < edges[i + 1]``; the first and last bins also hold
    what lies below or above the edges. One layer at a time (all its tokens and neurons at
    once), so the integer temporaries stay small enough for the CPU caches.
    """
    return torch.stack([_layer_histogram(layer, edges) for layer in acts])


def batch_stats(
    acts: torch.Tensor, real: torch.Tensor | None, edges: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Histogram counts ``[layer, neuron, bins]``, tokens > 0 ``[layer, neuron]`` and sums
    (float64) ``[layer, neuron]`` of ``acts`` ``[layer, rows, neuron]`` at the rows where
    ``real`` ``[rows]`` is True (``None``: all), layer by layer."""

    def one(layer: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = layer if real is None else layer[real]
        return _layer_histogram(x, edges), (x > 0).sum(0, dtype=torch.int32), x.sum(0).double()

    counts, firing, sums = zip(*map(one, acts), strict=True)
    return torch.stack(counts), torch.stack(firing), torch.stack(sums)


def batch_sparse_stats(
    acts: torch.Tensor, real: torch.Tensor | None, edges: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Like :func:`batch_stats` for mostly-zero ``acts``: histogram counts and counts of
    the non-zero activations only, from their entries."""

    def one(layer: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = layer if real is None else layer[real]
        rows, columns = x.nonzero(as_tuple=True)
        n_columns = x.shape[1]
        counts = sparse_histogram(x[rows, columns], columns, n_columns, edges)
        return counts, torch.bincount(columns, minlength=n_columns), x.sum(0).double()

    counts, firing, sums = zip(*map(one, acts), strict=True)
    return torch.stack(counts), torch.stack(firing), torch.stack(sums)


def _layer_histogram(acts: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """int64 ``[neuron, bins]`` counts of ``acts`` ``[tokens, neuron]``."""
    n_neurons, n_bins = acts.shape[1], edges.numel() - 1
    if torch.equal(edges, POWERS_OF_TWO):
        return _power_of_two_bins(acts)
    # searching the inner edges puts what lies outside into the end bins directly
    bins = torch.bucketize(acts, edges[1:-1], right=True, out_int32=True)
    flat = bins.add_(torch.arange(n_neurons, dtype=torch.int32) * n_bins).reshape(-1)
    return torch.bincount(flat, minlength=n_neurons * n_bins).reshape(n_neurons, n_bins)


#: ``-1024, -512, ..., -2**-10, 0, 2**-10, ..., 512, 1024``: bins read off the float bits.
POWERS_OF_TWO = torch.cat(
    [-(2.0 ** torch.arange(10, -11, -1)), torch.zeros(1), 2.0 ** torch.arange(-10, 11)]
).float()


def _power_of_two_keys(values: torch.Tensor) -> torch.Tensor:
    """int32 keys ``exponent + 256 * (value >= 0)`` in ``[0, 512)`` of float32 ``values``
    (any shape): :data:`_KEY_TO_BIN` maps a key to its bin among :data:`POWERS_OF_TWO`.

    A bin is a sign and an exponent, except that a negative power of two belongs with the
    smaller magnitudes (``-2**e`` is in ``[-2**e, -2**(e-1))``): negative floats are read
    one step towards zero (their bits minus one).
    """
    bits = (values.float() + 0.0).view(torch.int32)  # + 0.0 turns -0.0 into 0.0
    keys = bits >> 31  # -1 where negative
    keys.add_(bits).bitwise_right_shift_(23)  # sign-extended exponent of the float below
    return keys.add_(256)


def _power_of_two_bins(acts: torch.Tensor) -> torch.Tensor:
    """int64 ``[neuron, bins]`` counts of float32 ``acts`` ``[tokens, neuron]`` among
    :data:`POWERS_OF_TWO`, read off the float bits: the same as a search of the edges
    (``edges[i] <= x < edges[i + 1]``, ends clamped) at a fraction of its cost. The 512
    keys of every value are counted per neuron, then mapped to the bins."""
    n_neurons = acts.shape[1]
    keys = _power_of_two_keys(acts).add_(torch.arange(n_neurons, dtype=torch.int32) * 512)
    counts = torch.bincount(keys.view(-1), minlength=n_neurons * 512).view(n_neurons, 512)
    binned = torch.zeros(n_neurons, int(_KEY_TO_BIN.max()) + 1, dtype=torch.long)
    return binned.index_add_(1, _KEY_TO_BIN, counts)


def sparse_histogram(
    values: torch.Tensor, columns: torch.Tensor, n_columns: int, edges: torch.Tensor
) -> torch.Tensor:
    """int64 ``[column, bins]`` counts of ``values`` ``[n]``, each in column ``columns[n]``."""
    n_bins = edges.numel() - 1
    if torch.equal(edges, POWERS_OF_TWO):
        bins = _KEY_TO_BIN[_power_of_two_keys(values).long()]
    else:
        bins = torch.bucketize(values, edges[1:-1], right=True)
    flat = columns.long() * n_bins + bins
    return torch.bincount(flat, minlength=n_columns * n_bins).view(n_columns, n_bins)


def _key_to_bin() -> torch.Tensor:
    """The bin among :data:`POWERS_OF_TWO` of each of the 512 keys ``exponent + 256 * sign``."""
    half, low = 21, -10  # bins per sign; exponent of the smallest edge above 0
    key = torch.arange(512)
    exponent = key % 256 - 127  # of the value, or for negatives of the float just below
    above = (exponent - low + 1).clamp(0, half - 1)  # 0: below 2**low
    return torch.where(key < 256, half - 1 - above, half + above)


_KEY_TO_BIN = _key_to_bin()
