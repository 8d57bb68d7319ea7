"""One anywidget class per view."""

from .attention import AttentionView

__all__ = ["AttentionView"]
