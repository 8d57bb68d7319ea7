"""Top-activating corpus examples of many units at once: the core that
:class:`~mi_widgets.TopActivations` (MLP neurons) and :class:`~mi_widgets.sae.FeatureStats`
(autoencoder features) share.

:class:`CorpusExamples` holds, for every unit, its top ``k`` activations, where they are and a
window of tokens around each; the vocabulary the windows index; a histogram, the count of
tokens where the unit fires and the sum of its activations. It reads examples out, saves to
and loads from one ``.npz`` file, and merges two scans (a later shard after an earlier one)
into what one pass over both gives. Arrays are indexed ``[*unit, ...]``: ``unit`` is
``(layer, neuron)`` for neurons, ``(feature,)`` for features.
"""

from __future__ import annotations

import numbers
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np
import torch

from ._archive import read_archive, write_archive
from ._streaming import TopState

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on


@dataclass(frozen=True)
class Example:
    """One top-activating token of a unit and the tokens around it.

    Attributes:
        value: the unit's activation at the token.
        doc: index of the document in the corpus (order of the iterable).
        position: the token's position in the document.
        tokens: the window of up to ``2 * context + 1`` token strings (cut at document ends).
        values: the unit's activation at each window token, float32 ``[window]``.
        center: index of the example token in ``tokens``.
    """

    value: float
    doc: int
    position: int
    tokens: list[str]
    values: np.ndarray
    center: int


def examples_of(
    docs: np.ndarray,
    positions: np.ndarray,
    window_tokens: np.ndarray,
    window_values: np.ndarray,
    vocab: list[str],
    context: int,
) -> list[Example]:
    """The found rows (``doc >= 0``) of ``[k]`` / ``[k, window]`` arrays as examples."""
    strings = np.asarray([*vocab, ""], dtype=object)  # index -1 reads the pad
    out = []
    for j in np.flatnonzero(docs >= 0):  # at most k rows: a display helper, not a hot path
        inside = window_tokens[j] >= 0
        start = int(np.argmax(inside))
        center = context - start
        values = window_values[j][inside]
        out.append(
            Example(
                value=float(values[center]),
                doc=int(docs[j]),
                position=int(positions[j]),
                tokens=list(strings[window_tokens[j][inside]]),
                values=values,
                center=center,
            )
        )
    return out


