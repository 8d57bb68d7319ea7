"""Notebook reports without a kernel or a browser: snapshots, output rewriting, the exporter."""

from __future__ import annotations

import json
import re
import warnings

import nbformat
import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.export.nbconvert import MiHtmlExporter
from mi_widgets.export.notebook import (
    PLOTLY_MIME,
    WIDGET_STATE_MIME,
    WIDGET_VIEW_MIME,
    ReportSizeWarning,
    offline_outputs,
)
from mi_widgets.export.report import report_html
from mi_widgets.export.snapshot import (
    SNAPSHOT_MIME,
    snapshot_slices,
    snapshot_state,
    view_snapshot,
)
from mi_widgets.widgets._serialization import decode_array
from tests.conftest import HOSTILE_TOKENS, random_causal_attention


def attention_view(layer=1, n_layers=3, tokens="abcdef", **kwargs):
    attention = random_causal_attention(n_layers, 2, len(tokens))
    return attention, mw.AttentionView(
        attention=attention, tokens=list(tokens), layer=layer, **kwargs
    )


def display_output(view):
    """The output a notebook stores when ``view`` is the value of a cell."""
    data, metadata = view._repr_mimebundle_()
    return nbformat.v4.new_output(
        "execute_result", data=json.loads(json.dumps(data)), metadata=metadata, execution_count=1
    )


def notebook_of(*outputs, widget_state=None):
    cell = nbformat.v4.new_code_cell("view", execution_count=1, outputs=list(outputs))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Notes"), cell])
    if widget_state is not None:
        notebook.metadata["widgets"] = {
            WIDGET_STATE_MIME: {"version_major": 2, "version_minor": 0, "state": widget_state}
        }
    return notebook


