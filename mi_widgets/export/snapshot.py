"""Read a view's offline snapshot back (written by
:meth:`~mi_widgets.widgets.base.SlicedView.snapshot`, see :mod:`mi_widgets.widgets.snapshot`).

A notebook executed headless (nbclient) and one saved from JupyterLab or Notebook 7 both keep
the snapshot in the view's display output, with or without the widget state.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from ..widgets.base import SlicedView
from ..widgets.snapshot import SNAPSHOT_MAX_BYTES, SNAPSHOT_MIME, map_bytes

__all__ = [
    "SNAPSHOT_MAX_BYTES",
    "SNAPSHOT_MIME",
    "Slice",
    "map_bytes",
    "snapshot_slices",
    "snapshot_state",
    "view_snapshot",
]

#: One data slice: its key, its array header and its raw bytes.
Slice = tuple[str, dict[str, Any], bytes]


def view_snapshot(view: SlicedView, max_bytes: int | None = None) -> dict[str, Any]:
    """The JSON snapshot of ``view`` (see :meth:`~mi_widgets.widgets.base.SlicedView.snapshot`).

    Example:
        >>> view_snapshot(mw.AttentionView(trace))["module"]
        'attention'
    """
    return view.snapshot(max_bytes)


def snapshot_state(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The trait values of a snapshot, bytes restored."""
    return _decode_bytes(snapshot["state"])


def snapshot_slices(snapshot: dict[str, Any]) -> Iterator[Slice]:
    """The ``(key, header, bytes)`` slices of a snapshot, in its order."""
    for key, item in snapshot["slices"].items():
        yield key, item["array"], base64.b64decode(item["b64"])


def _decode_bytes(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b64"}:
            return base64.b64decode(value["$b64"])
        return {key: _decode_bytes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_bytes(item) for item in value]
    return value
