"""AttributionView: each head's, MLP's and the embeddings' direct part in a logit difference."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import numpy as np
import traitlets

from ..analysis.attribution import Attribution
from ._serialization import EncodedArray, encode_array
from .attention import AttentionView
from .base import SlicedView
from .link import HeadLink, LinkRule
from .selection import HeadSelection

SORTS = ("abs", "value", "model")
_HEAD = re.compile(r"L(\d+)H(\d+)")


class AttributionView(HeadSelection, SlicedView):
    """A sorted bar chart of every component's contribution and a layer x head heatmap.

    ::

        dla = mw.direct_logit_attribution(trace, " value", " error")
        view = mw.AttributionView(dla, attention=mw.AttentionView(trace))
        view.component              # "L1H2" after a click on that bar or cell
        view.sort = "value"         # the page follows

    Bars are red (positive: pushes towards the target) or blue (negative); the heatmap uses
    the same diverging colours on a scale symmetric around 0. Values travel as float32,
    exactly.

    Args:
        attribution: what :func:`~mi_widgets.direct_logit_attribution` returned.
        sort: bar order: ``"abs"`` (largest magnitude first), ``"value"`` (most positive
            first) or ``"model"`` (embeddings, then layer by layer).
        show: how many bars to show (``0`` for all).
        attention: an :class:`~mi_widgets.AttentionView` to link: selecting a head shows it
            there, and the attention view's layer/head select the head here.
        title: the heading.

    Synced traits: ``component`` (the selected label), ``layer``/``head`` (the selected
    head; they follow ``component`` when it is a head), ``sort``, ``show``. ``layer`` set
    from Python may be negative, counting from the end (stored as the positive layer).
    """

    _module = "attribution"
    link_sources: ClassVar[tuple[LinkRule, ...]] = (HeadLink,)

    title = traitlets.Unicode("").tag(sync=True)
    subtitle = traitlets.Unicode("").tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    n_layers = traitlets.Int(1).tag(sync=True)
    n_heads = traitlets.Int(1).tag(sync=True)
    total = traitlets.Float(0.0).tag(sync=True)
    constant = traitlets.Float(0.0).tag(sync=True)
    component = traitlets.Unicode("").tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    head = traitlets.Int(0).tag(sync=True)
    sort = traitlets.Unicode("abs").tag(sync=True)
    show = traitlets.Int(20).tag(sync=True)
    #: float32 ``[component]`` in the order of ``labels``.
    _values = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        attribution: Attribution,
        *,
        sort: str = "abs",
        show: int = 20,
        attention: AttentionView | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(attribution, Attribution):
            raise TypeError(
                "attribution must be a mi_widgets.Attribution (from "
                f"mw.direct_logit_attribution(...)), got {type(attribution).__name__}"
            )
        self._attribution = attribution
        top = attribution.top(len(attribution.labels))
        best_head = next((found for label, _ in top if (found := _HEAD.fullmatch(label))), None)
        layer, head = (int(i) for i in best_head.groups()) if best_head else (0, 0)
        other = f" - logit({attribution.other!r})" if attribution.other else ""
        super().__init__(
            title=(
                f"Direct logit attribution: logit({attribution.target!r}){other}"
                if title is None
                else title
            ),
            subtitle=(
                f"at {attribution.tokens[attribution.position]!r}_{attribution.position}; "
                f"total {attribution.total:.4g} = parts + constant {attribution.constant:.4g} "
                f"(final norm scale frozen at {attribution.scale:.4g})"
            ),
            labels=attribution.labels,
            n_layers=attribution.n_layers,
            n_heads=attribution.n_heads,
            total=attribution.total,
            constant=attribution.constant,
            component=top[0][0],
            layer=layer,
            head=head,
            sort=sort,
            show=show,
            _values=encode_array(attribution.values()),
        )
        self.observe(self._head_to_component, names=["layer", "head"])
        self.observe(self._component_to_head, names=["component"])
        if attention is not None:
            HeadLink(self, attention)

    @property
    def attribution(self) -> Attribution:
        return self._attribution

    @property
    def value(self) -> float:
        """The contribution of the selected component."""
        return float(self._attribution.values()[self.labels.index(self.component)])

    def slice_keys(self) -> list[str]:
        """None: every value travels in ``_values``."""
        return []

    def encode_slice(self, key: str) -> EncodedArray:
        raise KeyError(f"AttributionView has no slice {key!r}")

    def _head_to_component(self, _change: dict[str, Any]) -> None:
        label = f"L{self.layer}H{self.head}"
        if self.component != label:
            self.component = label

    def _component_to_head(self, change: dict[str, Any]) -> None:
        match = _HEAD.fullmatch(change["new"])
        if match:
            layer, head = (int(i) for i in match.groups())
            with self.hold_sync():
                self.layer, self.head = layer, head

    @traitlets.validate("component")
    def _valid_component(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value not in self.labels:
            raise ValueError(
                f"component = {value!r} is not a component of this attribution: expected "
                f"'embed', 'L{{layer}}H{{head}}', 'L{{layer}} MLP' or 'L{{layer}} attn bias' "
                f"with layer < {self.n_layers} and head < {self.n_heads}"
            )
        return value

    @traitlets.validate("sort")
    def _valid_sort(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("show")
    def _valid_show(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"show must be an int >= 0 (0 shows every bar), got {value!r}")
        return int(value)

    def __repr__(self) -> str:
        selected = f"selected {self.component} = {self.value:.4f}"
        return f"AttributionView({self._attribution!r}, {selected})"
