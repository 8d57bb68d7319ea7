"""mi_widgets: interactive mechanistic-interpretability views for Jupyter.

>>> import mi_widgets as mw
>>> model, tokenizer = mw.demo_model()            # the bundled 2-layer model, offline
>>> trace = mw.trace(model, tokenizer, "key = value; key = value; key =")
>>> view = mw.AttentionView(trace)
>>> mw.to_html(view, "attention.html").name
'attention.html'
>>> scores = mw.head_scores(trace)
>>> grid = mw.HeadScoresView(scores, attention=view)
>>> texts = [doc[:600] for doc in mw.demo_corpus("eval")[:4]]
>>> top = mw.top_activations(model, tokenizer, texts, layer=1, progress=False)
>>> neurons = mw.NeuronView(trace, layer=1, examples=top)
>>> sae = mw.train_sae(model, tokenizer, texts, hook="blocks.1.hook_resid_post",
...                    n_features=64, k=4, progress=False)
>>> stats = mw.feature_stats(model, tokenizer, sae, texts, progress=False)
>>> dashboard = mw.FeatureDashboard(stats)
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__ as __version__

if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .analysis.attribution import Attribution, direct_logit_attribution
    from .analysis.composition import CompositionScores, composition_scores
    from .analysis.lens import LogitLens, logit_lens
    from .analysis.metrics import logit_diff
    from .analysis.patch_estimates import PatchingAgreement, patching_agreement
    from .analysis.patching import PatchingResult, patch
    from .analysis.scores import HeadScores, head_scores
    from .analysis.top_activations import TopActivations, top_activations
    from .capture import Trace, trace
    from .capture.steering import steer
    from .circuits import AttributionGraph, Transcoder, attribute
    from .circuits.training import evaluate_transcoders, train_transcoders
    from .demo import demo_corpus, demo_model, demo_transcoders
    from .export import to_html
    from .pretrained import smollm2_model
    from .probing import Probe, ProbeResult, probe
    from .sae import FeatureStats, SparseAutoencoder, evaluate_sae, feature_stats, train_sae
    from .toy import ToySuperposition, train_toy_superposition
    from .widgets import (
        AttentionView,
        AttributionView,
        CompositionView,
        FeatureDashboard,
        GraphView,
        HeadScoresView,
        LogitLensView,
        NeuronView,
        PatchingView,
        ProbeView,
        SuperpositionView,
        link_heads,
        link_lens,
    )

__all__ = [
    "AttentionView",
    "Attribution",
    "AttributionGraph",
    "AttributionView",
    "CompositionScores",
    "CompositionView",
    "FeatureDashboard",
    "FeatureStats",
    "GraphView",
    "HeadScores",
    "HeadScoresView",
    "LogitLens",
    "LogitLensView",
    "NeuronView",
    "PatchingAgreement",
    "PatchingResult",
    "PatchingView",
    "Probe",
    "ProbeResult",
    "ProbeView",
    "SparseAutoencoder",
    "SuperpositionView",
    "TopActivations",
    "ToySuperposition",
    "Trace",
    "Transcoder",
    "attribute",
    "composition_scores",
    "demo_corpus",
    "demo_model",
    "demo_transcoders",
    "direct_logit_attribution",
    "evaluate_sae",
    "evaluate_transcoders",
    "feature_stats",
    "head_scores",
    "link_heads",
    "link_lens",
    "logit_diff",
    "logit_lens",
    "patch",
    "patching_agreement",
    "probe",
    "smollm2_model",
    "steer",
    "to_html",
    "top_activations",
    "trace",
    "train_sae",
    "train_toy_superposition",
    "train_transcoders",
]

#: Where each public name lives (imported on first use: ``import mi_widgets`` stays light).
_ORIGINS = {
    "Attribution": ".analysis.attribution",
    "direct_logit_attribution": ".analysis.attribution",
    "CompositionScores": ".analysis.composition",
    "composition_scores": ".analysis.composition",
    "LogitLens": ".analysis.lens",
    "logit_lens": ".analysis.lens",
    "logit_diff": ".analysis.metrics",
    "PatchingAgreement": ".analysis.patch_estimates",
    "patching_agreement": ".analysis.patch_estimates",
    "PatchingResult": ".analysis.patching",
    "patch": ".analysis.patching",
    "HeadScores": ".analysis.scores",
    "head_scores": ".analysis.scores",
    "TopActivations": ".analysis.top_activations",
    "top_activations": ".analysis.top_activations",
    "Trace": ".capture",
    "trace": ".capture",
    "steer": ".capture.steering",
    "AttributionGraph": ".circuits",
    "Transcoder": ".circuits",
    "attribute": ".circuits",
    "evaluate_transcoders": ".circuits.training",
    "train_transcoders": ".circuits.training",
    "demo_corpus": ".demo",
    "demo_model": ".demo",
    "demo_transcoders": ".demo",
    "to_html": ".export",
    "Probe": ".probing",
    "ProbeResult": ".probing",
    "probe": ".probing",
    "smollm2_model": ".pretrained",
    "FeatureStats": ".sae",
    "SparseAutoencoder": ".sae",
    "evaluate_sae": ".sae",
    "feature_stats": ".sae",
    "train_sae": ".sae",
    "ToySuperposition": ".toy",
    "train_toy_superposition": ".toy",
    "AttentionView": ".widgets",
    "AttributionView": ".widgets",
    "CompositionView": ".widgets",
    "FeatureDashboard": ".widgets",
    "GraphView": ".widgets",
    "HeadScoresView": ".widgets",
    "LogitLensView": ".widgets",
    "NeuronView": ".widgets",
    "PatchingView": ".widgets",
    "ProbeView": ".widgets",
    "SuperpositionView": ".widgets",
    "link_heads": ".widgets",
    "link_lens": ".widgets",
}

__getattr__, __dir__ = lazy_exports(__name__, _ORIGINS, globals())
