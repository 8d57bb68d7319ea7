"""Link a view that selects a head (HeadScoresView, AttributionView) with an AttentionView:
one selected head, shown by both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from .attention import AttentionView
from .head_scores import HeadScoresView

if TYPE_CHECKING:
    from .attribution import AttributionView

    HeadPicker: TypeAlias = HeadScoresView | AttributionView

#: The traits a link mirrors (the same name on both views).
LINKED_TRAITS = ("layer", "head")


class HeadLink:
    """A two-way link of ``layer``/``head`` between a score grid and an attention view.

    Made by :func:`link_heads`. Selecting a head in the grid shows it in the attention view;
    changing the attention view's layer or head moves the grid selection. A change that the
    link itself makes is not sent back (no feedback loop). :meth:`unlink` stops it.
    """

    #: The traits mirrored (the same name on both views).
    traits: tuple[str, ...] = LINKED_TRAITS

    def __init__(self, scores_view: HeadPicker, attention_view: AttentionView) -> None:
        self._check(scores_view, attention_view)
        self.scores_view = scores_view
        self.attention_view = attention_view
        self._busy = False
        self._linked = True
        self._copy(scores_view, attention_view)
        scores_view.observe(self._from_scores, names=list(self.traits))
        attention_view.observe(self._from_attention, names=list(self.traits))
        scores_view._head_links.append(self)

    @staticmethod
    def _check(scores_view: Any, attention_view: Any) -> None:
        """Raise when the two views cannot be linked."""
        if not hasattr(scores_view, "_head_links") or not hasattr(scores_view, "n_heads"):
            raise TypeError(
                "scores_view must be a view that selects a head (mi_widgets.HeadScoresView or "
                f"AttributionView), got {type(scores_view).__name__}"
            )
        if not isinstance(attention_view, AttentionView):
            raise TypeError(
                "attention_view must be a mi_widgets.AttentionView, got "
                f"{type(attention_view).__name__}"
            )
        grid = (scores_view.n_layers, scores_view.n_heads)
        pattern = (attention_view.n_layers, attention_view.n_heads)
        if grid != pattern:
            raise ValueError(
                f"scores_view has {grid[0]} layers x {grid[1]} heads but attention_view has "
                f"{pattern[0]} x {pattern[1]}: link views of the same model and layers"
            )

    @property
    def linked(self) -> bool:
        return self._linked

    def unlink(self) -> None:
        """Stop mirroring; the views keep their current selection. Calling it twice is fine."""
        if not self._linked:
            return
        self._linked = False
        self.scores_view.unobserve(self._from_scores, names=list(self.traits))
        self.attention_view.unobserve(self._from_attention, names=list(self.traits))
        if self in self.scores_view._head_links:
            self.scores_view._head_links.remove(self)

    def _from_scores(self, _change: dict[str, Any]) -> None:
        self._copy(self.scores_view, self.attention_view)

    def _from_attention(self, _change: dict[str, Any]) -> None:
        self._copy(self.attention_view, self.scores_view)

    def _copy(self, source: Any, target: Any) -> None:
        changes = {
            name: getattr(source, name)
            for name in self.traits
            if getattr(target, name) != getattr(source, name)
        }
        if self._busy or not changes:
            return
        self._busy = True
        try:
            with target.hold_sync():  # one message to the page for layer and head together
                for name, value in changes.items():
                    setattr(target, name, value)
        finally:
            self._busy = False

    def __enter__(self) -> HeadLink:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.unlink()

    def __repr__(self) -> str:
        state = "linked" if self._linked else "unlinked"
        return f"HeadLink({state}: layer={self.scores_view.layer}, head={self.scores_view.head})"


def link_heads(scores_view: HeadPicker, attention_view: AttentionView) -> HeadLink:
    """Keep ``attention_view.layer/head`` and ``scores_view.layer/head`` the same, both ways.

    The attention view first moves to the grid's selection. In a report written by
    :func:`~mi_widgets.to_html` with both views, the page keeps the link too.

    Returns:
        A :class:`HeadLink`; call ``.unlink()`` to stop.

    Example:
        >>> attention_view = mw.AttentionView(trace)
        >>> scores_view = mw.HeadScoresView(mw.head_scores(trace))
        >>> link = mw.link_heads(scores_view, attention_view)
        >>> scores_view.head = 2
        >>> attention_view.head
        2
        >>> link.unlink()
    """
    return HeadLink(scores_view, attention_view)


class LensLink(HeadLink):
    """A two-way link between a LogitLensView's selected cell and an AttentionView.

    Made by :func:`link_lens`. The lens view's ``layer`` (the attention layer of its selected
    row) and ``query_token`` (its selected position) are mirrored with the attention view's
    ``layer`` and ``query_token``; the lens view keeps them in step with ``row`` and
    ``position``.
    """

    traits = ("layer", "query_token")

    @staticmethod
    def _check(lens_view: Any, attention_view: Any) -> None:
        from .lens import LogitLensView

        if not isinstance(lens_view, LogitLensView):
            raise TypeError(
                f"lens_view must be a mi_widgets.LogitLensView, got {type(lens_view).__name__}"
            )
        if not isinstance(attention_view, AttentionView):
            raise TypeError(
                "attention_view must be a mi_widgets.AttentionView, got "
                f"{type(attention_view).__name__}"
            )
        if lens_view.n_layer_rows != attention_view.n_layers:
            raise ValueError(
                f"lens_view has {lens_view.n_layer_rows} layer rows but attention_view has "
                f"{attention_view.n_layers} layers: link views of the same model and layers"
            )
        if len(lens_view.tokens) != len(attention_view.tokens):
            raise ValueError(
                f"lens_view has {len(lens_view.tokens)} positions but attention_view has "
                f"{len(attention_view.tokens)} tokens: link views of the same text"
            )

    def __repr__(self) -> str:
        state = "linked" if self._linked else "unlinked"
        view = self.scores_view
        return f"LensLink({state}: row={view.rows[view.row]}, position={view.position})"


def link_lens(lens_view: Any, attention_view: AttentionView) -> LensLink:
    """Link a LogitLensView's selected cell with an AttentionView, both ways.

    Selecting a cell sets the attention view's ``layer`` (the cell's layer; the ``"embed"``
    row maps to none and leaves it) and ``query_token`` (the cell's position); the attention
    view's ``layer`` and ``query_token`` move the lens selection. In a report written by
    :func:`~mi_widgets.to_html` with both views, the page keeps the link too.

    Returns:
        A :class:`LensLink`; call ``.unlink()`` to stop.

    Example:
        >>> lens_view = mw.LogitLensView(mw.logit_lens(trace))
        >>> attention_view = mw.AttentionView(trace)
        >>> link = mw.link_lens(lens_view, attention_view)
        >>> lens_view.position = 4
        >>> attention_view.query_token
        4
    """
    return LensLink(lens_view, attention_view)


def report_links(views: Sequence[Any], ids: Sequence[str]) -> list[dict[str, Any]]:
    """The active links between ``views`` as report data (``ids[i]`` is the id of view i).

    Each link is ``{"source": id, "target": id, "traits": ["layer", "head"]}``: the page
    mirrors those traits between the two views, both ways.
    """
    index = {id(view): view_id for view, view_id in zip(views, ids, strict=True)}
    links = []
    for view in views:
        if not hasattr(view, "_head_links"):  # the views that select a head
            continue
        for link in view.links:
            target = index.get(id(link.attention_view))
            if target is not None:
                links.append(
                    {"source": index[id(view)], "target": target, "traits": list(link.traits)}
                )
    return links
