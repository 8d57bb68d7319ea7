"""Turn a notebook's widget outputs into outputs that draw offline in one HTML page.

A notebook stores each widget output as ``application/vnd.jupyter.widget-view+json`` (a
model id). :func:`offline_outputs` replaces every such output, in place, by a plain
``text/html`` output:

- a mi_widgets view: an empty container, drawn by the report runtime from the view's
  snapshot (:mod:`mi_widgets.export.snapshot`); when the snapshot holds all the view's data,
  the trait values saved in the notebook's widget state (the last selection made) win over
  those of the snapshot, taken when the view was displayed;
- a plotly ``FigureWidget`` (from the saved widget state) and a plotly figure output
  (``application/vnd.plotly.v1+json``): the figure drawn by plotly.js, inlined once;
- any other widget: a visible note saying why it cannot be shown.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Any

from .html import Theme, _Document, view_container
from .snapshot import SNAPSHOT_MIME, snapshot_slices, snapshot_state

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
PLOTLY_MIME = "application/vnd.plotly.v1+json"

#: Raw slice bytes one notebook report embeds by default (about 4/3 of it in the file).
#: Past it, each view keeps its current selection and the rest is marked not embedded.
DEFAULT_REPORT_MAX_BYTES = 48 * 2**20


class ReportSizeWarning(UserWarning):
    """A report left data out to stay within its size budget."""


@dataclass
class OfflineOutputs:
    """What :func:`offline_outputs` found and the page elements that draw it."""

    #: ``<script>`` elements for the end of the page (empty when there is no view).
    scripts: str = ""
    #: ``<script>`` elements for the page head (plotly.js when a figure is shown).
    head: str = ""
    #: Number of mi_widgets views, plotly figures and widgets shown as a note.
    views: int = 0
    figures: int = 0
    placeholders: int = 0
    #: ``(view id, slice key, bytes)`` of the slices left out for the budget.
    omitted: list[tuple[str, str, int]] = field(default_factory=list)


def offline_outputs(
    notebook: Any, *, theme: Theme = "light", max_bytes: int = DEFAULT_REPORT_MAX_BYTES
) -> OfflineOutputs:
    """Rewrite the widget and plotly outputs of ``notebook`` (an ``nbformat`` node) in place.

    Args:
        notebook: the notebook; its ``metadata.widgets`` entry is removed (its useful part
            is used here).
        theme: the theme the views start in (``"light"``, ``"dark"`` or ``"auto"``).
        max_bytes: budget of embedded view data (raw bytes); a :class:`ReportSizeWarning`
            names what was left out.

    Returns:
        The page elements to add and counts of what was converted.

    Example:
        >>> import nbformat
        >>> notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Notes")])
        >>> found = offline_outputs(notebook)
        >>> found.views, found.placeholders
        (0, 0)
    """
    saved = notebook.metadata.pop("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    document = _Document(max_bytes)
    found = OfflineOutputs()
    element_ids: dict[str, str] = {}
    snapshots: list[tuple[str, dict[str, Any]]] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if WIDGET_VIEW_MIME in data and SNAPSHOT_MIME in data:
                view_id = f"mi-view-{found.views}"
                found.views += 1
                snapshot = data[SNAPSHOT_MIME]
                element_ids[snapshot.get("model_id", "")] = view_id
                snapshots.append((view_id, snapshot))
                state = _latest_state(snapshot, saved.get(snapshot.get("model_id"), {}))
                document.add(view_id, snapshot["module"], state, snapshot_slices(snapshot))
                shown = view_container(view_id)
            elif WIDGET_VIEW_MIME in data:
                widget = saved.get(data[WIDGET_VIEW_MIME].get("model_id"))
                figure = _widget_figure(widget)
                if figure is None:
                    found.placeholders += 1
                    shown = _placeholder(widget)
                else:
                    found.figures += 1
                    shown = _figure_html(figure)
            elif PLOTLY_MIME in data:
                found.figures += 1
                shown = _figure_html(data[PLOTLY_MIME])
            else:
                continue
            output["data"] = {"text/html": shown}
            output.setdefault("metadata", {}).clear()
    document.links = [
        {"source": view_id, "target": element_ids[link["target"]], "traits": link["traits"]}
        for view_id, snapshot in snapshots
        for link in snapshot.get("links", [])
        if link["target"] in element_ids
    ]
    if found.views:
        found.scripts = document.scripts(theme)
        found.omitted = document.omitted
    if found.figures:
        found.head = _plotly_script()
    if found.omitted:
        left_out = sum(size for _, _, size in found.omitted)
        names = sorted({view_id for view_id, _, _ in found.omitted})
        warnings.warn(
            f"the report's views hold more data than its budget of {max_bytes} bytes: "
            f"{len(found.omitted)} slices ({left_out} bytes) of {', '.join(names)} are not "
            "embedded; those views show their current selection and mark the rest as not "
            "embedded. Raise max_bytes (--max-mb) to embed everything.",
            ReportSizeWarning,
            stacklevel=2,
        )
    return found


def _latest_state(snapshot: dict[str, Any], saved: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's trait values, with the scalar ones the notebook saved later when the
    snapshot holds the data of any selection (else the later selection could be one whose
    data the report does not have: the view stays as it was displayed)."""
    state = snapshot_state(snapshot)
    later = saved.get("state", {}) if snapshot.get("complete") else {}
    scalar = (str, int, float, bool, type(None))
    for key, value in state.items():
        if isinstance(value, scalar) and isinstance(later.get(key, ()), scalar):
            state[key] = later[key]
    return state


def _widget_figure(widget: dict[str, Any] | None) -> dict[str, Any] | None:
    """The figure of a saved plotly ``FigureWidget`` state, else None."""
    state = (widget or {}).get("state", {})
    if "_widget_data" not in state or "_widget_layout" not in state:
        return None
    return {"data": state["_widget_data"], "layout": state["_widget_layout"]}


def _figure_html(figure: dict[str, Any]) -> str:
    import plotly.io as pio

    return pio.to_html(
        figure, include_plotlyjs=False, full_html=False, validate=False, config={"responsive": True}
    )


def _plotly_script() -> str:
    from plotly.offline import get_plotlyjs

    source = get_plotlyjs()
    if "</script" in source.lower():
        raise RuntimeError("plotly.js contains '</script' and cannot be inlined")
    return f'<script type="text/javascript">{source}</script>'


def _placeholder(widget: dict[str, Any] | None) -> str:
    if widget is None:
        reason = (
            "This widget is not shown: neither its state nor an offline snapshot was saved "
            "with the notebook. Run the notebook again with mi_widgets installed (or build "
            "the report with --execute), or turn on Save Widget State Automatically."
        )
    else:
        name = widget.get("model_name") or widget.get("state", {}).get("_model_name", "?")
        reason = f"This widget ({name}) is not shown: it cannot be drawn in an offline report."
    return (
        '<div class="mi-widgets-placeholder" role="note" style="padding:8px 10px;'
        'border:1px dashed #b36b00;color:#8a5300;font-family:sans-serif;font-size:13px">'
        f"{html.escape(reason)}</div>"
    )
