"""HeadScoresView: every head of the model as one cell of a layer x head grid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import traitlets

from ..analysis.scores import HeadScores, head_scores
from ..checks import check_index, check_layer
from ._serialization import EncodedArray, encode_array
from .attention import AttentionView
from .base import SlicedView
from .link import HeadLink, LinkRule
from .selection import HeadSelection


class HeadScoresView(HeadSelection, SlicedView):
    """A layer x head grid coloured by one head score; click a head to select it.

    ::

        scores = mw.head_scores(model, tokenizer)
        view = mw.HeadScoresView(scores, score="induction")
        view.layer, view.head                 # the head clicked in the page
        view.score = "previous_token"         # the page follows

        # selecting a head also shows it in an AttentionView (both ways):
        view = mw.HeadScoresView(scores, attention=mw.AttentionView(trace))
        view.text_scores                      # the same scores on the attention view's text
        view.scores = view.text_scores        # show those instead

    Linked through ``attention=`` to a view of another input than the scores' (scores of
    repeated random tokens, attention of an English sentence), the view opens on the head
    that leads ``score`` on the attention view's own text, and the title says which input the
    grid's scores come from. A head that leads on random repeats may do something else on a
    given text (attend to the first token), so the head shown is one that does it there.

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
            follow each other. Without ``layer``/``head``, the view opens on the best head of
            ``score`` on that view's text (see above).
        title: the heading; by default ``scores.source``, and with ``attention`` of another
            input, that source, that it is not the text shown, and the head opened on.

    Synced traits: ``score``, ``layer``, ``head``. ``layer`` (argument or trait) may be
    negative, counting from the end; the trait stores the positive layer.
    """

    _module = "head_scores"
    link_sources: ClassVar[tuple[LinkRule, ...]] = (HeadLink,)

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
        self._text_scores = _scores_of_text(attention, data)
        on_text, heading = _opening(data, score, self._text_scores)
        if layer is None and head is None:
            best = on_text or data.top(score, 1)
            layer, head = (data.layers.index(best[0][0]), best[0][1]) if best else (0, 0)
        title = heading if title is None else title
        layer = check_layer(0 if layer is None else layer, data.n_layers, None)
        head = check_index(0 if head is None else head, data.n_heads, "head")
        self._data = data
        super().__init__(
            names=data.names,
            layer_labels=list(data.layers),
            n_layers=data.n_layers,
            n_heads=data.n_heads,
            title=title,
            score=score,
            layer=layer,
            head=head,
            _values=_encode(data),
        )
        if attention is not None:
            HeadLink(self, attention)

    @property
    def scores(self) -> HeadScores:
        """The scores shown; assign new :class:`~mi_widgets.HeadScores` to redraw."""
        return self._data

    @scores.setter
    def scores(self, scores: HeadScores | Mapping[str, Any]) -> None:
        data = _as_head_scores(scores)
        if self.links and data.shape != self._data.shape:
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
    def source(self) -> str:
        """What the grid's scores were measured on, in words (``scores.source``)."""
        return self._data.source

    @property
    def text_scores(self) -> HeadScores | None:
        """Every score on the text of the AttentionView given as ``attention=`` (else None).

        Repeats are found by token string; the attention is the one that view holds (uint8
        steps of 1/255 unless it was made with ``precision="float32"``).
        """
        return self._text_scores

    def slice_keys(self) -> list[str]:
        """None: the scores are small and always travel in ``_values``."""
        return []

    def encode_slice(self, key: str) -> EncodedArray:
        raise KeyError(f"HeadScoresView has no slice {key!r}")

    @traitlets.validate("score")
    def _valid_score(self, proposal: dict[str, Any]) -> str:
        return self._data.check_name(proposal["value"], "score")

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


def _scores_of_text(attention: Any, data: HeadScores) -> HeadScores | None:
    """The scores of an AttentionView's own text, or None when it cannot be linked."""
    if not isinstance(attention, AttentionView):
        return None
    if (attention.n_layers, attention.n_heads) != data.shape:
        return None  # link_heads explains the mismatch
    _, ids = np.unique(np.asarray(attention.tokens, dtype=object), return_inverse=True)
    text = head_scores(attention.attention, input_ids=ids.reshape(-1), layers=data.layers)
    repeated = len(ids) - len(set(ids.tolist()))
    source = f"the attention view's text of {len(ids)} tokens ({repeated} repeat an earlier token)"
    return HeadScores(text.scores, layers=text.layers, source=source)


def _same_input(data: HeadScores, text: HeadScores) -> bool:
    """Whether ``data`` holds the scores of ``text``'s input (equal within uint8 steps)."""
    shared = [name for name in data.names if name in text.scores]
    return all(np.allclose(data[name], text[name], atol=1 / 255, equal_nan=True) for name in shared)


def _opening(
    data: HeadScores, score: str, text: HeadScores | None
) -> tuple[list[tuple[int, int, float]], str]:
    """The best head of ``score`` on the linked text (when the grid shows another input's
    scores, else ``[]``) and the default title saying which input the grid's scores are of."""
    if text is None or _same_input(data, text):
        return [], data.source
    title = f"Scores: {data.source}, not the text shown."
    best = text.top(score, 1) if score in text.names else []
    if not best:
        return [], title
    layer, head, value = best[0]
    name = score.replace("_", "-")
    return best, (
        f"{title} Opened on L{layer}H{head}, the top {name} head on the text shown ({value:.2f})."
    )


def _encode(data: HeadScores) -> EncodedArray:
    """Every score as float32 ``[score, layer, head]``; NaN stays NaN."""
    stacked = np.stack([data.scores[name] for name in data.names]).astype(np.float32)
    return encode_array(stacked)
