"""Write views to one self-contained HTML file that opens offline, from disk."""

from __future__ import annotations

import base64
import html
import itertools
import json
import pathlib
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from ..widgets._serialization import split_header
from ..widgets.base import SlicedView, static_file
from ..widgets.link import report_links
from ..widgets.registry import REPORT_RUNTIME_BUNDLE
from ..widgets.snapshot import map_bytes
from .snapshot import Slice

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
    embedded. Views linked with :func:`~mi_widgets.link_heads` or :func:`~mi_widgets.link_lens`
    stay linked in the page when both are exported.

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
        >>> path = mw.to_html(mw.AttentionView(trace), "attention.html")
        >>> path.name, path.stat().st_size > 10_000
        ('attention.html', True)
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
    """Collects modules, view states and binary blobs, then renders the page.

    Slices are embedded within the byte budget: first the current selection of every view
    (its first slice), then the other slices in order; those that do not fit are listed in
    :attr:`omitted` and the page marks them as not embedded.
    """

    def __init__(self, max_bytes: int) -> None:
        self.budget = max_bytes
        self.modules: dict[str, str] = {}
        self.views: list[dict[str, Any]] = []
        self.blobs: list[bytes] = []
        self.links: list[dict[str, Any]] = []
        #: ``(view id, slice key, bytes)`` of every slice left out for the budget.
        self.omitted: list[tuple[str, str, int]] = []
        self._pending: list[tuple[dict[str, Any], Iterator[Slice]]] = []

    def add_view(self, view_id: str, view: SlicedView) -> None:
        """Add a live view; its slices are encoded when the page is rendered."""
        slices = ((key, *split_header(view.encode_slice(key))) for key in view.slice_keys())
        self.add(view_id, view._module, view.view_state(), slices)

    def add(
        self, view_id: str, module: str, state: dict[str, Any], slices: Iterable[Slice]
    ) -> None:
        """Add a view of ``module`` with its trait values and ``(key, header, bytes)`` slices."""
        if module not in self.modules:
            self.modules[module] = static_file(f"{module}.js").read_text(encoding="utf-8")
        entry = {"id": view_id, "module": module, "state": self._replace_bytes(state)}
        entry["state"]["_slices"] = {}
        entry["slices"] = {}
        self.views.append(entry)
        self._pending.append((entry, iter(slices)))

    def _embed_slices(self) -> None:
        for entry, slices in self._pending:  # the current selection of every view first
            for key, header, data in itertools.islice(slices, 1):
                self._embed(entry, key, header, data)
        for entry, slices in self._pending:
            for key, header, data in slices:
                self._embed(entry, key, header, data)
        self._pending = []

    def _embed(self, entry: dict[str, Any], key: str, header: dict[str, Any], data: bytes) -> None:
        if len(data) > self.budget:
            self.omitted.append((entry["id"], key, len(data)))
            return
        self.budget -= len(data)
        entry["slices"][key] = {"array": header, "blob": self._blob(data)}

    def _blob(self, data: bytes) -> str:
        self.blobs.append(data)
        return f"b{len(self.blobs) - 1}"

    def _replace_bytes(self, value: Any) -> Any:
        return map_bytes(value, lambda data: {"$blob": self._blob(data)})

    def scripts(self, theme: Theme) -> str:
        """The data, blob and runtime ``<script>`` elements that render the views in a page
        holding an element ``<div class="mi-widgets-view" id=...>`` per view."""
        self._embed_slices()
        data = {"theme": theme, "modules": self.modules, "views": self.views, "links": self.links}
        blobs = "\n".join(
            f'<script type="application/octet-stream" id="mi-blob-b{i}">'
            f"{base64.b64encode(blob).decode('ascii')}</script>"
            for i, blob in enumerate(self.blobs)
        )
        runtime = static_file(REPORT_RUNTIME_BUNDLE).read_text(encoding="utf-8")
        if "</script" in runtime.lower():
            raise RuntimeError("standalone.js contains '</script' and cannot be inlined")
        return _SCRIPTS.format(data=_script_json(data), blobs=blobs, runtime=runtime)

    def render(self, title: str, theme: Theme, intro: str) -> str:
        containers = "\n".join(view_container(view["id"]) for view in self.views)
        paragraphs = [" ".join(part.split()) for part in intro.split("\n\n") if part.strip()]
        return _PAGE.format(
            title=html.escape(title),
            heading=html.escape(title),
            intro="\n".join(f"<p>{html.escape(part)}</p>" for part in paragraphs),
            containers=containers,
            scripts=self.scripts(theme),
            csp=CONTENT_SECURITY_POLICY,
        )


def view_container(view_id: str) -> str:
    """The element a report renders view ``view_id`` into."""
    return f'<div class="mi-widgets-view" id="{html.escape(view_id)}"></div>'


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
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' blob:; style-src 'unsafe-inline'; "
    "img-src data: blob:"
)

_SCRIPTS = """<script type="application/json" id="mi-widgets-data">{data}</script>
{blobs}
<script type="module">
{runtime}
</script>"""

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
{scripts}
</body>
</html>
"""
