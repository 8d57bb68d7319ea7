"""The top-activating corpus examples of every MLP neuron, streamed over any number of texts.

>>> top = mw.top_activations(model, tokenizer, texts, layer=1, k=20, context=8, progress=False)
>>> best = top.examples(neuron=42)[0]
>>> best.doc, best.position, len(best.tokens)
(1, 74, 17)
>>> mw.TopActivations.load(top.save("l1_top.npz"))
TopActivations(layers=[1], 512 neurons, k=20, context=8, 752 tokens in 4 documents)

The corpus is read in batches of texts; each batch runs one forward pass that records only
``blocks.{layer}.mlp.hook_post`` of the requested layers. For every neuron at once, the batch's
``k`` best (value, document, position) candidates (``torch.topk`` over all positions) are merged
with the running top ``k`` (one sort of ``2k`` candidates per neuron, all neurons together);
context windows are cut only for the candidates that enter. Memory is bounded by ``k`` ×
neurons × window, independent of the corpus length.

Ties are broken deterministically: examples are ordered by activation, highest first; equal
activations by document index, then position, earlier first. Given the same activations the
result does not depend on ``batch_size`` (a forward pass may round the last bits differently
in another batch), and :meth:`TopActivations.merge` of two shards equals one pass over both.
"""

from __future__ import annotations

import numbers
import pathlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.reader import CorpusReader
from ..capture.sites import n_layers
from ._archive import read_archive, write_archive
from ._streaming import POWERS_OF_TWO, Scan, _State

#: Default histogram bin edges, the same for every neuron so shards merge: powers of two,
#: ``-1024, -512, ..., -2**-10, 0, 2**-10, ..., 512, 1024`` (42 bins; a bin doubles the
#: magnitude). Values outside ``[-1024, 1024]`` are counted in the outermost bins.
DEFAULT_EDGES = POWERS_OF_TWO.numpy().copy()
DEFAULT_EDGES.setflags(write=False)

