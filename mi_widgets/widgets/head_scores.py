"""HeadScoresView: every head of the model as one cell of a layer x head grid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets

from ..analysis.scores import HeadScores
from ..checks import check_index, check_layer
from ._serialization import EncodedArray, encode_array
from .base import SlicedView

if TYPE_CHECKING:
    from .attention import AttentionView
    from .link import HeadLink


class HeadScoresView(SlicedView):
    """A layer x head grid coloured by one head score; click a head to select it.

    ::

        scores = mw.head_scores(model, tokenizer)
        view = mw.HeadScoresView(scores, score="induction")
        view.layer, view.head                 # the head clicked in the page
        view.score = "previous_token"         # the page follows

        # selecting a head also shows it in an AttentionView (both ways):
        view = mw.HeadScoresView(scores, attention=mw.AttentionView(trace))

    Colours use the fixed scale ``[0, 1]`` (every score is a mean attention probability);
    NaN (a score not defined for that input) is drawn hatched and reads "n/a". Scores travel
    as float32, exactly.

    Args:
        scores: a :class:`~mi_widgets.HeadScores`, or a dict of score name → ``[layer, head]``
            arrays.
        score: the score that colours the grid.
        layer, head: the selected head (``layer`` is the row, an index into
            ``scores.layers``); by default the best head of ``score``.
        attention: an :class:`~mi_widgets.AttentionView` to link with
            (:func:`~mi_widgets.link_heads`): the grid selection and the view's layer/head
            follow each other.
        title: the heading; by default ``scores.source``.

    Synced traits: ``score``, ``layer``, ``head``. ``layer`` (argument or trait) may be
    negative, counting from the end; the trait stores the positive layer.
    """

    _module = "head_scores"

    names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    layer_labels = traitlets.List(traitlets.Int()).tag(sync=True)
    n_layers = traitlets.Int(1).tag(sync=True)
    n_heads = traitlets.Int(1).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    score = traitlets.Unicode("").tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    head = traitlets.Int(0).tag(sync=True)
    #: Every score as one encoded float32 array ``[score, layer, head]`` (order of ``names``).
    _values = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        scores: HeadScores | Mapping[str, Any],
        score: str = "induction",
        *,
        layer: int | None = None,
        head: int | None = None,
        attention: AttentionView | None = None,
        title: str | None = None,
    ) -> None:
        data = _as_head_scores(scores)
        data.check_name(score, "score")
        if layer is None and head is None:
            best = data.top(score, 1)
            layer, head = (data.layers.index(best[0][0]), best[0][1]) if best else (0, 0)
        layer = check_layer(0 if layer is None else layer, data.n_layers, None)
        head = check_index(0 if head is None else head, data.n_heads, "head")
        self._data = data
        self._head_links: list[HeadLink] = []
        super().__init__(
            names=data.names,
            layer_labels=list(data.layers),
            n_layers=data.n_layers,
            n_heads=data.n_heads,
            title=data.source if title is None else title,
            score=score,
            layer=layer,
            head=head,
            _values=_encode(data),
        )
        if attention is not None:
            from .link import link_heads

            link_heads(self, attention)

    @property
    def scores(self) -> HeadScores:
        """The scores shown; assign new :class:`~mi_widgets.HeadScores` to redraw."""
        return self._data

    @scores.setter
    def scores(self, scores: HeadScores | Mapping[str, Any]) -> None:
        data = _as_head_scores(scores)
        links = [link for link in self._head_links if link.linked]
        if links and data.shape != self._data.shape:
            raise ValueError(
                f"scores has {data.n_layers} layers x {data.n_heads} heads but this view is "
                f"linked to an AttentionView of {self.n_layers} x {self.n_heads}; unlink first"
            )
        self._data = data
        with self.hold_sync():
            self.layer = min(self.layer, data.n_layers - 1)
            self.head = min(self.head, data.n_heads - 1)
            self.set_trait("n_layers", data.n_layers)
            self.set_trait("n_heads", data.n_heads)
            self.names = data.names
            if self.score not in data.scores:
                self.score = data.names[0]
            self.layer_labels = list(data.layers)
            self._values = _encode(data)

    @property
    def links(self) -> list[HeadLink]:
        """The active links to AttentionViews (see :func:`~mi_widgets.link_heads`)."""
        return [link for link in self._head_links if link.linked]

    def slice_keys(self) -> list[str]:
        """None: the scores are small and always travel in ``_values``."""
        return []

    def encode_slice(self, key: str) -> EncodedArray:
        raise KeyError(f"HeadScoresView has no slice {key!r}")

    @traitlets.validate("score")
    def _valid_score(self, proposal: dict[str, Any]) -> str:
        return self._data.check_name(proposal["value"], "score")

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: dict[str, Any]) -> int:
        return check_layer(proposal["value"], self.n_layers, None)

    @traitlets.validate("head")
    def _valid_head(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], self.n_heads, "head")

    def __repr__(self) -> str:
        value = float(self._data[self.score][self.layer, self.head])
        return (
            f"HeadScoresView({self.n_layers} layers x {self.n_heads} heads, "
            f"score={self.score!r}, selected L{self._data.layers[self.layer]}H{self.head} = "
            f"{value:.4f})"
        )


def _as_head_scores(scores: Any) -> HeadScores:
    if isinstance(scores, HeadScores):
        return scores
    if isinstance(scores, Mapping):
        return HeadScores(dict(scores))
    raise TypeError(
        "scores must be mi_widgets.HeadScores (from mw.head_scores(...)) or a dict of "
        f"score name -> [layer, head] array, got {type(scores).__name__}"
    )


def _encode(data: HeadScores) -> EncodedArray:
    """Every score as float32 ``[score, layer, head]``; NaN stays NaN."""
    stacked = np.stack([data.scores[name] for name in data.names]).astype(np.float32)
    return encode_array(stacked)
