"""Self-contained offline HTML reports: views (``to_html``) and whole notebooks
(``write_report``, the ``mi_html`` nbconvert exporter)."""

from .html import to_html
from .report import write_report

__all__ = ["to_html", "write_report"]
