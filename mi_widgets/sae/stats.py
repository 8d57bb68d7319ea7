"""What the feature dashboard shows for every feature of a sparse autoencoder.

:class:`FeatureStats` holds, for all features at once, numpy arrays indexed ``[feature, ...]``:
top activating examples with their context windows, examples sampled from activation
intervals, a histogram and the density of non-zero activations, logit effects and nearest
features by decoder direction. :func:`~mi_widgets.feature_stats` computes it in streaming
passes over a corpus; :meth:`FeatureStats.save` / :meth:`FeatureStats.load` keep it.
"""

from __future__ import annotations

import numbers
import pathlib
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..analysis._archive import read_archive, write_archive
from ..analysis._streaming import POWERS_OF_TWO, Scan, _State, batch_of, top_per_list
from ..analysis.top_activations import Example, _vocabulary, examples_of
from ..capture.reader import CorpusReader, TextBatch
from ..capture.readout import readout
from ..capture.sites import parse_site
from ..checks import positive_int
from .model import SparseAutoencoder
from .training import check_hook

_VERSION = 1
_ARRAYS = (
    "values",
    "docs",
    "positions",
    "window_tokens",
    "window_values",
    "interval_edges",
    "interval_counts",
    "interval_docs",
    "interval_positions",
    "interval_window_tokens",
    "interval_window_values",
    "vocab_ids",
    "edges",
    "counts",
    "n_firing",
    "sums",
    "logit_top",
    "logit_top_values",
    "logit_bottom",
    "logit_bottom_values",
    "nearest",
    "nearest_cosine",
)


@dataclass(frozen=True)
class LogitEffect:
    """A token whose logit the feature's decoder direction raises or lowers."""

    token: str
    value: float


