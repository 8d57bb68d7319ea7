"""mi_widgets: interactive mechanistic-interpretability views for Jupyter.

>>> import mi_widgets as mw
>>> trace = mw.trace(model, tokenizer, "When Mary and John went to the store")  # doctest: +SKIP
>>> view = mw.AttentionView(trace)                                               # doctest: +SKIP
>>> mw.to_html(view, "attention.html")                                           # doctest: +SKIP
>>> scores = mw.head_scores(trace)                                               # doctest: +SKIP
>>> mw.HeadScoresView(scores, attention=view)                                    # doctest: +SKIP
"""

from .analysis.scores import HeadScores, head_scores
from .capture import Trace, trace
from .demo import demo_corpus, demo_model
from .export import to_html
from .widgets import AttentionView, HeadScoresView, link_heads

__version__ = "0.1.0"

__all__ = [
    "AttentionView",
    "HeadScores",
    "HeadScoresView",
    "Trace",
    "demo_corpus",
    "demo_model",
    "head_scores",
    "link_heads",
    "to_html",
    "trace",
]
