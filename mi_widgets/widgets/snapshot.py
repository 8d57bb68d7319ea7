"""A view's offline snapshot, saved with its notebook output so a report can show it later.

A notebook stores a widget output as a reference to a widget model whose data lived in the
kernel. Every view therefore adds one more entry to its display bundle, under
:data:`SNAPSHOT_MIME`: its module, trait values and data slices (base64), written when the
view is displayed (:meth:`~mi_widgets.widgets.base.SlicedView.snapshot`). Front ends ignore a
type they do not know; the report exporter (:mod:`mi_widgets.export.notebook`) draws the view
from it. This module holds the encoding; :mod:`mi_widgets.export.snapshot` reads it back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

from ._serialization import EncodedArray, split_header

#: The display-bundle type of a view's snapshot.
SNAPSHOT_MIME = "application/vnd.mi-widgets.snapshot.v1+json"

#: Raw slice bytes one view's snapshot may hold (about 4/3 of it in the notebook file); the
#: current selection is always kept, later slices past it are left out and marked in the
#: report. Set it to 0 to save only the current selection.
SNAPSHOT_MAX_BYTES = 8 * 2**20


def b64(data: bytes) -> str:
    """``data`` as base64 text."""
    return base64.b64encode(data).decode("ascii")


def budgeted_slices(
    keys: Iterable[str], encode: Callable[[str], EncodedArray], max_bytes: int
) -> tuple[dict[str, Any], list[str]]:
    """The slices ``{key: {"array": header, "b64": str}}`` of ``keys`` (in order) that fit in
    ``max_bytes`` raw bytes, the first one always, and the keys left out from the first one
    that does not fit on (those are not even encoded)."""
    budget = max_bytes
    slices: dict[str, Any] = {}
    omitted: list[str] = []
    for key in keys:
        if omitted:
            omitted.append(key)
            continue
        header, data = split_header(encode(key))
        if slices and len(data) > budget:
            omitted.append(key)
            continue
        budget -= len(data)
        slices[key] = {"array": header, "b64": b64(data)}
    return slices, omitted


def map_bytes(value: Any, replace: Callable[[bytes], Any]) -> Any:
    """``value`` (nested dicts, lists, tuples) with every bytes-like item ``b`` replaced by
    ``replace(bytes(b))``; tuples become lists, as in JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return replace(bytes(value))
    if isinstance(value, dict):
        return {key: map_bytes(item, replace) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_bytes(item, replace) for item in value]
    return value


def encode_bytes(value: Any) -> Any:
    """``value`` with every bytes-like item replaced by ``{"$b64": str}``."""
    return map_bytes(value, lambda data: {"$b64": b64(data)})
