"""One anywidget class per view."""

from .attention import AttentionView
from .feature import FeatureDashboard
from .head_scores import HeadScoresView
from .link import HeadLink, link_heads
from .neuron import NeuronView

__all__ = [
    "AttentionView",
    "FeatureDashboard",
    "HeadLink",
    "HeadScoresView",
    "NeuronView",
    "link_heads",
]
