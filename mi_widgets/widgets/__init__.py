"""One anywidget class per view."""

from .attention import AttentionView
from .attribution import AttributionView
from .feature import FeatureDashboard
from .head_scores import HeadScoresView
from .lens import LogitLensView
from .link import HeadLink, LensLink, link_heads, link_lens
from .neuron import NeuronView
from .patching import PatchingView
from .probe import ProbeView
from .superposition import SuperpositionView

__all__ = [
    "AttentionView",
    "AttributionView",
    "FeatureDashboard",
    "HeadLink",
    "HeadScoresView",
    "LensLink",
    "LogitLensView",
    "NeuronView",
    "PatchingView",
    "ProbeView",
    "SuperpositionView",
    "link_heads",
    "link_lens",
]
