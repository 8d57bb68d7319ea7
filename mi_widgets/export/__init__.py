"""Self-contained offline HTML reports."""

from .html import to_html

__all__ = ["to_html"]