def page_data(page):
    match = re.search(r'<script[^>]* id="mi-widgets-data"[^>]*>(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_the_display_bundle_carries_a_snapshot_of_every_slice():
    attention, view = attention_view(layer=2)
    data, _ = view._repr_mimebundle_()
    assert WIDGET_VIEW_MIME in data and data[WIDGET_VIEW_MIME]["model_id"] == view.model_id
    snapshot = data[SNAPSHOT_MIME]
    assert snapshot["module"] == "attention" and snapshot["model_id"] == view.model_id
    assert list(snapshot["slices"]) == ["layer:2", "layer:0", "layer:1"], "current layer first"
    assert snapshot["omitted"] == [] and snapshot["complete"]
    assert snapshot_state(snapshot)["layer"] == 2
    json.dumps(snapshot)  # plain JSON: it is stored in the notebook file
    for key, header, raw in snapshot_slices(snapshot):
        layer = int(key.split(":")[1])
        decoded = decode_array({**header, "data": raw})
        assert np.abs(decoded - attention[layer]).max() <= 1 / 510 + 1e-7


def test_the_snapshot_budget_keeps_the_current_selection():
    _, view = attention_view(layer=1)
    snapshot = view_snapshot(view, max_bytes=0)
    assert list(snapshot["slices"]) == ["layer:1"]
    assert snapshot["omitted"] == ["layer:0", "layer:2"] and not snapshot["complete"]


def test_widget_outputs_become_offline_html(tmp_path):
    _, view = attention_view(layer=1)
    figure = {"data": [{"type": "bar", "y": [1, 3, 2]}], "layout": {"title": {"text": "bars"}}}
    slider_id, figure_widget_id, lost_id = "slider0", "figurewidget0", "lost0"
    saved = {
        view.model_id: {"model_name": "AnyModel", "state": {"layer": 0, "tokens": ["x"]}},
        slider_id: {"model_name": "IntSliderModel", "state": {"value": 3}},
        figure_widget_id: {
            "model_name": "AnyModel",
            "state": {"_widget_data": figure["data"], "_widget_layout": {}},
        },
    }
    outputs = [display_output(view)] + [
        nbformat.v4.new_output("display_data", data={WIDGET_VIEW_MIME: {"model_id": model_id}})
        for model_id in (slider_id, figure_widget_id, lost_id)
    ]
    outputs.append(nbformat.v4.new_output("display_data", data={PLOTLY_MIME: figure}))
    notebook = notebook_of(*outputs, widget_state=saved)

    found = offline_outputs(notebook)

    assert (found.views, found.figures, found.placeholders) == (1, 2, 2)
    shown = [output["data"] for output in notebook.cells[1].outputs]
    assert all(list(data) == ["text/html"] for data in shown)
    assert shown[0]["text/html"] == '<div class="mi-widgets-view" id="mi-view-0"></div>'
    assert "IntSliderModel" in shown[1]["text/html"] and "cannot be drawn" in shown[1]["text/html"]
    assert "Plotly.newPlot" in shown[2]["text/html"] and "Plotly.newPlot" in shown[4]["text/html"]
    assert "was saved" in shown[3]["text/html"]
    assert "widgets" not in notebook.metadata
    assert "get_plotlyjs" not in found.head and len(found.head) > 1_000_000  # plotly.js, once
    data = page_data(found.scripts)
    (entry,) = data["views"]
    assert entry["state"]["layer"] == 0, "the selection saved later in the notebook wins"
    assert len(entry["state"]["tokens"]) == 6, "non-scalar traits come from the snapshot"
    assert list(entry["slices"]) == ["layer:1", "layer:0", "layer:2"]


def test_a_later_selection_is_kept_only_when_the_snapshot_has_its_data():
    _, complete = attention_view(layer=1)
    _, partial = attention_view(layer=1)
    partial_output = display_output(partial)
    partial_output["data"][SNAPSHOT_MIME] = view_snapshot(partial, max_bytes=0)
    later = {"state": {"layer": 2, "head": 1}}
    saved = {complete.model_id: later, partial.model_id: later}
    notebook = notebook_of(display_output(complete), partial_output, widget_state=saved)
    views = page_data(offline_outputs(notebook).scripts)["views"]
    assert [(v["state"]["layer"], v["state"]["head"]) for v in views] == [(2, 1), (1, 0)]


def test_links_between_views_survive_in_the_report():
    attention = mw.AttentionView(attention=random_causal_attention(2, 2, 4), tokens=list("abcd"))
    scores = mw.HeadScoresView({"induction": np.eye(2)}, attention=attention)
    notebook = notebook_of(display_output(scores), display_output(attention))
    data = page_data(offline_outputs(notebook).scripts)
    assert data["links"] == [
        {"source": "mi-view-0", "target": "mi-view-1", "traits": ["layer", "head"]}
    ]


def test_past_the_report_budget_each_view_keeps_its_selection_and_a_warning_says_so():
    views = [attention_view(layer=i)[1] for i in range(3)]
    one_slice = len(next(snapshot_slices(view_snapshot(views[0])))[2])
    notebook = notebook_of(*map(display_output, views))
    with pytest.warns(ReportSizeWarning, match="mi-view-0, mi-view-1, mi-view-2"):
        found = offline_outputs(notebook, max_bytes=3 * one_slice)
    data = page_data(found.scripts)
    assert [list(view["slices"]) for view in data["views"]] == [
        ["layer:0"],
        ["layer:1"],
        ["layer:2"],
    ]
    assert len(found.omitted) == 6


def test_the_exporter_page_loads_nothing_and_escapes_tokens(tmp_path):
    _, view = attention_view(tokens=HOSTILE_TOKENS, n_layers=1, layer=0)
    notebook = notebook_of(display_output(view))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReportSizeWarning)
        page, found = report_html(notebook, name="hostile <report>")
    assert found.views == 1 and found.figures == 0 and found.head == ""
    assert "<title>hostile &lt;report&gt;</title>" in page
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\s(src|href)=", page), "no external file"
    assert "cdn" not in page.lower() and "require.js" not in page and "mathjax" not in page.lower()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("</script>") == page.count("<script")
    assert page_data(page)["views"][0]["state"]["tokens"] == HOSTILE_TOKENS
    assert '<h1 id="Notes">' in page


def test_the_exporter_is_registered_with_nbconvert():
    from nbconvert.exporters import get_export_names, get_exporter

    assert "mi_html" in get_export_names()
    assert get_exporter("mi_html") is MiHtmlExporter
