"""Circuits: transcoders that replace MLPs by sparse features, and attribution graphs of which
features, through which paths, produce a model's output."""

from .attribute import attribute
from .graph import AttributionGraph
from .transcoder import Transcoder, TranscoderSet

__all__ = ["AttributionGraph", "Transcoder", "TranscoderSet", "attribute"]
