"""CompositionView: head composition scores as a reader-head x writer-head heatmap."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import traitlets

from ..analysis.composition import KINDS, CompositionScores
from ..checks import check_index, check_layer
from ._serialization import EncodedArray, encode_array
from .base import SlicedView
from .link import HeadLink, LinkRule
from .selection import HeadSelection


class CompositionView(HeadSelection, SlicedView):
    """Q-, K- or V-composition between every pair of heads; select a head to light up the
    heads it composes with most, in both directions.

    ::

        comp = mw.composition_scores(model)
        view = mw.CompositionView(comp, kind="K")
        view.layer, view.head                  # the selected head (a row: the reader)
        view.partner_layer, view.partner_head  # the column clicked with it (the writer)
        view.kind = "Q"                        # the page follows
        view.partners()                        # its strongest writers and readers

        # linked both ways: select a head in one view, the others follow
        mw.link_heads(mw.HeadScoresView(scores), view)
        mw.link_heads(view, mw.AttentionView(trace))

    Rows are the heads that read (``L1H0``), columns the heads that write (every head of every
    layer); a cell is defined when the writer's layer comes first and is drawn neutral
    otherwise. Colours show the score minus the random baseline of the kind (blue below it,
    red above, on a scale symmetric around 0); the tooltip gives the score, the baseline and
    their difference, exactly (float32). The selected head's ``top_k`` strongest writers (in
    its row) and readers (in its column) are outlined and listed under the grid.

    Args:
        scores: what :func:`~mi_widgets.composition_scores` returned.
        kind: ``"Q"``, ``"K"`` or ``"V"``, the composition shown.
        layer, head: the selected head; by default the reader of the strongest pair of
            ``kind``, with its writer as partner.
        top_k: how many partners are outlined on each side.
        title: the heading; by default the model's name.

    Synced traits: ``kind``, ``layer``, ``head``, ``partner_layer``, ``partner_head``.
    """

    _module = "composition"
    link_sources: ClassVar[tuple[LinkRule, ...]] = (HeadLink,)
    link_targets: ClassVar[tuple[LinkRule, ...]] = (HeadLink,)

    title = traitlets.Unicode("").tag(sync=True)
    n_layers = traitlets.Int(1).tag(sync=True)
    n_heads = traitlets.Int(1).tag(sync=True)
    kind = traitlets.Unicode("K").tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    head = traitlets.Int(0).tag(sync=True)
    partner_layer = traitlets.Int(0).tag(sync=True)
    partner_head = traitlets.Int(0).tag(sync=True)
    top_k = traitlets.Int(3).tag(sync=True)
    #: float32 ``[kind, reader, writer]`` scores, heads flattened layer-major; NaN unless the
    #: writer's layer comes first.
    _values = traitlets.Dict().tag(sync=True)
    #: float32 ``[kind]`` random baselines.
    _baseline = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        scores: CompositionScores,
        kind: str = "K",
        *,
        layer: int | None = None,
        head: int | None = None,
        top_k: int = 3,
        title: str | None = None,
    ) -> None:
        if not isinstance(scores, CompositionScores):
            raise TypeError(
                "scores must be a mi_widgets.CompositionScores (from mw.composition_scores("
                f"model)), got {type(scores).__name__}"
            )
        scores.check_kind(kind)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be a positive int, got {top_k!r}")
        self._scores = scores
        n_layers, n_heads = scores.n_layers, scores.n_heads
        partner = (0, 0)
        if layer is None and head is None:
            best = scores.top(kind, 1)
            (partner, (layer, head)) = (best[0][0], best[0][1]) if best else ((0, 0), (0, 0))
        layer = check_layer(0 if layer is None else layer, n_layers, None)
        head = check_index(0 if head is None else head, n_heads, "head")
        n = n_layers * n_heads
        # [kind, writer, reader] -> [kind, reader, writer]
        grid = scores.scores.reshape(len(KINDS), n, n).transpose(0, 2, 1)
        super().__init__(
            title=f"Head composition of {scores.model_name}" if title is None else title,
            n_layers=n_layers,
            n_heads=n_heads,
            kind=kind,
            layer=layer,
            head=head,
            partner_layer=partner[0],
            partner_head=partner[1],
            top_k=top_k,
            _values=encode_array(np.ascontiguousarray(grid, dtype=np.float32)),
            _baseline=encode_array(scores.baseline.astype(np.float32)),
        )

    @property
    def scores(self) -> CompositionScores:
        return self._scores

    @property
    def value(self) -> float:
        """The score of the selected pair (partner writes, selected head reads), NaN when the
        partner's layer does not come first."""
        index = KINDS.index(self.kind)
        return float(
            self._scores.scores[index, self.partner_layer, self.partner_head, self.layer, self.head]
        )

    def partners(self) -> dict[str, list[tuple[int, int, float]]]:
        """The selected head's ``top_k`` strongest partners by ``kind``: ``"writers"`` (earlier
        heads it reads from) and ``"readers"`` (later heads that read it), each as ``(layer,
        head, score minus baseline)``, strongest first; what the page outlines."""
        return self._scores.partners(self.kind, self.layer, self.head, self.top_k)

    def slice_keys(self) -> list[str]:
        """None: every score travels in ``_values``."""
        return []

    def encode_slice(self, key: str) -> EncodedArray:
        raise KeyError(f"CompositionView has no slice {key!r}")

    @traitlets.validate("kind")
    def _valid_kind(self, proposal: dict[str, Any]) -> str:
        self._scores.check_kind(proposal["value"])
        return proposal["value"]

    @traitlets.validate("partner_layer")
    def _valid_partner_layer(self, proposal: dict[str, Any]) -> int:
        return check_layer(proposal["value"], self.n_layers, None)

    @traitlets.validate("partner_head")
    def _valid_partner_head(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], self.n_heads, "partner_head")

    @traitlets.validate("top_k")
    def _valid_top_k(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if isinstance(value, bool) or value < 1:
            raise traitlets.TraitError(f"top_k must be a positive int, got {value!r}")
        return value

    def __repr__(self) -> str:
        return (
            f"CompositionView({self.kind}-composition, L{self.layer}H{self.head} selected, "
            f"partner L{self.partner_layer}H{self.partner_head} = {self.value:.4f})"
        )
