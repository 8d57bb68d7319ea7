"""Write views to one self-contained HTML file that opens offline, from disk."""

from __future__ import annotations

import base64
import html
import json
import pathlib
from collections.abc import Iterable
from typing import Any, Literal

from ..widgets._serialization import split_header
from ..widgets.base import SlicedView, static_file
from ..widgets.link import report_links

#: Encoded slice bytes embedded per report by default; slices past it are marked as absent.
DEFAULT_MAX_BYTES = 128 * 2**20

Theme = Literal["auto", "light", "dark"]


def to_html(
    views: SlicedView | Iterable[SlicedView],
    path: str | pathlib.Path,
    *,
    title: str = "mi_widgets report",
    theme: Theme = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    intro: str = "",
) -> pathlib.Path:
    """Write ``views`` to ``path`` as one HTML file with no external resource.

    The built view code, every view's state and its data slices (base64) are inlined; the
    page makes no network request and works from ``file://``. Interactions that need no
    kernel (hover, click, keys, layer switch, save PNG) work as in the notebook. When the
    slices of all views add up to more than ``max_bytes`` (raw bytes, before base64), the
    current selection of each view is kept first and the rest is marked in the page as not
    embedded. Views linked with :func:`~mi_widgets.link_heads` stay linked in the page when
    both are exported.

    Args:
        views: one view or several, shown top to bottom.
        path: where to write; parent directories must exist.
        title: the page title.
        theme: ``"auto"`` follows the reader's system setting; or ``"light"``/``"dark"``.
        max_bytes: budget for embedded slice bytes.
        intro: plain text shown above the views (blank lines separate paragraphs); it is
            escaped, never read as HTML.

    Returns:
        The path written.

    Example:
        >>> mw.to_html(mw.AttentionView(trace), "attention.html")   # doctest: +SKIP
    """
    view_list = [views] if isinstance(views, SlicedView) else list(views)
    if not view_list:
        raise ValueError("views is empty: give at least one view to export")
    for i, view in enumerate(view_list):
        if not isinstance(view, SlicedView):
            raise TypeError(f"views[{i}] is a {type(view).__name__}, not a mi_widgets view")
    if theme not in ("auto", "light", "dark"):
        raise ValueError(f"theme must be 'auto', 'light' or 'dark', got {theme!r}")

    document = _Document(max_bytes)
    ids = [f"mi-view-{i}" for i in range(len(view_list))]
    for view_id, view in zip(ids, view_list, strict=True):
        document.add_view(view_id, view)
    document.links = report_links(view_list, ids)
    path = pathlib.Path(path)
    path.write_text(document.render(title, theme, intro), encoding="utf-8")
    return path


class _Document:
    """Collects modules, view states and binary blobs, then renders the page."""

    def __init__(self, max_bytes: int) -> None:
        self.budget = max_bytes
        self.modules: dict[str, str] = {}
        self.views: list[dict[str, Any]] = []
        self.blobs: list[bytes] = []
        self.links: list[dict[str, Any]] = []

    def add_view(self, view_id: str, view: SlicedView) -> None:
        module = view._module
        if module not in self.modules:
            self.modules[module] = static_file(f"{module}.js").read_text(encoding="utf-8")
        slices = {}
        for key in view.slice_keys():
            header, data = split_header(view.encode_slice(key))
            if len(data) > self.budget:
                continue
            self.budget -= len(data)
            slices[key] = {"array": header, "blob": self._blob(data)}
        state = self._replace_bytes(view.view_state())
        state["_slices"] = {}
        self.views.append({"id": view_id, "module": module, "state": state, "slices": slices})

    def _blob(self, data: bytes) -> str:
        self.blobs.append(data)
        return f"b{len(self.blobs) - 1}"

    def _replace_bytes(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"$blob": self._blob(bytes(value))}
        if isinstance(value, dict):
            return {key: self._replace_bytes(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._replace_bytes(item) for item in value]
        return value

    def render(self, title: str, theme: Theme, intro: str) -> str:
        data = {"theme": theme, "modules": self.modules, "views": self.views, "links": self.links}
        blobs = "\n".join(
            f'<script type="application/octet-stream" id="mi-blob-b{i}">'
            f"{base64.b64encode(blob).decode('ascii')}</script>"
            for i, blob in enumerate(self.blobs)
        )
        containers = "\n".join(
            f'<div class="mi-widgets-view" id="{view["id"]}"></div>' for view in self.views
        )
        runtime = static_file("standalone.js").read_text(encoding="utf-8")
        if "</script" in runtime.lower():
            raise RuntimeError("standalone.js contains '</script' and cannot be inlined")
        paragraphs = [" ".join(part.split()) for part in intro.split("\n\n") if part.strip()]
        return _PAGE.format(
            title=html.escape(title),
            heading=html.escape(title),
            intro="\n".join(f"<p>{html.escape(part)}</p>" for part in paragraphs),
            data=_script_json(data),
            blobs=blobs,
            containers=containers,
            runtime=runtime,
            csp=_CONTENT_SECURITY_POLICY,
        )


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '<' (so no '</script>'), no U+2028/9."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


#: The page may run its own inline code and Blob-URL modules, and load nothing from anywhere.
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' blob:; style-src 'unsafe-inline'; "
    "img-src data: blob:"
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<style>
body {{ margin: 16px; font-family: system-ui, sans-serif; background: #ffffff; color: #1f2328; }}
body[data-jp-theme-light="false"] {{ background: #111418; color: #e6e6e6; }}
.mi-widgets-view {{ margin-bottom: 24px; }}
h1 {{ font-size: 1.4em; margin: 0 0 8px; }}
p {{ max-width: 60em; line-height: 1.45; }}
</style>
</head>
<body>
<h1>{heading}</h1>
{intro}
{containers}
<script type="application/json" id="mi-widgets-data">{data}</script>
{blobs}
<script type="module">
{runtime}
</script>
</body>
</html>
"""
