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

Repeated contexts (a document that appears several times, shared boilerplate) are examples
once: with ``dedupe=True`` (the default) a window of token ids equal to a better-ranked
one's is skipped, so ``k`` examples are ``k`` different contexts; ties keep the earlier
copy, so of repeated documents the first in corpus order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from ..capture.reader import CorpusReader
from ..capture.sites import n_layers
from ..checks import check_layers, non_negative_int, positive_int
from ._streaming import Scan
from .examples import CorpusExamples, Example, index_tokens
from .histograms import POWERS_OF_TWO

#: Default histogram bin edges, the same for every neuron so shards merge: powers of two,
#: ``-1024, -512, ..., -2**-10, 0, 2**-10, ..., 512, 1024`` (42 bins; a bin doubles the
#: magnitude). Values outside ``[-1024, 1024]`` are counted in the outermost bins.
DEFAULT_EDGES = POWERS_OF_TWO.numpy().copy()
DEFAULT_EDGES.setflags(write=False)


@dataclass(frozen=True, eq=False, kw_only=True)
class TopActivations(CorpusExamples):
    """Top-``k`` examples, histogram and density of every neuron of some MLP layers.

    Arrays are numpy, indexed ``[layer, neuron, ...]`` where ``layer`` is an index into
    :attr:`layers` (use :meth:`layer_index` for a model layer); their meaning is that of
    :class:`~mi_widgets.analysis.examples.CorpusExamples` with ``unit = (layer, neuron)``.
    Rows past the number of tokens seen (a corpus with fewer than ``k`` tokens) hold
    ``doc = -1`` and NaN values. A neuron fires where its activation is > 0.

    Attributes:
        layers: the model layers, ascending.
    """

    UNIT: ClassVar[str] = "neuron"
    KIND: ClassVar[str] = "TopActivations"

    layers: tuple[int, ...]

    @property
    def n_neurons(self) -> int:
        return int(self.values.shape[1])

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

    def examples(self, neuron: int, layer: int | None = None) -> list[Example]:
        """The top examples of one neuron, highest first (fewer than ``k`` on tiny corpora)."""
        return self._examples_at((self.layer_index(layer), self._unit(neuron)))

    def histogram(self, neuron: int, layer: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(counts [bins], edges [bins + 1])`` of one neuron's activations."""
        return self.counts[self.layer_index(layer), self._unit(neuron)], self.edges

    def _meta(self) -> dict[str, Any]:
        return {"layers": list(self.layers)}

    @classmethod
    def _from_meta(cls, meta: dict[str, Any]) -> dict[str, Any]:
        return {"layers": tuple(meta["layers"])}

    def _check_mergeable(self, other: TopActivations) -> None:
        if self.layers != other.layers:
            raise ValueError(f"cannot merge: layers differs ({self.layers} vs {other.layers})")

    def _merged_extras(
        self, other: TopActivations
    ) -> tuple[list[np.ndarray], Callable[[list[np.ndarray]], dict[str, Any]]]:
        return [], lambda indices: {"layers": self.layers}

    def __repr__(self) -> str:
        return (
            f"TopActivations(layers={list(self.layers)}, {self.n_neurons} neurons, k={self.k}, "
            f"context={self.context}, {self.n_tokens} tokens in {self.n_docs} documents)"
        )


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
    dedupe: bool = True,
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
        dedupe: count identical windows once among a neuron's top ``k`` (the same
            ``2 * context + 1`` token ids, e.g. from a document that appears several times
            or shared boilerplate): of equal windows the highest activation is kept, and of
            equal activations the earliest (document, then position) copy, so of repeated
            documents the first in corpus order. ``False``: every copy is an example (equal
            copies then fill the top ``k`` in document order). Histograms, density and
            mean count every token either way.
        progress: show a ``tqdm.auto`` progress bar (documents read).

    Returns:
        :class:`TopActivations`: per neuron the top ``k`` (value, document, position) with
        their windows, a histogram, the density (fraction of tokens > 0) and the mean.
        Ties: higher value first, then earlier document, then earlier position.
    """
    reader = CorpusReader(model, tokenizer, max_length)
    layers = check_layers(layer, n_layers(model), reader.name, name="layer")
    sites = [f"blocks.{i}.mlp.hook_post" for i in layers]
    k = positive_int(k, "k")
    context = non_negative_int(context, "context")
    batch_size = positive_int(batch_size, "batch_size")
    for name, flag in (("truncate", truncate), ("dedupe", dedupe)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    edges = _edges(bins)
    scan = Scan(k, context, edges, dedupe=dedupe)
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
    vocab_ids, (window_tokens,) = index_tokens(window_ids)
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
        dedupe=dedupe,
    )


def _edges(bins: Any) -> torch.Tensor:
    edges = DEFAULT_EDGES if bins is None else np.asarray(bins, dtype=np.float32)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError("bins must be at least 2 strictly ascending bin edges")
    return torch.from_numpy(edges.copy())