_VERSION = 1
_ARRAYS = (
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


@dataclass(frozen=True)
class Example:
    """One top-activating token of a neuron and the tokens around it.

    Attributes:
        value: the neuron's activation at the token.
        doc: index of the document in the corpus (order of the iterable).
        position: the token's position in the document.
        tokens: the window of up to ``2 * context + 1`` token strings (cut at document ends).
        values: the neuron's activation at each window token, float32 ``[window]``.
        center: index of the example token in ``tokens``.
    """

    value: float
    doc: int
    position: int
    tokens: list[str]
    values: np.ndarray
    center: int


@dataclass(frozen=True, eq=False)
class TopActivations:
    """Top-``k`` examples, histogram and density of every neuron of some MLP layers.

    Arrays are numpy, indexed ``[layer, neuron, ...]`` where ``layer`` is an index into
    :attr:`layers` (use :meth:`layer_index` for a model layer). Rows past the number of tokens
    seen (a corpus with fewer than ``k`` tokens) hold ``doc = -1`` and NaN values.

    Attributes:
        layers: the model layers, ascending.
        values: float32 ``[layer, neuron, k]`` activations, highest first (ties: earlier
            document, then earlier position first).
        docs, positions: int64 ``[layer, neuron, k]`` where each example is.
        window_tokens: int32 ``[layer, neuron, k, 2 * context + 1]`` index into :attr:`vocab`
            of each token of the window centred on the example; -1 outside the document.
        window_values: float32, same shape: the neuron's activation there; NaN outside.
        vocab: the token strings the windows use, each as the tokenizer decodes its id.
        vocab_ids: int64 ``[len(vocab)]`` the token id of each vocab entry.
        edges: float32 ``[bins + 1]`` histogram bin edges (ascending, shared by all neurons).
        counts: int64 ``[layer, neuron, bins]`` tokens per bin; values below ``edges[0]`` or
            above ``edges[-1]`` count in the first or last bin.
        n_firing: int64 ``[layer, neuron]`` tokens with activation > 0.
        sums: float64 ``[layer, neuron]`` sum of activations (for the mean).
        n_tokens: tokens seen (per neuron; padding excluded).
        n_docs: documents read (texts that gave no tokens included).
        source: what was scanned, in words.
    """

    layers: tuple[int, ...]
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

    @property
    def k(self) -> int:
        return int(self.values.shape[2])

    @property
    def context(self) -> int:
        """Tokens on each side of an example in its window."""
        return (int(self.window_tokens.shape[3]) - 1) // 2

    @property
    def n_neurons(self) -> int:
        return int(self.values.shape[1])

    @property
    def density(self) -> np.ndarray:
        """float64 ``[layer, neuron]`` fraction of tokens where the neuron is > 0."""
        return self.n_firing / max(self.n_tokens, 1)

    @property
    def mean(self) -> np.ndarray:
        """float64 ``[layer, neuron]`` mean activation over every token seen."""
        return self.sums / max(self.n_tokens, 1)

    def layer_index(self, layer: int | None) -> int:
        """Index into :attr:`layers` of model layer ``layer`` (``None``: the only layer)."""
        if layer is None:
            if len(self.layers) != 1:
                raise ValueError(f"layer is required: these examples cover layers {self.layers}")
            return 0
        if layer not in self.layers:
            raise ValueError(
                f"layer = {layer} has no examples here; top_activations ran on layers "
                f"{', '.join(map(str, self.layers))}"
            )
        return self.layers.index(layer)

    def _neuron(self, neuron: int) -> int:
        if isinstance(neuron, bool) or not isinstance(neuron, numbers.Integral):
            raise TypeError(f"neuron must be an int, got {type(neuron).__name__}")
        if not 0 <= neuron < self.n_neurons:
            raise ValueError(
                f"neuron = {neuron} is out of range: expected 0 <= neuron < {self.n_neurons}"
            )
        return int(neuron)

    def examples(self, neuron: int, layer: int | None = None) -> list[Example]:
        """The top examples of one neuron, highest first (fewer than ``k`` on tiny corpora)."""
        i, m = self.layer_index(layer), self._neuron(neuron)
        return examples_of(
            self.docs[i, m],
            self.positions[i, m],
            self.window_tokens[i, m],
            self.window_values[i, m],
            self.vocab,
            self.context,
        )

    def histogram(self, neuron: int, layer: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(counts [bins], edges [bins + 1])`` of one neuron's activations."""
        return self.counts[self.layer_index(layer), self._neuron(neuron)], self.edges

    def merge(self, other: TopActivations) -> TopActivations:
        """Combine with a scan of the texts that follow this one's (a later shard).

        ``other``'s documents are numbered after this one's. Equals one pass over both.
        """
        if not isinstance(other, TopActivations):
            raise TypeError(f"other must be a TopActivations, got {type(other).__name__}")
        for name in ("layers", "k", "context", "n_neurons"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                raise ValueError(f"cannot merge: {name} differs ({mine} vs {theirs})")
        if not np.array_equal(self.edges, other.edges):
            raise ValueError("cannot merge: the histogram edges differ")
        vocab_ids = np.union1d(self.vocab_ids, other.vocab_ids)
        strings = dict(zip(other.vocab_ids.tolist(), other.vocab, strict=True))
        strings.update(zip(self.vocab_ids.tolist(), self.vocab, strict=True))

        def remap(part: TopActivations) -> torch.Tensor:
            index = np.append(np.searchsorted(vocab_ids, part.vocab_ids), -1)  # -1 stays -1
            return torch.from_numpy(index[part.window_tokens])

        def state(part: TopActivations, offset: int) -> _State:
            docs = torch.from_numpy(part.docs)
            return _State.ordered(
                values=torch.from_numpy(part.values),
                docs=torch.where(docs >= 0, docs + offset, docs),
                positions=torch.from_numpy(part.positions),
                window_ids=remap(part),
                window_values=torch.from_numpy(part.window_values),
            )

        top = state(self, 0).merged(state(other, self.n_docs), self.k)
        window_ids, window_values = top.windows()
        return TopActivations(
            layers=self.layers,
            values=top.values.numpy(),
            docs=top.docs.numpy(),
            positions=top.positions.numpy(),
            window_tokens=window_ids.numpy(),
            window_values=window_values.numpy(),
            vocab=[strings[i] for i in vocab_ids.tolist()],
            vocab_ids=vocab_ids.astype(np.int64),
            edges=self.edges,
            counts=self.counts + other.counts,
            n_firing=self.n_firing + other.n_firing,
            sums=self.sums + other.sums,
            n_tokens=self.n_tokens + other.n_tokens,
            n_docs=self.n_docs + other.n_docs,
            source=self.source if self.source == other.source else "merged scans",
        )

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write one ``.npz`` file: an ``.npy`` entry per array plus ``meta.json``."""
        meta = {
            "layers": list(self.layers),
            "vocab": self.vocab,
            "n_tokens": self.n_tokens,
            "n_docs": self.n_docs,
            "source": self.source,
        }
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        return write_archive(path, "TopActivations", _VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> TopActivations:
        """Read a file written by :meth:`save`."""
        arrays, meta = read_archive(path, "TopActivations", _VERSION)
        return cls(
            layers=tuple(meta["layers"]),
            vocab=list(meta["vocab"]),
            n_tokens=int(meta["n_tokens"]),
            n_docs=int(meta["n_docs"]),
            source=meta.get("source", ""),
            **{name: arrays[name] for name in _ARRAYS},
        )

    def __repr__(self) -> str:
        return (
            f"TopActivations(layers={list(self.layers)}, {self.n_neurons} neurons, k={self.k}, "
            f"context={self.context}, {self.n_tokens} tokens in {self.n_docs} documents)"
        )


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


def top_activations(
    model: Any,
    tokenizer: Any,
    corpus: Iterable[str],
    layer: int | Sequence[int],
    k: int = 20,
    context: int = 8,
    *,
    batch_size: int = 8,
    max_length: int | None = None,
    truncate: bool = False,
    bins: Any = None,
    progress: bool = True,
) -> TopActivations:
    """Stream ``corpus`` through ``model``; keep every neuron's top ``k`` examples of ``layer``.

    Args:
        model: a Hugging Face model of a family :func:`~mi_widgets.trace` supports, or a
            TransformerLens ``HookedTransformer``.
        tokenizer: its tokenizer (``None`` uses ``model.tokenizer`` for TransformerLens).
            Texts are tokenized as they are, special tokens only if the tokenizer adds them.
        corpus: any iterable of texts (a list, a generator, a dataset column); read once, in
            order. Texts that give no tokens are skipped but keep their index.
        layer: the model layer whose MLP neurons (``blocks.{layer}.mlp.hook_post``,
            ``[pos, d_mlp]``) are scanned, or a list of layers (negative counts from the end).
        k: examples kept per neuron.
        context: tokens kept on each side of an example.
        batch_size: texts per forward pass.
        max_length: the most tokens a text may have; ``None`` for the model's context.
        truncate: cut longer texts to their first ``max_length`` tokens instead of raising.
        bins: histogram bin edges (ascending, at least 2), the same for every neuron;
            ``None`` for :data:`DEFAULT_EDGES` (powers of two from ``2**-10`` to 1024, each
            sign).
        progress: show a ``tqdm.auto`` progress bar (documents read).

    Returns:
        :class:`TopActivations`: per neuron the top ``k`` (value, document, position) with
        their windows, a histogram, the density (fraction of tokens > 0) and the mean.
        Ties: higher value first, then earlier document, then earlier position.
    """
    reader = CorpusReader(model, tokenizer, max_length)
    layers = _layers(layer, n_layers(model), reader.name)
    sites = [f"blocks.{i}.mlp.hook_post" for i in layers]
    k = positive_int(k, "k")
    context = _non_negative_int(context, "context")
    batch_size = positive_int(batch_size, "batch_size")
    if not isinstance(truncate, bool):
        raise TypeError(f"truncate must be True or False, got {truncate!r}")
    edges = _edges(bins)
    scan = Scan(k, context, edges)
    label = "top_activations" if progress else None
    for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=label):
        acts = reader.read(batch.input_ids, batch.mask, sites)  # [layer, batch, pos, neuron]
        scan.add(acts, batch.input_ids, batch.lengths, batch.doc_index)
    n_docs = reader.n_docs
    if n_docs == 0:
        raise ValueError("corpus is empty: give at least one text")
    state = scan.state
    if state is None:
        raise ValueError(f"corpus has {n_docs} texts but none of them gave any token")
    window_ids, window_values = state.windows()
    vocab_ids, window_tokens = _vocabulary(window_ids)
    return TopActivations(
        layers=layers,
        values=state.values.numpy(),
        docs=state.docs.numpy(),
        positions=state.positions.numpy(),
        window_tokens=window_tokens,
        window_values=window_values.numpy(),
        vocab=reader.decode(vocab_ids),
        vocab_ids=vocab_ids,
        edges=edges.numpy(),
        counts=scan.counts.numpy(),
        n_firing=scan.n_firing.numpy(),
        sums=scan.sums.numpy(),
        n_tokens=scan.n_tokens,
        n_docs=n_docs,
        source=f"{reader.name} on {scan.n_tokens} tokens in {n_docs} documents",
    )


def _vocabulary(window_ids: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The distinct token ids used, and the windows as int32 indices into them (-1 outside)."""
    inside = window_ids >= 0
    ids = window_ids.clamp(min=0)
    present = torch.zeros(int(ids.max()) + 1, dtype=torch.bool)
    present[ids[inside]] = True
    index = present.cumsum(0) - 1  # position of each present id among the present ones
    window_tokens = torch.where(inside, index[ids], -1).int()
    return present.nonzero().squeeze(1).numpy().astype(np.int64), window_tokens.numpy()


def _layers(layer: Any, n_layers: int, name: str) -> tuple[int, ...]:
    items = [layer] if isinstance(layer, numbers.Integral) else layer
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"layer must be an int or a list of ints, got {type(layer).__name__}")
    items = list(items)
    if not items:
        raise ValueError("layer is an empty list: give at least one layer")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise TypeError(f"layer must hold ints, got {item!r}")
        if not -n_layers <= int(item) < n_layers:
            raise ValueError(
                f"layer = {item} is out of range: {name} has {n_layers} layers "
                f"(0 <= layer < {n_layers}, or negative from the end)"
            )
    normalised = sorted({int(item) % n_layers for item in items})
    if len(normalised) != len(items):
        raise ValueError(f"layer names a layer twice: {items}")
    return tuple(normalised)


def positive_int(value: Any, name: str) -> int:
    """``value`` as an int, or a ValueError naming ``name`` unless it is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _non_negative_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return int(value)


def _edges(bins: Any) -> torch.Tensor:
    edges = DEFAULT_EDGES if bins is None else np.asarray(bins, dtype=np.float32)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError("bins must be at least 2 strictly ascending bin edges")
    return torch.from_numpy(edges.copy())