@dataclass(frozen=True, eq=False)
class FeatureStats:
    """Dashboard data of every feature of a sparse autoencoder.

    Rows past what the corpus gave (a feature that fired fewer than ``k`` times) hold
    ``doc = -1`` and NaN values. Token windows are int32 indices into :attr:`vocab`, -1
    outside the document.

    Attributes:
        hook: the hook point the autoencoder reads, e.g. ``blocks.1.hook_resid_post``.
        values: float32 ``[feature, k]`` top activations, highest first (ties: earlier
            document, then earlier position).
        docs, positions: int64 ``[feature, k]`` where each top example is.
        window_tokens: int32 ``[feature, k, 2 * context + 1]`` the window around it.
        window_values: float32, same shape: the feature's activation there (NaN outside).
        interval_edges: float32 ``[feature, intervals + 1]``: ``(0, max]`` cut into equal
            intervals per feature (``max`` from the top example).
        interval_counts: int64 ``[feature, intervals]`` non-zero activations per interval.
        interval_docs, interval_positions: int64 ``[feature, intervals, m]`` examples drawn
            uniformly at random (seeded) from each interval; -1 where it has fewer.
        interval_window_tokens, interval_window_values: their windows, as for the top.
        vocab: the token strings used by windows and logit effects.
        vocab_ids: int64 ``[len(vocab)]`` the token id of each vocab entry.
        edges: float32 ``[bins + 1]`` histogram bin edges, shared by all features.
        counts: int64 ``[feature, bins]`` non-zero activations per bin.
        n_firing: int64 ``[feature]`` tokens where the feature is non-zero.
        sums: float64 ``[feature]`` sum of its activations.
        logit_top, logit_bottom: int32 ``[feature, n]`` vocab indices of the tokens whose
            logits the decoder direction raises (lowers) most, through the unembedding.
        logit_top_values, logit_bottom_values: float32 ``[feature, n]`` those effects.
        nearest: int64 ``[feature, n]`` the features with the most similar decoder
            directions, most similar first; ``nearest_cosine`` float32 their cosine.
        n_tokens: tokens seen; n_docs: documents read.
        source: what was scanned, in words.
    """

    hook: str
    values: np.ndarray
    docs: np.ndarray
    positions: np.ndarray
    window_tokens: np.ndarray
    window_values: np.ndarray
    interval_edges: np.ndarray
    interval_counts: np.ndarray
    interval_docs: np.ndarray
    interval_positions: np.ndarray
    interval_window_tokens: np.ndarray
    interval_window_values: np.ndarray
    vocab: list[str]
    vocab_ids: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    n_firing: np.ndarray
    sums: np.ndarray
    logit_top: np.ndarray
    logit_top_values: np.ndarray
    logit_bottom: np.ndarray
    logit_bottom_values: np.ndarray
    nearest: np.ndarray
    nearest_cosine: np.ndarray
    n_tokens: int
    n_docs: int
    source: str = ""
    #: the (model, tokenizer, autoencoder) that made these statistics, when computed in
    #: this process: lets a live dashboard colour new text. Not saved.
    origin: Any = field(default=None, compare=False, repr=False)

    @property
    def n_features(self) -> int:
        return int(self.values.shape[0])

    @property
    def k(self) -> int:
        return int(self.values.shape[1])

    @property
    def context(self) -> int:
        """Tokens on each side of an example in its window."""
        return (int(self.window_tokens.shape[2]) - 1) // 2

    @property
    def n_intervals(self) -> int:
        return int(self.interval_counts.shape[1])

    @property
    def density(self) -> np.ndarray:
        """float64 ``[feature]`` fraction of tokens where the feature is non-zero."""
        return self.n_firing / max(self.n_tokens, 1)

    @property
    def max(self) -> np.ndarray:
        """float32 ``[feature]`` highest activation seen (0 for a feature that never fired)."""
        return np.nan_to_num(self.values[:, 0], nan=0.0)

    @property
    def mean_firing(self) -> np.ndarray:
        """float64 ``[feature]`` mean activation where the feature is non-zero."""
        return self.sums / np.maximum(self.n_firing, 1)

    @property
    def dead(self) -> np.ndarray:
        """bool ``[feature]``: never non-zero on the corpus."""
        return self.n_firing == 0

    def _feature(self, feature: int) -> int:
        if isinstance(feature, bool) or not isinstance(feature, numbers.Integral):
            raise TypeError(f"feature must be an int, got {type(feature).__name__}")
        if not 0 <= feature < self.n_features:
            raise ValueError(
                f"feature = {feature} is out of range: expected 0 <= feature < {self.n_features}"
            )
        return int(feature)

    def examples(self, feature: int) -> list[Example]:
        """The top examples of one feature, highest first."""
        f = self._feature(feature)
        return examples_of(
            self.docs[f],
            self.positions[f],
            self.window_tokens[f],
            self.window_values[f],
            self.vocab,
            self.context,
        )

    def interval_examples(self, feature: int) -> list[tuple[float, float, int, list[Example]]]:
        """Per activation interval, highest first: ``(low, high, count, examples)``."""
        f = self._feature(feature)
        out = []
        for j in reversed(range(self.n_intervals)):  # at most a few intervals: display helper
            examples = examples_of(
                self.interval_docs[f, j],
                self.interval_positions[f, j],
                self.interval_window_tokens[f, j],
                self.interval_window_values[f, j],
                self.vocab,
                self.context,
            )
            low, high = float(self.interval_edges[f, j]), float(self.interval_edges[f, j + 1])
            out.append((low, high, int(self.interval_counts[f, j]), examples))
        return out

    def histogram(self, feature: int) -> tuple[np.ndarray, np.ndarray]:
        """``(counts [bins], edges [bins + 1])`` of one feature's non-zero activations."""
        return self.counts[self._feature(feature)], self.edges

    def logits(self, feature: int) -> tuple[list[LogitEffect], list[LogitEffect]]:
        """``(raised, lowered)``: the tokens whose logits the feature raises most, and lowers
        most (most negative first)."""
        f = self._feature(feature)

        def effects(index: np.ndarray, values: np.ndarray) -> list[LogitEffect]:
            return [
                LogitEffect(self.vocab[i], float(v))
                for i, v in zip(index.tolist(), values.tolist(), strict=True)
            ]

        return (
            effects(self.logit_top[f], self.logit_top_values[f]),
            effects(self.logit_bottom[f], self.logit_bottom_values[f]),
        )

    def neighbours(self, feature: int) -> list[tuple[int, float]]:
        """``(feature, cosine)`` of the features whose decoder directions are closest."""
        f = self._feature(feature)
        return list(
            zip(
                self.nearest[f].tolist(), self.nearest_cosine[f].astype(float).tolist(), strict=True
            )
        )

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write one ``.npz`` file: an ``.npy`` entry per array plus ``meta.json``."""
        meta = {
            "hook": self.hook,
            "vocab": self.vocab,
            "n_tokens": self.n_tokens,
            "n_docs": self.n_docs,
            "source": self.source,
        }
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        return write_archive(path, "FeatureStats", _VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> FeatureStats:
        """Read a file written by :meth:`save`."""
        arrays, meta = read_archive(path, "FeatureStats", _VERSION)
        return cls(
            hook=meta["hook"],
            vocab=list(meta["vocab"]),
            n_tokens=int(meta["n_tokens"]),
            n_docs=int(meta["n_docs"]),
            source=meta.get("source", ""),
            **{name: arrays[name] for name in _ARRAYS},
        )

    def __repr__(self) -> str:
        alive = int((~self.dead).sum())
        return (
            f"FeatureStats({self.hook!r}, {self.n_features} features ({alive} fired), "
            f"k={self.k}, context={self.context}, {self.n_tokens} tokens in "
            f"{self.n_docs} documents)"
        )


@dataclass(frozen=True)
class FeatureSource:
    """The model, tokenizer, autoencoder and hook that made some :class:`FeatureStats`:
    computes features of new text for a live dashboard."""

    model: Any
    tokenizer: Any
    sae: SparseAutoencoder
    hook: str

    @torch.no_grad()
    def activations(self, text: str) -> tuple[list[str], np.ndarray]:
        """``(tokens, acts)``: the token strings of ``text`` and float32 ``[pos, n_features]``
        feature activations at each (the text is cut to the model's context)."""
        reader = CorpusReader(self.model, self.tokenizer)
        for batch in reader.stream([text], 1, truncate=True, progress=None):
            x = reader.read(batch.input_ids, batch.mask, [self.hook])[0, 0]
            tokens = reader.decode(batch.input_ids[0].numpy())
            return tokens, self.sae.encode(x).numpy().astype(np.float32)
        return [], np.zeros((0, self.sae.n_features), dtype=np.float32)  # no tokens


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
    progress: bool = True,
) -> FeatureStats:
    """Dashboard data of every feature of ``sae`` over ``corpus``, in two streaming passes.

    Pass 1 keeps every feature's top ``k`` examples (with ``context`` tokens each side), a
    histogram of its non-zero activations (power-of-two bins) and its density; pass 2 draws
    ``interval_examples`` examples uniformly at random from each of ``n_intervals`` equal
    intervals of ``(0, max]`` (``max`` from pass 1; the "quantile groups" of sae_vis and
    SAEDashboard are these equal intervals too), with the count of activations in each.
    All features at once, batched on torch; memory is bounded by features × (k + intervals
    × examples) × window, whatever the corpus length.

    Logit effects: each decoder direction through the model's final norm and unembedding,
    for sites as wide as the residual stream. The final norm's per-channel weight (and, for
    LayerNorm, the centring) is applied; its division by the residual's scale is left out:
    that scale is the same for every vocabulary token, so it changes no ranking. ``None``
    entries (-1) for sites inside the MLP or models without a linear unembedding (BERT).

    Args:
        model, tokenizer: a model :func:`~mi_widgets.trace` supports and its tokenizer.
        sae: the autoencoder; ``hook`` defaults to ``sae.hook``.
        corpus: a list of texts (read twice).
        n_logits, n_nearest: tokens per logit table, neighbours per feature.
        seed: the random draw of interval examples.
        cache_bytes: pass 1 keeps the non-zero features of the texts it read, up to this
            many bytes, so that pass 2 need not run the model on them again; texts past it
            are run again.
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
    reader = CorpusReader(model, tokenizer, max_length)
    sae = sae.eval()

    scan = Scan(k, context, POWERS_OF_TWO, nonzero=True)
    cache = _CodeCache(cache_bytes, sae.n_features)
    padded = _Padder()
    for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=_label(progress, 1)):
        x = reader.read(batch.input_ids, batch.mask, [hook])[0]
        codes = sae.encode(x[batch.mask.bool()])  # [tokens, feature], padding left out
        cache.keep(batch, codes, reader.n_docs)
        scan.add(padded(codes, batch), batch.input_ids, batch.lengths, batch.doc_index)
    n_docs = reader.n_docs
    if n_docs == 0:
        raise ValueError("corpus is empty: give at least one text")
    if scan.state is None:
        raise ValueError(f"corpus has {n_docs} texts but none of them gave any token")
    maxima = scan.state.values[0, :, 0].nan_to_num(nan=0.0).clamp(min=0.0)
    sampler = _IntervalSampler(maxima, n_intervals, interval_examples, context, seed)
    for batch, codes in cache.batches():  # pass 2 reads what pass 1 kept, then the rest
        sampler.add(padded(codes, batch), batch)
    rest = corpus[cache.n_docs :]
    for batch in reader.stream(rest, batch_size, truncate=truncate, progress=_label(progress, 2)):
        batch = TextBatch(batch.input_ids, batch.mask, batch.doc_index + cache.n_docs)
        x = reader.read(batch.input_ids, batch.mask, [hook])[0]
        sampler.add(padded(sae.encode(x[batch.mask.bool()]), batch), batch)
    top_ids, top_values = scan.state.windows()
    interval_ids, interval_values = sampler.state.windows()
    effects = _logit_effects(model, sae, hook, n_logits)
    nearest, cosine = _nearest(sae, n_nearest)
    shape = (sae.n_features, n_intervals, interval_examples)
    pieces = [top_ids[0], interval_ids[0], effects[0], effects[2]]
    vocab_ids, indices = _vocabulary(torch.cat([p.reshape(-1).long() for p in pieces]))
    splits = np.split(indices, np.cumsum([p.numel() for p in pieces])[:-1])
    window = 2 * context + 1
    return FeatureStats(
        hook=hook,
        values=scan.state.values[0].numpy(),
        docs=scan.state.docs[0].numpy(),
        positions=scan.state.positions[0].numpy(),
        window_tokens=splits[0].reshape(sae.n_features, k, window),
        window_values=top_values[0].numpy(),
        interval_edges=(maxima[:, None] * torch.linspace(0, 1, n_intervals + 1)).numpy(),
        interval_counts=sampler.counts.view(sae.n_features, n_intervals).numpy(),
        interval_docs=sampler.state.docs[0].reshape(shape).numpy(),
        interval_positions=sampler.state.positions[0].reshape(shape).numpy(),
        interval_window_tokens=splits[1].reshape(*shape, window),
        interval_window_values=interval_values[0].reshape(*shape, window).numpy(),
        vocab=reader.decode(vocab_ids),
        vocab_ids=vocab_ids,
        edges=POWERS_OF_TWO.numpy().copy(),
        counts=scan.counts[0].numpy(),
        n_firing=scan.n_firing[0].numpy(),
        sums=scan.sums[0].numpy(),
        logit_top=splits[2].reshape(effects[0].shape),
        logit_top_values=effects[1].numpy(),
        logit_bottom=splits[3].reshape(effects[2].shape),
        logit_bottom_values=effects[3].numpy(),
        nearest=nearest.numpy(),
        nearest_cosine=cosine.numpy(),
        n_tokens=scan.n_tokens,
        n_docs=n_docs,
        source=f"{reader.name} {hook} on {scan.n_tokens} tokens in {n_docs} documents",
        origin=FeatureSource(model, tokenizer, sae, hook),
    )


def _label(progress: bool, n: int) -> str | None:
    return f"feature_stats {n}/2" if progress else None


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


class _CodeCache:
    """The non-zero features of the first batches of a pass, within a memory budget."""

    def __init__(self, budget: int, n_features: int) -> None:
        self.budget, self.n_features, self.used, self.n_docs = budget, n_features, 0, 0
        self.entries: list[tuple[TextBatch, torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self.full = False

    def keep(self, batch: TextBatch, codes: torch.Tensor, n_docs: int) -> None:
        """Keep ``codes`` ``[tokens, feature]`` of ``batch`` unless the budget is spent;
        ``n_docs``: the texts read so far (the cache covers them)."""
        if self.full:
            return
        rows, columns = codes.nonzero(as_tuple=True)
        size = rows.numel() * 12 + batch.input_ids.numel() * 16
        if self.used + size > self.budget:
            self.full = True
            return
        self.entries.append((batch, rows.int(), columns.int(), codes[rows, columns]))
        self.used += size
        self.n_docs = n_docs

    def batches(self) -> Iterator[tuple[TextBatch, torch.Tensor]]:
        """The kept batches and their features ``[tokens, feature]``, rebuilt."""
        for batch, rows, columns, values in self.entries:
            codes = torch.zeros(int(batch.mask.sum()), self.n_features)
            codes[rows.long(), columns.long()] = values
            yield batch, codes


class _IntervalSampler:
    """Per feature and interval of ``(0, max]``, a uniform random sample of its activations
    (the ``m`` with the highest random priority), with their windows, and counts."""

    def __init__(
        self, maxima: torch.Tensor, n_intervals: int, m: int, context: int, seed: int
    ) -> None:
        self.maxima, self.n_intervals, self.m = maxima, n_intervals, m
        n_lists = maxima.numel() * n_intervals
        self.state = _State.empty(1, n_lists, m, 2 * context + 1)
        self.counts = torch.zeros(n_lists, dtype=torch.long)
        self.columns = torch.arange(n_lists) // n_intervals  # the feature of each list
        self.context = context
        self.generator = torch.Generator().manual_seed(seed)

    def add(self, acts: torch.Tensor, batch: TextBatch) -> None:
        """One batch of features ``[1, batch, pos, feature]``."""
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
        priority = torch.rand(lists.numel(), generator=self.generator)
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


def _logit_effects(
    model: Any, sae: SparseAutoencoder, hook: str, n: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(top ids, values, bottom ids, values)`` ``[feature, n]`` (ids -1 when unavailable)."""
    linear = None
    if parse_site(model, hook)[1] != "mlp.hook_post":
        with suppress(ValueError):  # no LM head, or not a linear one (BERT)
            linear = readout(model).linear()
    if linear is None:
        ids = torch.full((sae.n_features, 0), -1, dtype=torch.long)
        return ids, torch.zeros(sae.n_features, 0), ids, torch.zeros(sae.n_features, 0)
    directions = linear.directions(sae.W_dec.detach().float().cpu())
    unembed = linear.unembed
    n = min(n, unembed.shape[1])
    parts = [chunk @ unembed for chunk in directions.split(1024)]  # [chunk, vocab] each
    top = [part.topk(n, dim=1) for part in parts]
    bottom = [part.topk(n, dim=1, largest=False) for part in parts]
    return (
        torch.cat([t.indices for t in top]),
        torch.cat([t.values for t in top]),
        torch.cat([b.indices for b in bottom]),
        torch.cat([b.values for b in bottom]),
    )


def _nearest(sae: SparseAutoencoder, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features [feature, n], cosine [feature, n])`` of the closest decoder directions."""
    directions = torch.nn.functional.normalize(sae.W_dec.detach().float(), dim=1)
    n = min(n, sae.n_features - 1)
    out_index, out_cosine = [], []
    for start, chunk in zip(
        range(0, sae.n_features, 1024), directions.split(1024), strict=True
    ):  # [chunk, feature] similarities at a time: memory bounded
        cosine = chunk @ directions.T
        cosine[torch.arange(chunk.shape[0]), torch.arange(start, start + chunk.shape[0])] = -2
        best = cosine.topk(n, dim=1)
        out_index.append(best.indices)
        out_cosine.append(best.values)
    return torch.cat(out_index), torch.cat(out_cosine)
