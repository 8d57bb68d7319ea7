"""The passes of :func:`~mi_widgets.feature_stats` over a corpus, which fill a
:class:`~mi_widgets.sae.FeatureStats` (defined in :mod:`mi_widgets.sae.features`)."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast, overload

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
from .source import FeatureSource
from .sparse import SparseCoder

__all__ = ["FeatureSource", "FeatureStats", "LogitEffect", "feature_stats"]


@overload
def feature_stats(
    model: Any,
    tokenizer: Any,
    sae: SparseCoder,
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
) -> FeatureStats: ...


@overload
def feature_stats(
    model: Any,
    tokenizer: Any,
    sae: Iterable[SparseCoder] | Mapping[int, SparseCoder],
    corpus: Sequence[str],
    hook: None = None,
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
) -> dict[int, FeatureStats]: ...


@torch.no_grad()
def feature_stats(
    model: Any,
    tokenizer: Any,
    sae: SparseCoder | Iterable[SparseCoder] | Mapping[int, SparseCoder],
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
) -> FeatureStats | dict[int, FeatureStats]:
    """Dashboard data of every feature of ``sae`` over ``corpus``, in two streaming passes.

    ``sae`` is a :class:`~mi_widgets.SparseAutoencoder`, a :class:`~mi_widgets.Transcoder`
    (its features read the MLP input ``blocks.{layer}.ln2.hook_normalized``, its decoder
    writes the MLP output), or a set of transcoders (a
    :class:`~mi_widgets.circuits.TranscoderSet` or a list, one per layer): then the result is
    a dict layer → :class:`FeatureStats`, what :class:`~mi_widgets.GraphView` takes as
    ``stats``::

        transcoders = mw.demo_transcoders()
        stats = mw.feature_stats(model, tokenizer, transcoders, texts)   # {0: ..., 1: ...}
        view = mw.GraphView(mw.attribute(model, tokenizer, prompt, transcoders), stats=stats)

    Pass 1 keeps every feature's top ``k`` examples (with ``context`` tokens each side), a
    histogram of its non-zero activations (power-of-two bins) and its density; pass 2 draws
    ``interval_examples`` examples uniformly at random from each of ``n_intervals`` equal
    intervals of ``(0, max]`` (``max`` from pass 1; the "quantile groups" of sae_vis and
    SAEDashboard are these equal intervals too), with the count of activations in each.
    With ``interval_max`` given, both run in one pass. All features at once, batched on
    torch; memory is bounded by features × (k + intervals × examples) × window, whatever
    the corpus length.

    Logit effects: each decoder direction through the model's final norm and unembedding,
    for decoders that write sites as wide as the residual stream (an autoencoder's own site,
    a transcoder's MLP output). The final norm's per-channel weight (and, for
    LayerNorm, the centring) is applied; its division by the residual's scale is left out:
    that scale is the same for every vocabulary token, so it changes no ranking. Empty
    (``[feature, 0]``) for sites inside the MLP or models without a linear unembedding (BERT).

    Args:
        model, tokenizer: a model :func:`~mi_widgets.trace` supports and its tokenizer.
        sae: the autoencoder, transcoder or set of transcoders; ``hook`` (the site read)
            defaults to ``sae.hook`` for an autoencoder, and must be left out for transcoders.
        corpus: a list of texts (read twice, once with ``interval_max``).
        n_logits, n_nearest: tokens per logit table, neighbours per feature.
        seed: the random draw of interval examples.
        cache_bytes: pass 1 keeps the non-zero features of the texts it read, up to this
            many bytes, so that pass 2 need not run the model on them again; texts past it
            are run again.
        interval_max: float ``[feature]`` the top of each feature's intervals instead of its
            maximum on ``corpus`` (activations above it count in the last interval): give
            every shard of a corpus the maximum over all shards, and their statistics merge
            into those of the whole corpus (:meth:`FeatureStats.merge`). For a set of
            transcoders, a dict layer → ``[feature]``.
        dedupe: count identical windows (the same ``2 * context + 1`` token ids, e.g. from
            repeated documents) once among a feature's top examples and in each interval's
            draw: the best-ranked copy is kept (the higher activation, or priority; equal
            ones: the earlier document, so of repeated documents the first in corpus
            order). ``False``: every copy may be drawn. Counts and histograms count every
            token either way.
        progress: ``tqdm.auto`` bars of the texts the model runs on: ``feature_stats 1/2``,
            then ``feature_stats 2/2`` only for the texts past ``cache_bytes`` (its label
            says how many were kept from pass 1); no second bar when pass 1 kept them all.
            One bar ``feature_stats`` with ``interval_max``. For a set of transcoders, each
            layer's bars in turn, their labels ending in ``layer {i}``.

    Raises:
        ValueError: a coder that does not fit the model (a transcoder of a layer the model
            does not have, widths other than the sites'), a ``hook`` given with transcoders,
            an empty corpus.
    """
    coders = _coders(model, sae, hook)
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
    maxima_given = _interval_maxima(interval_max, coders)

    def one_coder(
        coder: SparseCoder, hook: str, output: str, given: torch.Tensor | None, layer: int | None
    ) -> FeatureStats:
        """The statistics of one coder, reading ``hook`` and writing ``output``."""
        reader = CorpusReader(model, tokenizer, max_length)
        # where the reader brings activations
        coder = on_device(coder, torch.device("cpu")).eval()

        def sampler(maxima: torch.Tensor) -> IntervalSampler:
            return IntervalSampler(
                maxima, n_intervals, interval_examples, context, int(seed), dedupe=dedupe
            )

        draw = None if given is None else sampler(given)
        scan = Scan(k, context, POWERS_OF_TWO, nonzero=True, dedupe=dedupe)
        cache = CodeCache(0 if draw else cache_bytes, coder.n_features)
        padded = _Padder()
        label = _label(progress, 1, draw is None, layer)
        for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=label):
            x = reader.read(batch.input_ids, batch.mask, [hook])[0]
            codes = coder.encode(x[batch.mask.bool()])  # [tokens, feature], padding left out
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
            # all kept: no model run, no bar
            label = _label(progress, 2, True, layer) if len(rest) else None
            if label and cache.n_docs:
                label += f" ({cache.n_docs} texts kept from pass 1)"
            for batch in reader.stream(rest, batch_size, truncate=truncate, progress=label):
                batch = TextBatch(batch.input_ids, batch.mask, batch.doc_index + cache.n_docs)
                x = reader.read(batch.input_ids, batch.mask, [hook])[0]
                draw.add(padded(coder.encode(x[batch.mask.bool()]), batch), batch)
        top_ids, top_values = scan.state.windows()
        interval_ids, interval_values = draw.state.windows()
        effects = logit_effects(model, coder, output, n_logits)
        nearest_features, cosine = nearest(coder, n_nearest)
        shape = (coder.n_features, n_intervals, interval_examples)
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
            interval_counts=draw.counts.view(coder.n_features, n_intervals).numpy(),
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
            origin=FeatureSource(model, tokenizer, coder, hook),
        )

    results = {
        layer: one_coder(coder, hook, output, maxima_given.get(layer), layer)
        for layer, (coder, hook, output) in coders.items()
    }
    if isinstance(sae, SparseCoder):
        return results[None]
    return shared_vocabulary(cast("dict[int, FeatureStats]", results))


def shared_vocabulary(stats: dict[int, FeatureStats]) -> dict[int, FeatureStats]:
    """The statistics of several layers, each indexing one vocabulary: the union of theirs
    (what :class:`~mi_widgets.GraphView` needs to show them all)."""
    strings = {
        i: text
        for part in stats.values()
        for i, text in zip(part.vocab_ids.tolist(), part.vocab, strict=True)
    }
    vocab_ids = np.array(sorted(strings), dtype=np.int64)
    vocab = [strings[i] for i in vocab_ids.tolist()]
    return {layer: part.with_vocabulary(vocab_ids, vocab) for layer, part in stats.items()}


#: The coders of one call: ``{layer: (coder, input site, output site)}``, layer ``None`` for
#: one coder given alone.
_Coders = dict[int | None, tuple[SparseCoder, str, str]]


def _coders(model: Any, sae: Any, hook: str | None) -> _Coders:
    """``sae`` (one sparse coder, or a set of transcoders) with the sites each reads and
    writes in ``model``, checked."""
    if isinstance(sae, SparseCoder):
        return {None: (sae, *sae.check_sites(model, hook))}
    if isinstance(sae, Mapping):
        members = list(sae.values())
    elif isinstance(sae, Iterable) and not isinstance(sae, (str, bytes)):
        members = list(sae)  # a TranscoderSet, a list or tuple
    else:
        raise TypeError(
            "sae must be a SparseAutoencoder, a Transcoder, or a set of transcoders (a "
            f"TranscoderSet or a list, one per layer), got {type(sae).__name__}"
        )
    if hook is not None:
        raise ValueError(
            f"hook = {hook!r} was given with a set of transcoders: leave it out, each transcoder "
            "reads its own layer's blocks.{layer}.ln2.hook_normalized"
        )
    out: _Coders = {}
    for index, coder in enumerate(members):
        layer = getattr(coder, "layer", None)
        if not isinstance(coder, SparseCoder) or not isinstance(layer, int):
            raise TypeError(
                f"sae[{index}] must be a mi_widgets.Transcoder (a set holds one per layer), got "
                f"{type(coder).__name__}"
            )
        if layer in out:
            raise ValueError(f"sae has two transcoders of layer {layer}: give one per layer")
        out[layer] = (coder, *coder.check_sites(model))
    if not out:
        raise ValueError("sae is an empty set of transcoders: give one per layer")
    return dict(sorted(out.items()))


def _interval_maxima(interval_max: Any, coders: _Coders) -> dict[int | None, torch.Tensor]:
    """``interval_max`` per coder (none given: empty): one array for one coder, a dict
    layer → array for a set of transcoders."""
    if interval_max is None:
        return {}
    if None in coders:
        return {None: _interval_max(interval_max, coders[None][0].n_features)}
    layers = [layer for layer in coders if layer is not None]
    if not isinstance(interval_max, Mapping) or sorted(interval_max) != layers:
        given = (
            f"layers {sorted(interval_max)}"
            if isinstance(interval_max, Mapping)
            else type(interval_max).__name__
        )
        raise ValueError(
            "interval_max of a set of transcoders must be a dict with one [feature] array per "
            f"layer {layers}, got {given}"
        )
    return {
        layer: _interval_max(interval_max[layer], coders[layer][0].n_features) for layer in coders
    }


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


def _label(progress: bool, n: int, two_passes: bool = True, layer: int | None = None) -> str | None:
    if not progress:
        return None
    label = f"feature_stats {n}/2" if two_passes else "feature_stats"
    return label if layer is None else f"{label} layer {layer}"


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
