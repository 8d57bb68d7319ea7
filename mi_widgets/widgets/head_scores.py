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

#: The values of ``scores_on``: the scores given to the view, or those of the linked text.
SCORES_ON = ("given", "text")


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
        view.scores_on = "text"               # show those instead (the page's switch)

    Linked through ``attention=`` to a view of another input than the scores' (scores of
    repeated random tokens, attention of an English sentence), the view opens on the head
    that leads ``score`` on the attention view's own text, the title says which input the
    grid's scores come from, and a switch "Scores on: random repeats | this text" in the page
    shows either grid (both travel to the page, so the switch also works in exported HTML).
    A head that leads on random repeats may do something else on a given text (attend to the
    first token), so the head shown is one that does it there.

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
        scores_on: ``"given"`` shows ``scores``; ``"text"`` the scores of ``attention``'s
            text (:attr:`text_scores`), which needs ``attention`` of another input.
        title: the heading while ``scores`` are shown; by default ``scores.source``, and with
            ``attention`` of another input, that source, that it is not the text shown, and
            the head opened on. While the text's scores are shown the heading is
            ``text_title`` (``title`` when given, else the text's source).

    Synced traits: ``score``, ``layer``, ``head``, ``scores_on``. ``layer`` (argument or
    trait) may be negative, counting from the end; the trait stores the positive layer.
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
    #: Which scores the grid shows: ``"given"`` (``scores``) or ``"text"`` (``text_scores``).
    scores_on = traitlets.Unicode("given").tag(sync=True)
    #: The heading while ``scores_on == "text"`` (``title`` is the one of the given scores).
    text_title = traitlets.Unicode("").tag(sync=True)
    #: Short names of the two inputs for the switch: ``{"given": ..., "text": ...}``.
    source_labels = traitlets.Dict(traitlets.Unicode()).tag(sync=True)
    #: Every score as one encoded float32 array ``[score, layer, head]`` (order of ``names``).
    _values = traitlets.Dict().tag(sync=True)
    #: The same for the attention view's text; ``{}`` when the switch is not offered.
    _text_values = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        scores: HeadScores | Mapping[str, Any],
        score: str = "induction",
        *,
        layer: int | None = None,
        head: int | None = None,
        attention: AttentionView | None = None,
        scores_on: str = "given",
        title: str | None = None,
    ) -> None:
        data = _as_head_scores(scores)
        data.check_name(score, "score")
        self._text_scores = _scores_of_text(attention, data)
        on_text, heading = _opening(data, score, self._text_scores)
        if layer is None and head is None:
            best = on_text or data.top(score, 1)
            layer, head = (data.layers.index(best[0][0]), best[0][1]) if best else (0, 0)
        self._default_title = title is None
        layer = check_layer(0 if layer is None else layer, data.n_layers, None)
        head = check_index(0 if head is None else head, data.n_heads, "head")
        self._data = data
        super().__init__(
            names=data.names,
            layer_labels=list(data.layers),
            n_layers=data.n_layers,
            n_heads=data.n_heads,
            title=heading if title is None else title,
            score=score,
            layer=layer,
            head=head,
            _values=_encode(data),
            **self._text_traits(data, title),
        )
        self.scores_on = scores_on
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
            self.scores_on = "given"
            own_title = None if self._default_title else self.title
            for name, value in self._text_traits(data, own_title).items():
                self.set_trait(name, value)
            if self._default_title:
                self.title = _given_heading(data, self._text_scores)
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
    def shown_scores(self) -> HeadScores:
        """The scores the grid shows: :attr:`scores`, or :attr:`text_scores` when
        ``scores_on == "text"``."""
        if self.scores_on == "text" and self._text_scores is not None:
            return self._text_scores
        return self._data

    @property
    def source(self) -> str:
        """What the shown scores were measured on, in words (their ``source``)."""
        return self.shown_scores.source

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

    def _text_traits(self, data: HeadScores, title: str | None) -> dict[str, Any]:
        """The traits of the switch to the text's scores (empty ones when it is not offered:
        no linked text, another shape, or the text's own scores already shown)."""
        text = self._text_scores
        if (
            text is None
            or (text.shape, text.layers) != (data.shape, data.layers)
            or _same_input(data, text)
        ):
            return {"text_title": "", "source_labels": {}, "_text_values": {}}
        return {
            "text_title": f"Scores: {text.source}." if title is None else title,
            "source_labels": {"given": _short_label(data.source), "text": "this text"},
            "_text_values": _encode(text, data.names),
        }

    @traitlets.validate("score")
    def _valid_score(self, proposal: dict[str, Any]) -> str:
        return self._data.check_name(proposal["value"], "score")

    @traitlets.validate("scores_on")
    def _valid_scores_on(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value not in SCORES_ON:
            raise ValueError(f"scores_on must be 'given' or 'text', got {value!r}")
        if value == "text" and not self._text_values:
            linked = (
                "none is linked"
                if self._text_scores is None
                else "the linked one shows the scores' own input"
            )
            raise ValueError(
                "scores_on='text' needs an AttentionView of another input than the scores, "
                f"given as attention= ({linked})"
            )
        return value

    def __repr__(self) -> str:
        shown = self.shown_scores
        values = shown.scores.get(self.score)
        value = np.nan if values is None else float(values[self.layer, self.head])
        return (
            f"HeadScoresView({self.n_layers} layers x {self.n_heads} heads, "
            f"score={self.score!r}, selected L{self._data.layers[self.layer]}H{self.head} = "
            f"{value:.4f}" + (", scores on the text shown)" if self.scores_on == "text" else ")")
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


def _short_label(source: str) -> str:
    """The switch's name of the given scores' input (``source`` in full is the heading)."""
    return "random repeats" if "repeated random tokens" in source else "given scores"


def _given_heading(data: HeadScores, text: HeadScores | None) -> str:
    """The default title: the scores' source, and whether it is the linked text."""
    if text is None or _same_input(data, text):
        return data.source
    return f"Scores: {data.source}, not the text shown."


def _opening(
    data: HeadScores, score: str, text: HeadScores | None
) -> tuple[list[tuple[int, int, float]], str]:
    """The best head of ``score`` on the linked text (when the grid shows another input's
    scores, else ``[]``) and the default title saying which input the grid's scores are of."""
    title = _given_heading(data, text)
    if text is None or _same_input(data, text):
        return [], title
    best = text.top(score, 1) if score in text.names else []
    if not best:
        return [], title
    layer, head, value = best[0]
    name = score.replace("_", "-")
    return best, (
        f"{title} Opened on L{layer}H{head}, the top {name} head on the text shown ({value:.2f})."
    )


def _encode(data: HeadScores, names: list[str] | None = None) -> EncodedArray:
    """The scores ``names`` (default: all) as float32 ``[score, layer, head]``; NaN stays
    NaN, and so is a name ``data`` lacks."""
    missing = np.full(data.shape, np.nan, dtype=np.float32)
    order = data.names if names is None else names
    stacked = np.stack([data.scores.get(name, missing) for name in order]).astype(np.float32)
    return encode_array(stacked)
