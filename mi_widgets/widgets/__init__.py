"""One anywidget class per view (each imported on first use), and the links between views."""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .attention import AttentionView
    from .attribution import AttributionView
    from .composition import CompositionView
    from .feature import FeatureDashboard
    from .graph import GraphView
    from .head_scores import HeadScoresView
    from .lens import LogitLensView
    from .link import HeadLink, LensLink, Link, link_heads, link_lens
    from .neuron import NeuronView
    from .patching import PatchingView
    from .probe import ProbeView
    from .superposition import SuperpositionView

__all__ = [
    "AttentionView",
    "AttributionView",
    "CompositionView",
    "FeatureDashboard",
    "GraphView",
    "HeadLink",
    "HeadScoresView",
    "LensLink",
    "Link",
    "LogitLensView",
    "NeuronView",
    "PatchingView",
    "ProbeView",
    "SuperpositionView",
    "link_heads",
    "link_lens",
]

#: The module of each public name (``widgets.base`` alone loads no view, nor torch).
_ORIGINS = {
    "AttentionView": ".attention",
    "CompositionView": ".composition",
    "AttributionView": ".attribution",
    "FeatureDashboard": ".feature",
    "GraphView": ".graph",
    "HeadLink": ".link",
    "HeadScoresView": ".head_scores",
    "LensLink": ".link",
    "Link": ".link",
    "LogitLensView": ".lens",
    "NeuronView": ".neuron",
    "PatchingView": ".patching",
    "ProbeView": ".probe",
    "SuperpositionView": ".superposition",
    "link_heads": ".link",
    "link_lens": ".link",
}

__getattr__, __dir__ = lazy_exports(__name__, _ORIGINS, globals())
