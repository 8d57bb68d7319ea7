"""The ``mi_html`` nbconvert exporter: a notebook as one HTML file that works offline.

Registered by entry point, so ``jupyter nbconvert --to mi_html notebook.ipynb`` uses it;
``mi-widgets report notebook.ipynb`` too. The page is nbconvert's lab page (text, code,
ordinary outputs) without anything it would load from a CDN; mi_widgets views are drawn from
their snapshots as in :func:`~mi_widgets.to_html`, plotly figures by plotly.js inlined once.
Markdown images are embedded. LaTeX in markdown is shown as source (MathJax is not bundled).
"""

from __future__ import annotations

import pathlib
from typing import Any

from nbconvert.exporters import HTMLExporter
from traitlets import Int, default

from .html import CONTENT_SECURITY_POLICY, Theme
from .notebook import DEFAULT_REPORT_MAX_BYTES, offline_outputs

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"

#: As for ``to_html`` pages, plus what plotly.js needs (it compiles some functions at run
#: time) and fonts embedded as data.
REPORT_CONTENT_SECURITY_POLICY = (
    CONTENT_SECURITY_POLICY.replace("'unsafe-inline' blob:", "'unsafe-inline' 'unsafe-eval' blob:")
    + "; font-src data:"
)


class MiHtmlExporter(HTMLExporter):
    """nbconvert exporter of offline notebook reports with mi_widgets views.

    Example:
        >>> import nbformat
        >>> nbformat.write(nbformat.v4.new_notebook(), "analysis.ipynb")
        >>> body, _ = MiHtmlExporter().from_filename("analysis.ipynb")
        >>> body.lstrip().lower().startswith("<!doctype html>")
        True
    """

    export_from_notebook = "Offline HTML report (mi_widgets)"

    max_bytes = Int(
        DEFAULT_REPORT_MAX_BYTES,
        help="Raw bytes of view data the report embeds; past it, views keep their current "
        "selection and mark the rest as not embedded (with a warning).",
    ).tag(config=True)

    @default("template_name")
    def _default_template_name(self) -> str:
        return "mi_html"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        return [str(TEMPLATES)]

    @default("embed_images")
    def _default_embed_images(self) -> bool:
        return True

    def _preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """After the other preprocessors (``--execute`` among them), rewrite the widget
        outputs of ``nb`` (a copy of the input) to draw offline."""
        nb, resources = super()._preprocess(nb, resources)
        theme: Theme = "dark" if self.theme == "dark" else "light"
        found = offline_outputs(nb, theme=theme, max_bytes=self.max_bytes)
        resources["mi_widgets"] = {
            "csp": REPORT_CONTENT_SECURITY_POLICY,
            "head": found.head,
            "scripts": found.scripts,
            "found": found,
        }
        return nb, resources
