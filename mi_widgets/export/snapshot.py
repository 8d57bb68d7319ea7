"""A view's offline snapshot, saved with its notebook output so a report can show it later.

A notebook stores a widget output as a reference to a widget model whose data lived in the
kernel. Every view therefore adds one more entry to its display bundle, under
:data:`SNAPSHOT_MIME`: its module, trait values and data slices (base64), written when the
view is displayed. Front ends ignore a type they do not know; the report exporter
(:mod:`mi_widgets.export.notebook`) draws the view from it. A notebook executed headless
(nbclient) and one saved from JupyterLab or Notebook 7 both keep it, with or without the
widget state.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..widgets._serialization import split_header

if TYPE_CHECKING:
    from ..widgets.base import SlicedView
    from .html import Slice

#: The display-bundle type of a view's snapshot.
SNAPSHOT_MIME = "application/vnd.mi-widgets.snapshot.v1+json"

#: Raw slice bytes one view's snapshot may hold (about 4/3 of it in the notebook file); the
#: current selection is always kept, later slices past it are left out and marked in the
#: report. Set it to 0 to save only the current selection.
SNAPSHOT_MAX_BYTES = 8 * 2**20


def view_snapshot(view: SlicedView, max_bytes: int | None = None) -> dict[str, Any]:
    """The JSON snapshot of ``view``: ``{"module", "model_id", "complete", "state", "slices",
    "omitted", "links"}``.

    ``state`` holds the view's trait values (bytes as ``{"$b64": str}``), ``slices`` maps a
    slice key to ``{"array": header, "b64": str}`` in the view's order (current selection
    first, always kept), ``omitted`` lists the keys from the first one that does not fit in
    ``max_bytes`` on (default :data:`SNAPSHOT_MAX_BYTES`), ``links`` the traits this view
    mirrors with other views (``{"target": model_id, "traits": [...]}``); ``complete`` is
    true when the slices hold everything the view can show, whatever is selected later.

    Example:
        >>> view_snapshot(mw.AttentionView(trace))["module"]
        'attention'
    """
    from ..widgets.base import SlicedView

    budget = SNAPSHOT_MAX_BYTES if max_bytes is None else max_bytes
    slices: dict[str, Any] = {}
    omitted: list[str] = []
    for key in view.slice_keys():
        if omitted:  # past the budget: the rest is not even encoded
            omitted.append(key)
            continue
        header, data = split_header(view.encode_slice(key))
        if slices and len(data) > budget:
            omitted.append(key)
            continue
        budget -= len(data)
        slices[key] = {"array": header, "b64": _b64(data)}
    links = [
        {"target": link.attention_view.model_id, "traits": list(link.traits)}
        for link in getattr(view, "links", [])
    ]
    # Complete: every slice the view can ever show is here, whatever is selected later.
    serves_more = type(view).has_slice is not SlicedView.has_slice
    return {
        "module": view._module,
        "model_id": view.model_id,
        "complete": not omitted and not serves_more,
        "state": _encode_bytes(view.view_state()),
        "slices": slices,
        "omitted": omitted,
        "links": links,
    }


def snapshot_state(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The trait values of a snapshot, bytes restored."""
    return _decode_bytes(snapshot["state"])


def snapshot_slices(snapshot: dict[str, Any]) -> Iterator[Slice]:
    """The ``(key, header, bytes)`` slices of a snapshot, in its order."""
    for key, item in snapshot["slices"].items():
        yield key, item["array"], base64.b64decode(item["b64"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


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


def _encode_bytes(value: Any) -> Any:
    return map_bytes(value, lambda data: {"$b64": _b64(data)})


def _decode_bytes(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b64"}:
            return base64.b64decode(value["$b64"])
        return {key: _decode_bytes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_bytes(item) for item in value]
    return value
