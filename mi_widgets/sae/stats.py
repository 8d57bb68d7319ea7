"""The passes of :func:`~mi_widgets.feature_stats` over a corpus, which fill a
:class:`~mi_widgets.sae.FeatureStats` (defined in :mod:`mi_widgets.sae.features`)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..analysis._streaming import Scan
from ..analysis.examples import index_tokens
from ..analysis.histograms import POWERS_OF_TWO
from ..capture.precision import on_device
from ..capture.reader import CorpusReader, TextBatch
from ..checks import positive_int
from .code_cache import CodeCache
from .directions import logit_effects, nearest
from .features import FeatureStats, LogitEffect
from .intervals import IntervalSampler
from .model import SparseAutoencoder
from .source import FeatureSource
from .training import check_hook

__all__ = ["FeatureSource", "FeatureStats", "LogitEffect", "feature_stats"]


@torch.no_grad()
def feature_stats(
    model: Any,
    tokenizer: Any,
    sae: SparseAutoencoder,
    corpus: Sequence[str],
    hook: str | None = None,
    *,
    k: int = 20,
    context: int = 8,
    n_intervals: int = 10,
    interval_examples: int = 5,
    n_logits: int = 10,
    n_nearest: int = 10,
    batch_size: int = 16,
    max_length: int | None = None,
    truncate: bool = True,
    seed: int = 0,
    cache_bytes: int = 512 * 2**20,
    interval_max: Any = None,
    dedupe: bool = True,
    progress: bool = True,
) -> FeatureStats:
    """Dashboard data of every feature of ``sae`` over ``corpus``, in two streaming passes.

    Pass 1 keeps every feature's top ``k`` examples (with ``context`` tokens each side), a
    histogram of its non-zero activations (power-of-two bins) and its density; pass 2 draws
    ``interval_examples`` examples uniformly at random from each of ``n_intervals`` equal
    intervals of ``(0, max]`` (``max`` from pass 1; the "quantile groups" of sae_vis and
    SAEDashboard are these equal intervals too), with the count of activations in each.
    With ``interval_max`` given, both run in one pass. All features at once, batched on
    torch; memory is bounded by features × (k + intervals × examples) × window, whatever
    the corpus length.

    Logit effects: each decoder direction through the model's final norm and unembedding,
    for sites as wide as the residual stream. The final norm's per-channel weight (and, for
    LayerNorm, the centring) is applied; its division by the residual's scale is left out:
    that scale is the same for every vocabulary token, so it changes no ranking. Empty
    (``[feature, 0]``) for sites inside the MLP or models without a linear unembedding (BERT).

    Args:
        model, tokenizer: a model :func:`~mi_widgets.trace` supports and its tokenizer.
        sae: the autoencoder; ``hook`` defaults to ``sae.hook``.
        corpus: a list of texts (read twice, once with ``interval_max``).
        n_logits, n_nearest: tokens per logit table, neighbours per feature.
        seed: the random draw of interval examples.
        cache_bytes: pass 1 keeps the non-zero features of the texts it read, up to this
            many bytes, so that pass 2 need not run the model on them again; texts past it
            are run again.
        interval_max: float ``[feature]`` the top of each feature's intervals instead of its
            maximum on ``corpus`` (activations above it count in the last interval): give
            every shard of a corpus the maximum over all shards, and their statistics merge
            into those of the whole corpus (:meth:`FeatureStats.merge`).
        dedupe: count identical windows (the same ``2 * context + 1`` token ids, e.g. from
            repeated documents) once among a feature's top examples and in each interval's
            draw: the best-ranked copy is kept (the higher activation, or priority; equal
            ones: the earlier document, so of repeated documents the first in corpus
            order). ``False``: every copy may be drawn. Counts and histograms count every
            token either way.
        progress: ``tqdm.auto`` bars of the texts the model runs on: ``feature_stats 1/2``,
            then ``feature_stats 2/2`` only for the texts past ``cache_bytes`` (its label
            says how many were kept from pass 1); no second bar when pass 1 kept them all.
            One bar ``feature_stats`` with ``interval_max``.
    """
    hook = check_hook(model, sae, hook)
    if isinstance(corpus, (str, bytes)) or not isinstance(corpus, Sequence):
        raise TypeError(
            f"corpus must be a list of texts (feature_stats reads it twice), "
            f"got {type(corpus).__name__}"
        )
    for name, value in (("k", k), ("n_intervals", n_intervals), ("batch_size", batch_size)):
        positive_int(value, name)
    positive_int(interval_examples, "interval_examples")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if not isinstance(dedupe, bool):
        raise TypeError(f"dedupe must be True or False, got {dedupe!r}")
    reader = CorpusReader(model, tokenizer, max_length)
    sae = on_device(sae, torch.device("cpu")).eval()  # where the reader brings activations

    def sampler(maxima: torch.Tensor) -> IntervalSampler:
        return IntervalSampler(
            maxima, n_intervals, interval_examples, context, int(seed), dedupe=dedupe
        )

    given = None if interval_max is None else _interval_max(interval_max, sae.n_features)
    draw = None if given is None else sampler(given)
    scan = Scan(k, context, POWERS_OF_TWO, nonzero=True, dedupe=dedupe)
    cache = CodeCache(0 if draw else cache_bytes, sae.n_features)
    padded = _Padder()
    label = _label(progress, 1, draw is None)
    for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=label):
        x = reader.read(batch.input_ids, batch.mask, [hook])[0]
        codes = sae.encode(x[batch.mask.bool()])  # [tokens, feature], padding left out
        cache.keep(batch, codes, reader.n_docs)
        acts = padded(codes, batch)
        scan.add(acts, batch.input_ids, batch.lengths, batch.doc_index)
        if draw is not None:
            draw.add(acts, batch)
    n_docs = reader.n_docs
    if n_docs == 0:
        raise ValueError("corpus is empty: give at least one text")
    if scan.state is None:
        raise ValueError(f"corpus has {n_docs} texts but none of them gave any token")
    maxima = scan.state.values[0, :, 0].nan_to_num(nan=0.0).clamp(min=0.0)
    if draw is None:
        draw = sampler(maxima)
        for batch, codes in cache.batches():  # pass 2 reads what pass 1 kept, then the rest
            draw.add(padded(codes, batch), batch)
        rest = corpus[cache.n_docs :]
        label = _label(progress, 2) if len(rest) else None  # all kept: no model run, no bar
        if label and cache.n_docs:
            label += f" ({cache.n_docs} texts kept from pass 1)"
        for batch in reader.stream(rest, batch_size, truncate=truncate, progress=label):
            batch = TextBatch(batch.input_ids, batch.mask, batch.doc_index + cache.n_docs)
            x = reader.read(batch.input_ids, batch.mask, [hook])[0]
            draw.add(padded(sae.encode(x[batch.mask.bool()]), batch), batch)
    top_ids, top_values = scan.state.windows()
    interval_ids, interval_values = draw.state.windows()
    effects = logit_effects(model, sae, hook, n_logits)
    nearest_features, cosine = nearest(sae, n_nearest)
    shape = (sae.n_features, n_intervals, interval_examples)
    window = 2 * context + 1
    vocab_ids, indices = index_tokens(
        top_ids[0], interval_ids[0].reshape(*shape, window), effects[0], effects[2]
    )
    return FeatureStats(
        hook=hook,
        values=scan.state.values[0].numpy(),
        docs=scan.state.docs[0].numpy(),
        positions=scan.state.positions[0].numpy(),
        window_tokens=indices[0],
        window_values=top_values[0].numpy(),
        interval_edges=(draw.maxima[:, None] * torch.linspace(0, 1, n_intervals + 1)).numpy(),
        interval_counts=draw.counts.view(sae.n_features, n_intervals).numpy(),
        interval_docs=draw.state.docs[0].reshape(shape).numpy(),
        interval_positions=draw.state.positions[0].reshape(shape).numpy(),
        interval_window_tokens=indices[1],
        interval_window_values=interval_values[0].reshape(*shape, window).numpy(),
        vocab=reader.decode(vocab_ids),
        vocab_ids=vocab_ids,
        edges=POWERS_OF_TWO.numpy().copy(),
        counts=scan.counts[0].numpy(),
        n_firing=scan.n_firing[0].numpy(),
        sums=scan.sums[0].numpy(),
        logit_top=indices[2],
        logit_top_values=effects[1].numpy(),
        logit_bottom=indices[3],
        logit_bottom_values=effects[3].numpy(),
        nearest=nearest_features.numpy(),
        nearest_cosine=cosine.numpy(),
        n_tokens=scan.n_tokens,
        n_docs=n_docs,
        source=f"{reader.name} {hook} on {scan.n_tokens} tokens in {n_docs} documents",
        seed=int(seed),
        dedupe=dedupe,
        origin=FeatureSource(model, tokenizer, sae, hook),
    )


def _interval_max(interval_max: Any, n_features: int) -> torch.Tensor:
    """``interval_max`` as float32 ``[feature]``, checked: finite, >= 0."""
    maxima = np.asarray(interval_max, dtype=np.float32)
    if maxima.shape != (n_features,) or not np.all(np.isfinite(maxima) & (maxima >= 0)):
        raise ValueError(
            f"interval_max must hold one finite value >= 0 per feature, shape ({n_features},); "
            f"got shape {maxima.shape}"
            + ("" if maxima.shape != (n_features,) else " with negative or non-finite values")
        )
    return torch.from_numpy(maxima.copy())


def _label(progress: bool, n: int, two_passes: bool = True) -> str | None:
    if not progress:
        return None
    return f"feature_stats {n}/2" if two_passes else "feature_stats"


class _Padder:
    """Features of the real tokens laid out ``[1, batch, pos, feature]`` with 0 at padding,
    in one buffer reused from batch to batch (valid until the next call)."""

    def __init__(self) -> None:
        self.buffer = torch.empty(0)

    def __call__(self, codes: torch.Tensor, batch: TextBatch) -> torch.Tensor:
        shape = (*batch.mask.shape, codes.shape[1])
        size = shape[0] * shape[1] * shape[2]
        if self.buffer.numel() < size:
            self.buffer = torch.empty(size)
        out = self.buffer[:size].view(shape).zero_()
        out[batch.mask.bool()] = codes
        return out[None]
