"""One anywidget class per view."""

from .attention import AttentionView
from .attribution import AttributionView
from .feature import FeatureDashboard
from .head_scores import HeadScoresView
from .link import HeadLink, link_heads
from .neuron import NeuronView
from .patching import PatchingView

__all__ = [
    "AttentionView",
    "AttributionView",
    "FeatureDashboard",
    "HeadLink",
    "HeadScoresView",
    "NeuronView",
    "PatchingView",
    "link_heads",
]
