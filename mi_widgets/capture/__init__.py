"""Run a model once and record what the views need."""

from .families import SUPPORTED_MODEL_TYPES, Family, detect
from .options import KINDS
from .trace import TopK, Trace
from .tracing import trace

__all__ = ["KINDS", "SUPPORTED_MODEL_TYPES", "Family", "TopK", "Trace", "detect", "trace"]
