"""Links between views, as data: a :class:`Link` keeps traits of a source view and of a target
view equal, both ways, following a :class:`LinkRule` (which views, which traits).

The same link data serve Python (:class:`Link`), a view's notebook snapshot and exported
reports (:meth:`Link.report_data`, read by ``js/src/standalone/links.ts``). A view says which
rules it can take part in with ``link_sources`` / ``link_targets``; this module imports no
view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import anywidget


class Side(NamedTuple):
    """One side of a link, for error messages: its argument name and what it must be."""

    name: str
    expected: str


@dataclass(frozen=True, eq=False)
class LinkRule:
    """One kind of link: the traits it mirrors and the views it joins.

    Calling a rule links two views: ``HeadLink(scores_view, attention_view)`` returns a
    :class:`Link`.
    """

    #: Shown in the link's ``repr``.
    name: str
    #: Source trait → target trait.
    traits: Mapping[str, str]
    source: Side
    target: Side
    #: Raises ``ValueError`` when the two views do not show the same model or text.
    check_sizes: Callable[[Any, Any], None]
    #: The source's selection, for ``repr``.
    describe: Callable[[Any], str]

    def check(self, source: Any, target: Any) -> None:
        """Raise ``TypeError`` when a view cannot take its side, ``ValueError`` when the two
        do not match."""
        is_source = isinstance(source, LinkableView) and self in source.link_sources
        is_target = isinstance(target, LinkableView) and self in target.link_targets
        for fits, view, side in (
            (is_source, source, self.source),
            (is_target, target, self.target),
        ):
            if not fits:
                raise TypeError(f"{side.name} must be {side.expected}, got {type(view).__name__}")
        self.check_sizes(source, target)

    def __call__(self, source: LinkableView, target: LinkableView) -> Link:
        return Link(self, source, target)

    def __repr__(self) -> str:
        return f"LinkRule({self.name}: {dict(self.traits)})"


class LinkableView(anywidget.AnyWidget):
    """A widget that links can join; it lists its active links in :attr:`links`.

    Subclasses name the rules they take part in: ``link_sources`` (the rules in which this
    view is the source) and ``link_targets``.
    """

    link_sources: ClassVar[tuple[LinkRule, ...]] = ()
    link_targets: ClassVar[tuple[LinkRule, ...]] = ()

    def __init__(self, **kwargs: Any) -> None:
        self._links: list[Link] = []
        super().__init__(**kwargs)

    @property
    def links(self) -> list[Link]:
        """The active links this view takes part in, as source or target."""
        return list(self._links)


class Link:
    """A two-way link: the traits ``rule.traits`` of ``source`` and of ``target`` kept equal.

    Made by calling a :class:`LinkRule` (or :func:`link_heads`, :func:`link_lens`). The target
    first takes the source's values; later a change on either side is copied to the other,
    all the traits in one message to the page. A change the link itself makes is not sent
    back (no feedback loop). :meth:`unlink` (or leaving a ``with`` block) stops it.
    """

    def __init__(self, rule: LinkRule, source: LinkableView, target: LinkableView) -> None:
        rule.check(source, target)
        self.rule = rule
        self.source = source
        self.target = target
        self._busy = False
        self._linked = True
        self._copy(source, target, rule.traits)
        source.observe(self._from_source, names=list(rule.traits))
        target.observe(self._from_target, names=list(rule.traits.values()))
        source._links.append(self)
        target._links.append(self)

    @property
    def traits(self) -> dict[str, str]:
        """Source trait → target trait."""
        return dict(self.rule.traits)

    @property
    def linked(self) -> bool:
        return self._linked

    def unlink(self) -> None:
        """Stop mirroring; the views keep their current values. Calling it twice is fine."""
        if not self._linked:
            return
        self._linked = False
        self.source.unobserve(self._from_source, names=list(self.rule.traits))
        self.target.unobserve(self._from_target, names=list(self.rule.traits.values()))
        self.source._links.remove(self)
        self.target._links.remove(self)

    @property
    def report_traits(self) -> list[str | list[str]]:
        """The traits as report data: a name when both views use it, else ``[source name,
        target name]``."""
        return [name if name == to else [name, to] for name, to in self.rule.traits.items()]

    def report_data(self, source_id: str, target_id: str) -> dict[str, Any]:
        """The link as report data: ``{"source", "target", "traits"}`` (see
        :attr:`report_traits`)."""
        return {"source": source_id, "target": target_id, "traits": self.report_traits}

    def _from_source(self, _change: dict[str, Any]) -> None:
        self._copy(self.source, self.target, self.rule.traits)

    def _from_target(self, _change: dict[str, Any]) -> None:
        pairs = {target: source for source, target in self.rule.traits.items()}
        self._copy(self.target, self.source, pairs)

    def _copy(self, source: LinkableView, target: LinkableView, pairs: Mapping[str, str]) -> None:
        changes = {
            to: getattr(source, name)
            for name, to in pairs.items()
            if getattr(target, to) != getattr(source, name)
        }
        if self._busy or not changes:
            return
        self._busy = True
        try:
            with target.hold_sync():  # one message to the page for all the traits
                for name, value in changes.items():
                    setattr(target, name, value)
        finally:
            self._busy = False

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.unlink()

    def __repr__(self) -> str:
        state = "linked" if self._linked else "unlinked"
        return f"{self.rule.name}({state}: {self.rule.describe(self.source)})"


def _same_heads(scores_view: Any, attention_view: Any) -> None:
    grid = (scores_view.n_layers, scores_view.n_heads)
    pattern = (attention_view.n_layers, attention_view.n_heads)
    if grid != pattern:
        raise ValueError(
            f"scores_view has {grid[0]} layers x {grid[1]} heads but attention_view has "
            f"{pattern[0]} x {pattern[1]}: link views of the same model and layers"
        )


def _same_layers_and_text(lens_view: Any, attention_view: Any) -> None:
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


ATTENTION_VIEW = Side("attention_view", "a mi_widgets.AttentionView")

#: A view that selects a head (HeadScoresView, AttributionView, CompositionView) ↔ an
#: AttentionView or a CompositionView.
HeadLink = LinkRule(
    name="HeadLink",
    traits={"layer": "layer", "head": "head"},
    source=Side(
        "scores_view",
        "a view that selects a head (mi_widgets.HeadScoresView, AttributionView or "
        "CompositionView)",
    ),
    target=Side("attention_view", "a mi_widgets.AttentionView (or CompositionView)"),
    check_sizes=_same_heads,
    describe=lambda view: f"layer={view.layer}, head={view.head}",
)

#: A LogitLensView's selected cell ↔ an AttentionView: the lens view's ``layer`` (the
#: attention layer of its selected row) and ``query_token`` (its selected position), which
#: it keeps in step with ``row`` and ``position``.
LensLink = LinkRule(
    name="LensLink",
    traits={"layer": "layer", "query_token": "query_token"},
    source=Side("lens_view", "a mi_widgets.LogitLensView"),
    target=ATTENTION_VIEW,
    check_sizes=_same_layers_and_text,
    describe=lambda view: f"row={view.rows[view.row]}, position={view.position}",
)


def link_heads(scores_view: LinkableView, attention_view: LinkableView) -> Link:
    """Keep ``attention_view.layer/head`` and ``scores_view.layer/head`` the same, both ways.

    ``scores_view`` is a HeadScoresView, AttributionView or CompositionView; ``attention_view``
    an AttentionView or a CompositionView (its strongest partners light up). The second view
    first moves to the first one's selection. In a report written by
    :func:`~mi_widgets.to_html` with both views, the page keeps the link too.

    Returns:
        A :class:`Link` (its ``repr`` reads ``HeadLink(...)``); call ``.unlink()`` to stop.

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