def index_tokens(*pieces: torch.Tensor | np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(vocab_ids, indices)``: the distinct token ids of ``pieces`` (any shapes, -1: none),
    ascending int64, and each piece as int32 indices into them (-1 stays -1)."""
    tensors = [torch.as_tensor(piece).reshape(-1).long() for piece in pieces]
    flat = torch.cat(tensors) if tensors else torch.zeros(0, dtype=torch.long)
    inside = flat >= 0
    ids = flat.clamp(min=0)
    present = torch.zeros(int(ids.max()) + 1 if ids.numel() else 1, dtype=torch.bool)
    present[ids[inside]] = True
    index = present.cumsum(0) - 1  # position of each present id among the present ones
    indices = torch.where(inside, index[ids], -1).int().numpy()
    splits = np.split(indices, np.cumsum([t.numel() for t in tensors])[:-1])
    shapes = [np.shape(piece) for piece in pieces]
    vocab_ids = present.nonzero().squeeze(1).numpy().astype(np.int64)
    return vocab_ids, [split.reshape(shape) for split, shape in zip(splits, shapes, strict=True)]


class TopArrays(NamedTuple):
    """Ordered top entries of many lists (a unit, or a unit's interval).

    ``values``, ``docs``, ``positions`` are ``[*list, k]``; ``window_tokens`` and
    ``window_values`` ``[*list, k, window]``. Empty entries: value NaN, doc -1, last.
    """

    values: np.ndarray
    docs: np.ndarray
    positions: np.ndarray
    window_tokens: np.ndarray
    window_values: np.ndarray

    def with_tokens(self, window_tokens: np.ndarray) -> TopArrays:
        """The same entries with other window tokens (e.g. ids instead of vocab indices)."""
        return self._replace(window_tokens=window_tokens)

    def after(self, n_docs: int) -> TopArrays:
        """The same entries numbered as documents that follow ``n_docs`` others."""
        return self._replace(docs=np.where(self.docs >= 0, self.docs + n_docs, self.docs))

    def merged(self, later: TopArrays, k: int, *, dedupe: bool = False) -> TopArrays:
        """The top ``k`` of both (``later``'s documents all come after ``self``'s); equal
        values keep ``self``'s first, as one pass over both would. With ``dedupe`` (both
        hold distinct windows per list), of distinct windows: the better-ranked copy stays.
        Window tokens must be token ids here (not vocab indices)."""
        lists = self.values.shape[:-1]

        def state(part: TopArrays) -> TopState:
            flat = [torch.from_numpy(np.ascontiguousarray(a)) for a in part]
            return TopState.ordered(
                *(a.reshape(1, -1, *a.shape[len(lists) :]) for a in flat)  # [1, list, ...]
            )

        top = state(self).merged(state(later), k, dedupe=dedupe)
        window_tokens, window_values = top.windows()
        window = self.window_tokens.shape[-1]
        return TopArrays(
            top.values.reshape(*lists, k).numpy(),
            top.docs.reshape(*lists, k).numpy(),
            top.positions.reshape(*lists, k).numpy(),
            window_tokens.reshape(*lists, k, window).numpy(),
            window_values.reshape(*lists, k, window).numpy(),
        )


@dataclass(frozen=True, eq=False, kw_only=True)
class CorpusExamples:
    """Every unit's top ``k`` examples with windows, histogram, firing count and sum.

    Attributes:
        values: float32 ``[*unit, k]`` activations, highest first (ties: earlier document,
            then earlier position first); NaN past the examples found.
        docs, positions: int64 ``[*unit, k]`` where each example is (-1: none).
        window_tokens: int32 ``[*unit, k, 2 * context + 1]`` index into :attr:`vocab` of each
            token of the window centred on the example; -1 outside the document.
        window_values: float32, same shape: the unit's activation there; NaN outside.
        vocab: the token strings the windows use, each as the tokenizer decodes its id.
        vocab_ids: int64 ``[len(vocab)]`` the token id of each vocab entry, ascending.
        edges: float32 ``[bins + 1]`` histogram bin edges (ascending, shared by all units).
        counts: int64 ``[*unit, bins]`` activations per bin; values below ``edges[0]`` or
            above ``edges[-1]`` count in the first or last bin.
        n_firing: int64 ``[*unit]`` tokens where the unit fires.
        sums: float64 ``[*unit]`` sum of its activations.
        n_tokens: tokens seen (padding excluded); n_docs: documents read.
        source: what was scanned, in words.
        dedupe: identical windows (the same token ids at every offset) count once among a
            unit's top examples: of equal windows the best-ranked copy is kept (equal
            values: the earlier document, so of repeated documents the first); histograms
            and counts still count every token. False in files written before it existed.
    """

    #: the unit's name in messages ("neuron", "feature"), the file kind and format version
    UNIT: ClassVar[str] = "unit"
    KIND: ClassVar[str] = "CorpusExamples"
    VERSION: ClassVar[int] = 1
    #: the arrays a file holds, one ``<name>.npy`` entry each
    ARRAYS: ClassVar[tuple[str, ...]] = (
        "values",
        "docs",
        "positions",
        "window_tokens",
        "window_values",
        "vocab_ids",
        "edges",
        "counts",
        "n_firing",
        "sums",
    )

    values: np.ndarray
    docs: np.ndarray
    positions: np.ndarray
    window_tokens: np.ndarray
    window_values: np.ndarray
    vocab: list[str]
    vocab_ids: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    n_firing: np.ndarray
    sums: np.ndarray
    n_tokens: int
    n_docs: int
    source: str = ""
    dedupe: bool = False

    @property
    def k(self) -> int:
        return int(self.values.shape[-1])

    @property
    def context(self) -> int:
        """Tokens on each side of an example in its window."""
        return (int(self.window_tokens.shape[-1]) - 1) // 2

    @property
    def density(self) -> np.ndarray:
        """float64 ``[*unit]`` fraction of tokens where the unit fires."""
        return self.n_firing / max(self.n_tokens, 1)

    @property
    def top(self) -> TopArrays:
        """The top examples as one :class:`TopArrays`."""
        return TopArrays(
            self.values, self.docs, self.positions, self.window_tokens, self.window_values
        )

    def token_ids(self, indices: np.ndarray) -> np.ndarray:
        """int64 token ids of vocab ``indices`` (any shape; -1 stays -1)."""
        return np.append(self.vocab_ids, -1)[indices]

    def _unit(self, unit: Any) -> int:
        """``unit`` checked as an index along the last unit axis."""
        n = int(self.values.shape[-2])
        if isinstance(unit, bool) or not isinstance(unit, numbers.Integral):
            raise TypeError(f"{self.UNIT} must be an int, got {type(unit).__name__}")
        index = int(unit)
        if not 0 <= index < n:
            raise ValueError(
                f"{self.UNIT} = {index} is out of range: expected 0 <= {self.UNIT} < {n}"
            )
        return index

    def _examples_at(self, at: tuple[int, ...]) -> list[Example]:
        """The top examples of the unit at index ``at``, highest first."""
        return examples_of(
            self.docs[at],
            self.positions[at],
            self.window_tokens[at],
            self.window_values[at],
            self.vocab,
            self.context,
        )

    def _meta(self) -> dict[str, Any]:
        """What a file keeps besides the arrays and the common fields (e.g. the layers)."""
        return {}

    @classmethod
    def _from_meta(cls, meta: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments read back from :meth:`_meta`."""
        return {}

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write one ``.npz`` file: an ``.npy`` entry per array plus ``meta.json``."""
        meta = {
            **self._meta(),
            "vocab": self.vocab,
            "n_tokens": self.n_tokens,
            "n_docs": self.n_docs,
            "source": self.source,
            "dedupe": self.dedupe,
        }
        arrays = {name: getattr(self, name) for name in self.ARRAYS}
        return write_archive(path, self.KIND, self.VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> Self:
        """Read a file written by :meth:`save`."""
        arrays, meta = read_archive(path, cls.KIND, cls.VERSION)
        return cls(
            vocab=list(meta["vocab"]),
            n_tokens=int(meta["n_tokens"]),
            n_docs=int(meta["n_docs"]),
            source=meta.get("source", ""),
            dedupe=bool(meta.get("dedupe", False)),
            **cls._from_meta(meta),
            **{name: arrays[name] for name in cls.ARRAYS},
        )

    def _check_mergeable(self, other: Self) -> None:
        """Raise a ValueError naming what differs between ``self`` and ``other`` beyond the
        common checks (e.g. the layers or the hook)."""

    def _merged_extras(
        self, other: Self
    ) -> tuple[list[np.ndarray], Callable[[list[np.ndarray]], dict[str, Any]]]:
        """What a subclass merges besides the top examples: the token-id arrays to index
        into the merged vocabulary (-1: none), and a function of their indices returning
        the other constructor arguments."""
        return [], lambda indices: {}

    def merge(self, other: Self) -> Self:
        """Combine with a scan of the texts that follow this one's (a later shard).

        ``other``'s documents are numbered after this one's. Top examples, windows,
        histograms and counts equal those of one pass over both, element for element, and
        the vocabulary holds exactly the tokens the result uses, as one pass gives; sums
        equal up to float64 rounding (the same terms, added in another order). Scans of
        different units, ``k``, ``context`` or histogram edges are refused.
        """
        if type(other) is not type(self):
            raise TypeError(f"other must be a {type(self).__name__}, got {type(other).__name__}")
        self._check_mergeable(other)
        mine, theirs = self.values.shape[:-1], other.values.shape[:-1]
        if mine != theirs:
            raise ValueError(f"cannot merge: the units differ (shape {mine} vs {theirs})")
        for name in ("k", "context"):
            if getattr(self, name) != getattr(other, name):
                raise ValueError(
                    f"cannot merge: {name} differs ({getattr(self, name)} vs "
                    f"{getattr(other, name)})"
                )
        if not np.array_equal(self.edges, other.edges):
            raise ValueError("cannot merge: the histogram edges differ")
        if self.dedupe != other.dedupe:
            raise ValueError(
                f"cannot merge: dedupe differs ({self.dedupe} vs {other.dedupe}): scan both "
                "parts with the same dedupe"
            )
        first = self.top.with_tokens(self.token_ids(self.window_tokens))
        later = other.top.with_tokens(other.token_ids(other.window_tokens)).after(self.n_docs)
        top = first.merged(later, self.k, dedupe=self.dedupe)
        extras, finish = self._merged_extras(other)
        vocab_ids, indices = index_tokens(top.window_tokens, *extras)
        strings = dict(zip(other.vocab_ids.tolist(), other.vocab, strict=True))
        strings.update(zip(self.vocab_ids.tolist(), self.vocab, strict=True))
        return type(self)(
            **top.with_tokens(indices[0])._asdict(),
            vocab=[strings[i] for i in vocab_ids.tolist()],
            vocab_ids=vocab_ids,
            edges=self.edges,
            counts=self.counts + other.counts,
            n_firing=self.n_firing + other.n_firing,
            sums=self.sums + other.sums,
            n_tokens=self.n_tokens + other.n_tokens,
            n_docs=self.n_docs + other.n_docs,
            source=self.source if self.source == other.source else "merged scans",
            dedupe=self.dedupe,
            **finish(indices[1:]),
        )
