"""Validators of a selected head, shared by the views that select one (attention, head
scores, attribution)."""

from __future__ import annotations

from typing import Any

import traitlets

from ..checks import check_index, check_layer


class HeadSelection:
    """Checks the ``layer`` and ``head`` traits of a view of ``n_layers`` x ``n_heads`` heads.

    A negative ``layer`` counts from the end and is stored as the positive layer; a value out
    of range is refused with the message every entry point gives (:mod:`mi_widgets.checks`).
    """

    n_layers: int
    n_heads: int

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: dict[str, Any]) -> int:
        return check_layer(proposal["value"], self.n_layers, None)

    @traitlets.validate("head")
    def _valid_head(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], self.n_heads, "head")