def link_lens(lens_view: LinkableView, attention_view: LinkableView) -> Link:
    """Link a LogitLensView's selected cell with an AttentionView, both ways.

    Selecting a cell sets the attention view's ``layer`` (the cell's layer; the ``"embed"``
    row maps to none and leaves it) and ``query_token`` (the cell's position); the attention
    view's ``layer`` and ``query_token`` move the lens selection. In a report written by
    :func:`~mi_widgets.to_html` with both views, the page keeps the link too.

    Returns:
        A :class:`Link` (its ``repr`` reads ``LensLink(...)``); call ``.unlink()`` to stop.

    Example:
        >>> lens_view = mw.LogitLensView(mw.logit_lens(trace))
        >>> attention_view = mw.AttentionView(trace)
        >>> link = mw.link_lens(lens_view, attention_view)
        >>> lens_view.position = 4
        >>> attention_view.query_token
        4
    """
    return LensLink(lens_view, attention_view)


def report_links(views: Sequence[LinkableView], ids: Sequence[str]) -> list[dict[str, Any]]:
    """The active links between ``views`` as report data (``ids[i]`` is the id of view i),
    each once, in the order of their source views (see :meth:`Link.report_data`)."""
    index = {id(view): view_id for view, view_id in zip(views, ids, strict=True)}
    return [
        link.report_data(index[id(view)], index[id(link.target)])
        for view in views
        for link in view.links
        if link.source is view and id(link.target) in index
    ]
