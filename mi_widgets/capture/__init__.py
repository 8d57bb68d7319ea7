"""Run a model once and record what the views need."""

from .huggingface import SUPPORTED_MODEL_TYPES, trace
from .trace import Trace

__all__ = ["SUPPORTED_MODEL_TYPES", "Trace", "trace"]
