"""What the feature dashboard shows for every feature of a sparse autoencoder.

:class:`FeatureStats` holds, for all features at once, numpy arrays indexed ``[feature, ...]``:
top activating examples with their context windows, examples sampled from activation
intervals, a histogram and the density of non-zero activations, logit effects and nearest
features by decoder direction. :func:`~mi_widgets.feature_stats` computes it in streaming
passes over a corpus; :meth:`FeatureStats.save` / :meth:`FeatureStats.load` keep it and
:meth:`FeatureStats.merge` combines the statistics of two shards of a corpus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import torch

from ..analysis.examples import CorpusExamples, Example, TopArrays, examples_of
from .intervals import priorities, token_keys


@dataclass(frozen=True)
class LogitEffect:
    """A token whose logit the feature's decoder direction raises or lowers."""

    token: str
    value: float


@dataclass(frozen=True, eq=False, kw_only=True)
class FeatureStats(CorpusExamples):
    """Dashboard data of every feature of a sparse autoencoder.

    The top examples, vocabulary, histogram, ``n_firing`` and ``sums`` are those of
    :class:`~mi_widgets.analysis.examples.CorpusExamples` with ``unit = (feature,)``; a
    feature fires where it is non-zero, and the histogram counts its non-zero activations.
    Rows past what the corpus gave (a feature that fired fewer than ``k`` times) hold
    ``doc = -1`` and NaN values.

    Attributes:
        hook: the hook point the autoencoder reads, e.g. ``blocks.1.hook_resid_post``.
        interval_edges: float32 ``[feature, intervals + 1]``: ``(0, max]`` cut into equal
            intervals per feature (``max`` from the top example, or ``interval_max`` given
            to :func:`~mi_widgets.feature_stats`).
        interval_counts: int64 ``[feature, intervals]`` non-zero activations per interval.
        interval_docs, interval_positions: int64 ``[feature, intervals, m]`` examples drawn
            uniformly at random (seeded) from each interval; -1 where it has fewer.
        interval_window_tokens, interval_window_values: their windows, as for the top.
        logit_top, logit_bottom: int32 ``[feature, n]`` vocab indices of the tokens whose
            logits the decoder direction raises (lowers) most, through the unembedding.
        logit_top_values, logit_bottom_values: float32 ``[feature, n]`` those effects.
        nearest: int64 ``[feature, n]`` the features with the most similar decoder
            directions, most similar first; ``nearest_cosine`` float32 their cosine.
        seed: the seed of the interval draw (``None``: not known, as in files written before
            it was saved; such statistics do not merge).
    """

    UNIT: ClassVar[str] = "feature"
    KIND: ClassVar[str] = "FeatureStats"
    ARRAYS: ClassVar[tuple[str, ...]] = (
        *CorpusExamples.ARRAYS,
        "interval_edges",
        "interval_counts",
        "interval_docs",
        "interval_positions",
        "interval_window_tokens",
        "interval_window_values",
        "logit_top",
        "logit_top_values",
        "logit_bottom",
        "logit_bottom_values",
        "nearest",
        "nearest_cosine",
    )

    hook: str
    interval_edges: np.ndarray
    interval_counts: np.ndarray
    interval_docs: np.ndarray
    interval_positions: np.ndarray
    interval_window_tokens: np.ndarray
    interval_window_values: np.ndarray
    logit_top: np.ndarray
    logit_top_values: np.ndarray
    logit_bottom: np.ndarray
    logit_bottom_values: np.ndarray
    nearest: np.ndarray
    nearest_cosine: np.ndarray
    seed: int | None = None
    #: the (model, tokenizer, autoencoder) that made these statistics, when computed in
    #: this process: lets a live dashboard colour new text. Not saved.
    origin: Any = field(default=None, compare=False, repr=False)

    @property
    def n_features(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_intervals(self) -> int:
        return int(self.interval_counts.shape[1])

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

    def examples(self, feature: int) -> list[Example]:
        """The top examples of one feature, highest first."""
        return self._examples_at((self._unit(feature),))

    def interval_examples(self, feature: int) -> list[tuple[float, float, int, list[Example]]]:
        """Per activation interval, highest first: ``(low, high, count, examples)``."""
        f = self._unit(feature)
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
        return self.counts[self._unit(feature)], self.edges

    def logits(self, feature: int) -> tuple[list[LogitEffect], list[LogitEffect]]:
        """``(raised, lowered)``: the tokens whose logits the feature raises most, and lowers
        most (most negative first)."""
        f = self._unit(feature)

        def effects(index: np.ndarray, values: np.ndarray) -> list[LogitEffect]:
            return [
                LogitEffect(self.vocab[i], float(v))
                for i, v in zip(index.tolist(), values.tolist(), strict=True)
            ]

        return (
            effects(self.logit_top[f], self.logit_top_values[f]),
            effects(self.logit_bottom[f], self.logit_bottom_values[f]),
        )

    def with_vocabulary(self, vocab_ids: np.ndarray, vocab: list[str]) -> FeatureStats:
        """The same statistics with their windows and logit tables indexing ``vocab``.

        Args:
            vocab_ids: int64 ``[n]`` ascending token ids holding every one of
                :attr:`vocab_ids` (e.g. the union of several statistics' ids, so that the
                statistics of several layers share one vocabulary).
            vocab: ``[n]`` the token string of each.
        """
        vocab_ids = np.asarray(vocab_ids, dtype=np.int64)
        where = np.searchsorted(vocab_ids, self.vocab_ids)
        inside = where < len(vocab_ids)
        if len(vocab) != len(vocab_ids) or not (
            inside.all() and np.array_equal(vocab_ids[where], self.vocab_ids)
        ):
            raise ValueError(
                f"vocab_ids ({len(vocab_ids)} ids) and vocab ({len(vocab)} strings) must be as "
                f"long and hold every one of the {len(self.vocab_ids)} token ids of these "
                "statistics"
            )
        index = np.append(where, -1).astype(np.int32)  # index[-1]: -1 (none) stays -1
        arrays = ("window_tokens", "interval_window_tokens", "logit_top", "logit_bottom")
        moved = {name: index[getattr(self, name)] for name in arrays}
        return replace(self, vocab=list(vocab), vocab_ids=vocab_ids, **moved)

    def neighbours(self, feature: int) -> list[tuple[int, float]]:
        """``(feature, cosine)`` of the features whose decoder directions are closest."""
        f = self._unit(feature)
        return list(
            zip(
                self.nearest[f].tolist(), self.nearest_cosine[f].astype(float).tolist(), strict=True
            )
        )

    def merge(self, other: FeatureStats) -> FeatureStats:
        """Combine with the statistics of the texts that follow this one's (a later shard).

        ``other``'s documents are numbered after this one's. Top examples, histogram,
        density, sums, interval counts and interval examples equal those of one
        :func:`~mi_widgets.feature_stats` over both, element for element, when both parts
        cut their intervals at the same maxima: the intervals of ``(0, max]`` need the
        maximum of the whole corpus before any activation is counted, so run each part with
        ``interval_max=`` the maximum over all parts (e.g. ``np.maximum(a.max, b.max)`` of a
        first run), then merge. The interval draw merges exactly because its random
        priorities depend on the token and its window only (see
        :mod:`mi_widgets.sae.intervals`). Logit effects and neighbours come from the
        autoencoder and must be equal. Statistics of different hooks, autoencoders, ``k``,
        ``context``, intervals or seeds are refused.
        """
        return super().merge(other)

    def _check_mergeable(self, other: FeatureStats) -> None:
        if self.hook != other.hook:
            raise ValueError(f"cannot merge: hook differs ({self.hook!r} vs {other.hook!r})")
        mine, theirs = self.interval_docs.shape, other.interval_docs.shape
        if mine != theirs:
            raise ValueError(
                f"cannot merge: the interval examples differ in shape [feature, intervals, m] "
                f"({mine} vs {theirs})"
            )
        if self.seed is None or self.seed != other.seed:
            raise ValueError(
                f"cannot merge: the interval examples were drawn with seed {self.seed} and "
                f"{other.seed}; both must be drawn with the same known seed"
            )
        if not np.array_equal(self.interval_edges, other.interval_edges):
            raise ValueError(
                "cannot merge: the interval edges differ (each part cut (0, max] at its own "
                "maximum); run feature_stats on every part with interval_max= the maximum "
                "over all parts, e.g. np.maximum(a.max, b.max), then merge"
            )
        same = (
            np.array_equal(self.token_ids(self.logit_top), other.token_ids(other.logit_top))
            and np.array_equal(self.logit_top_values, other.logit_top_values)
            and np.array_equal(
                self.token_ids(self.logit_bottom), other.token_ids(other.logit_bottom)
            )
            and np.array_equal(self.logit_bottom_values, other.logit_bottom_values)
            and np.array_equal(self.nearest, other.nearest)
            and np.array_equal(self.nearest_cosine, other.nearest_cosine)
        )
        if not same:
            raise ValueError(
                "cannot merge: the logit effects or nearest features differ (statistics of "
                "different autoencoders or models)"
            )

    def _interval_arrays(self) -> TopArrays:
        """The interval examples ``[feature, intervals, m]`` with their draw priorities as
        values and token ids in their windows."""
        ids = self.token_ids(self.interval_window_tokens)
        width = ids.shape[-1]
        features = np.broadcast_to(np.arange(self.n_features)[:, None, None], ids.shape[:-1])
        keys = token_keys(
            torch.from_numpy(ids.reshape(-1, width)),
            torch.from_numpy(self.interval_positions.reshape(-1)),
            int(self.seed or 0),
        )
        drawn = priorities(keys, torch.from_numpy(features.reshape(-1))).numpy()
        values = np.where(self.interval_docs >= 0, drawn.reshape(ids.shape[:-1]), np.nan)
        return TopArrays(
            values.astype(np.float32),
            self.interval_docs,
            self.interval_positions,
            ids,
            self.interval_window_values,
        )

    def _merged_extras(
        self, other: FeatureStats
    ) -> tuple[list[np.ndarray], Callable[[list[np.ndarray]], dict[str, Any]]]:
        later = other._interval_arrays().after(self.n_docs)
        m = self.interval_docs.shape[2]
        drawn = self._interval_arrays().merged(later, m, dedupe=self.dedupe)
        token_arrays = [
            drawn.window_tokens,
            self.token_ids(self.logit_top),
            self.token_ids(self.logit_bottom),
        ]

        def finish(indices: list[np.ndarray]) -> dict[str, Any]:
            return {
                "hook": self.hook,
                "interval_edges": self.interval_edges,
                "interval_counts": self.interval_counts + other.interval_counts,
                "interval_docs": drawn.docs,
                "interval_positions": drawn.positions,
                "interval_window_tokens": indices[0],
                "interval_window_values": drawn.window_values,
                "logit_top": indices[1],
                "logit_top_values": self.logit_top_values,
                "logit_bottom": indices[2],
                "logit_bottom_values": self.logit_bottom_values,
                "nearest": self.nearest,
                "nearest_cosine": self.nearest_cosine,
                "seed": self.seed,
                "origin": self.origin if self.origin == other.origin else None,
            }

        return token_arrays, finish

    def _meta(self) -> dict[str, Any]:
        return {"hook": self.hook, "seed": self.seed}

    @classmethod
    def _from_meta(cls, meta: dict[str, Any]) -> dict[str, Any]:
        return {"hook": meta["hook"], "seed": meta.get("seed")}

    def __repr__(self) -> str:
        alive = int((~self.dead).sum())
        return (
            f"FeatureStats({self.hook!r}, {self.n_features} features ({alive} fired), "
            f"k={self.k}, context={self.context}, {self.n_tokens} tokens in "
            f"{self.n_docs} documents)"
        )
