"""LogitLensView: what every layer would predict at every position, as a row x position grid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import traitlets

from ..analysis.lens import LogitLens
from ..checks import check_index, check_layer
from ._serialization import EncodedArray, encode_array
from .attention import AttentionView
from .base import SlicedView
from .link import LensLink, LinkRule

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Label of the row read before the first block (it maps to no attention layer).
EMBED_ROW = "embed"
#: Largest absolute error of a probability sent as float16 (half a unit in the last place of
#: values in [0.5, 1]; smaller values are closer).
FLOAT16_ERROR = 2.0**-12


class LogitLensView(SlicedView):
    """A row x position grid of each layer's top-1 prediction, and one token's probability per
    layer as a line chart.

    ::

        lens = mw.logit_lens(trace, targets=[" value"])
        view = mw.LogitLensView(lens, attention=mw.AttentionView(trace))
        view.row, view.position          # the cell clicked in the page
        view.target_token = " value"     # the line chart follows
        view.figure()                    # the same line as a plotly FigureWidget

    Each cell shows its most likely token as text and is coloured by that token's
    probability (0 to 1). Hovering a cell lists its ``k`` most likely tokens with their
    probabilities. The chart shows the target's probability at every row, at the selected
    position.

    Probabilities travel as float16 (absolute error at most 2^-12 ≈ 0.00024), or exactly
    with ``precision="float32"``. Per position the page gets the probabilities of the tokens
    in any row's top ``k`` there, of ``lens.targets`` and of the next input token, at every
    row; the chart of any other candidate is fetched from the kernel when chosen.

    Args:
        lens: what :func:`~mi_widgets.logit_lens` returned.
        row: the selected row, an index into ``lens.rows`` or its label (``"L3"``);
            by default the last.
        position: the selected position; by default the last.
        target: the token charted, a candidate index (into ``lens.candidate_tokens``) or its
            string; by default the first of ``lens.targets``, else the selected cell's top-1.
        attention: an :class:`~mi_widgets.AttentionView` of the same model to link with
            (:func:`~mi_widgets.link_lens`).
        precision: ``"float16"`` or ``"float32"``.
        title: the heading.

    Synced traits: ``row``, ``position``, ``target`` (a candidate index; see
    :attr:`target_token`), and for the link with an AttentionView ``layer`` (the attention
    layer of the selected row; the ``"embed"`` row keeps the last one) and ``query_token``
    (the selected position). ``layer`` set from Python may be negative, counting from the
    end (stored as the positive layer).
    """

    _module = "lens"
    link_sources: ClassVar[tuple[LinkRule, ...]] = (LensLink,)

    title = traitlets.Unicode("").tag(sync=True)
    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    rows = traitlets.List(traitlets.Unicode()).tag(sync=True)
    candidate_tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: ``lens.targets``: candidate indices offered first in the page.
    targets = traitlets.List(traitlets.Int()).tag(sync=True)
    #: Candidate index of the input token after each position (-1: none or not a candidate).
    next_tokens = traitlets.List(traitlets.Int()).tag(sync=True)
    k = traitlets.Int(1).tag(sync=True)
    row = traitlets.Int(0).tag(sync=True)
    position = traitlets.Int(0).tag(sync=True)
    target = traitlets.Int(0).tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    query_token = traitlets.Int(None, allow_none=True).tag(sync=True)
    #: int32 ``[n]``: the candidates kept per position, position after position (sorted).
    _columns = traitlets.Dict().tag(sync=True)
    #: int32 ``[pos + 1]``: position ``p``'s are ``_columns[starts[p]:starts[p + 1]]``.
    _column_starts = traitlets.Dict().tag(sync=True)
    #: float16/float32 ``[n, row]``: each kept candidate's probability at every row.
    _column_probs = traitlets.Dict().tag(sync=True)
    #: int32 ``[row, pos, k]``: each cell's top ``k``, as indices into its position's columns.
    _top = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        lens: LogitLens,
        *,
        row: int | str | None = None,
        position: int | None = None,
        target: int | str | None = None,
        attention: AttentionView | None = None,
        precision: Literal["float16", "float32"] = "float16",
        title: str | None = None,
    ) -> None:
        if not isinstance(lens, LogitLens):
            raise TypeError(
                "lens must be a mi_widgets.LogitLens (from mw.logit_lens(trace)), got "
                f"{type(lens).__name__}"
            )
        if precision not in ("float16", "float32"):
            raise ValueError(f"precision must be 'float16' or 'float32', got {precision!r}")
        n_rows, n_tokens = lens.probs.shape[:2]
        row = _row_index(lens.rows, n_rows - 1 if row is None else row)
        position = check_index(n_tokens - 1 if position is None else position, n_tokens, "position")
        if target is None:
            target = lens.targets[0] if lens.targets else int(lens.top[row, position, 0])
        self._lens = lens
        self._offset = int(lens.rows[0] == EMBED_ROW)
        self._dtype = np.float16 if precision == "float16" else np.float32
        columns, starts, probs, top = _columns(lens)
        super().__init__(
            title=f"Logit lens of {lens.model_name}" if title is None else title,
            tokens=list(lens.tokens),
            rows=list(lens.rows),
            candidate_tokens=list(lens.candidate_tokens),
            targets=[int(t) for t in lens.targets],
            next_tokens=_next_tokens(lens).tolist(),
            k=lens.k,
            row=row,
            position=position,
            target=self._target_index(target),
            layer=max(row - self._offset, 0),
            query_token=position,
            _columns=encode_array(columns),
            _column_starts=encode_array(starts),
            _column_probs=encode_array(probs.astype(self._dtype)),
            _top=encode_array(top),
        )
        self.observe(self._row_to_layer, names=["row"])
        self.observe(self._layer_to_row, names=["layer"])
        self.observe(self._position_to_query, names=["position"])
        self.observe(self._query_to_position, names=["query_token"])
        if attention is not None:
            LensLink(self, attention)

    @property
    def lens(self) -> LogitLens:
        """The lens shown."""
        return self._lens

    @property
    def n_layer_rows(self) -> int:
        """Rows that read a layer's output (all but ``"embed"``)."""
        return len(self.rows) - self._offset

    @property
    def target_token(self) -> str:
        """The charted token's string; assign a candidate's string to chart it."""
        return self.candidate_tokens[self.target]

    @target_token.setter
    def target_token(self, token: str) -> None:
        self.target = self._target_index(token)

    def line(self) -> np.ndarray:
        """``[row]`` probability of the target at the selected position (float32, exact)."""
        return self._lens.probs[:, self.position, self.target]

    def figure(self) -> go.FigureWidget:
        """The target's probability per row at the selected position, as a plotly
        ``FigureWidget`` that follows the view's ``position`` and ``target`` (and marks
        ``row``).

        Example:
            >>> view = mw.LogitLensView(mw.logit_lens(trace))
            >>> fig = view.figure()
            >>> view.position = 3       # the figure follows
        """
        import plotly.graph_objects as go

        figure = go.FigureWidget(
            data=[
                go.Scatter(x=self.rows, y=[], mode="lines+markers", name="probability"),
                go.Scatter(
                    x=[],
                    y=[],
                    mode="markers",
                    name="selected row",
                    marker={"size": 12, "symbol": "circle-open"},
                ),
            ],
            layout={
                "height": 280,
                "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
                "yaxis": {"range": [0, 1], "title": "probability"},
                "xaxis": {"title": "row"},
                "showlegend": False,
            },
        )

        def update(_change: Any = None) -> None:
            values = self.line().astype(float)
            label = f"{self.tokens[self.position]!r}_{self.position}"
            with figure.batch_update():
                figure.data[0].y = values
                figure.data[1].x = [self.rows[self.row]]
                figure.data[1].y = [values[self.row]]
                figure.layout.title = f"P({self.target_token!r}) at {label}"

        update()
        self.observe(update, names=["row", "position", "target"])
        return figure

    def slice_keys(self) -> list[str]:
        """None embedded: the page has every kept candidate; others come from the kernel."""
        return []

    def has_slice(self, key: str) -> bool:
        """``"target:<c>"`` for any candidate ``c``."""
        name, _, index = key.partition(":")
        return name == "target" and index.isdigit() and int(index) < len(self.candidate_tokens)

    def encode_slice(self, key: str) -> EncodedArray:
        """``"target:<c>"``: candidate ``c``'s probability ``[row, pos]`` (the chart's data)."""
        if not self.has_slice(key):
            raise KeyError(f"LogitLensView has no slice {key!r}; expected 'target:<candidate>'")
        index = int(key.partition(":")[2])
        return encode_array(self._lens.probs[:, :, index].astype(self._dtype))

    def _target_index(self, target: Any) -> int:
        tokens = self._lens.candidate_tokens
        if isinstance(target, str):
            if target not in tokens:
                raise ValueError(
                    f"target={target!r} is not among the {len(tokens)} candidate tokens of this "
                    "lens; pass it in targets= to mw.logit_lens"
                )
            return tokens.index(target)
        return check_index(target, len(tokens), "target")

    @traitlets.validate("row")
    def _valid_row(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], len(self.rows), "row")

    @traitlets.validate("position")
    def _valid_position(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], len(self.tokens), "position")

    @traitlets.validate("target")
    def _valid_target(self, proposal: dict[str, Any]) -> int:
        return self._target_index(proposal["value"])

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: dict[str, Any]) -> int:
        return check_layer(proposal["value"], self.n_layer_rows, None)

    @traitlets.validate("query_token")
    def _valid_query_token(self, proposal: dict[str, Any]) -> int | None:
        value = proposal["value"]
        return None if value is None else check_index(value, len(self.tokens), "query_token")

    def _row_to_layer(self, change: dict[str, Any]) -> None:
        if change["new"] >= self._offset:
            self.layer = change["new"] - self._offset

    def _layer_to_row(self, change: dict[str, Any]) -> None:
        if self.row - self._offset != change["new"]:
            self.row = change["new"] + self._offset

    def _position_to_query(self, change: dict[str, Any]) -> None:
        self.query_token = change["new"]

    def _query_to_position(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self.position = change["new"]

    def __repr__(self) -> str:
        top = self._lens.top_tokens(self.row, self.position)[0]
        return (
            f"LogitLensView({len(self.rows)} rows x {len(self.tokens)} positions, selected "
            f"{self.rows[self.row]} at {self.tokens[self.position]!r}_{self.position}: "
            f"top {top[0]!r} {top[1]:.4f}; target {self.target_token!r})"
        )


def _row_index(rows: list[str], row: int | str) -> int:
    if isinstance(row, str):
        if row not in rows:
            raise ValueError(f"row={row!r} is not a row of this lens; rows: {', '.join(rows)}")
        return rows.index(row)
    return check_index(row, len(rows), "row")


def _next_tokens(lens: LogitLens) -> np.ndarray:
    """``[pos]`` candidate index of the input token after each position; -1 at the last
    position and where that token is not a candidate (equal strings: the first candidate)."""
    following = np.asarray(lens.tokens[1:], dtype=str)
    found = np.full(len(following), -1, dtype=np.int64)
    if lens.candidate_tokens and len(following):
        names = np.asarray(lens.candidate_tokens, dtype=str)
        order = np.argsort(names, kind="stable")
        at = np.minimum(np.searchsorted(names[order], following), len(names) - 1)
        found = np.where(names[order][at] == following, order[at], -1)
    return np.append(found, -1).astype(np.int64)


def _columns(lens: LogitLens) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The candidates kept per position and their probabilities at every row.

    Returns ``columns`` int32 ``[n]`` (sorted within a position), ``starts`` int32
    ``[pos + 1]``, ``probs`` float32 ``[n, row]`` and ``top`` int32 ``[row, pos, k]`` (each
    cell's top ``k`` as indices into its position's columns).
    """
    n_tokens = lens.top.shape[1]
    n_candidates = len(lens.candidates)
    positions = np.arange(n_tokens, dtype=np.int64)
    targets = np.asarray(lens.targets, dtype=np.int64)
    following = _next_tokens(lens)
    top_keys = positions[None, :, None] * n_candidates + lens.top.astype(np.int64)
    keys = np.unique(
        np.concatenate(
            [
                top_keys.ravel(),
                (positions[:, None] * n_candidates + targets[None, :]).ravel(),
                (positions * n_candidates + following)[following >= 0],
            ]
        )
    )
    column_pos, columns = np.divmod(keys, n_candidates)
    starts = np.searchsorted(column_pos, np.arange(n_tokens + 1))
    probs = lens.probs[:, column_pos, columns].T
    top = np.searchsorted(keys, top_keys) - starts[positions][None, :, None]
    return (
        columns.astype(np.int32),
        starts.astype(np.int32),
        np.ascontiguousarray(probs, dtype=np.float32),
        top.astype(np.int32),
    )
