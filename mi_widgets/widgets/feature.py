"""FeatureDashboard: browse every feature of a sparse autoencoder, pick one, try your own text."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
import traitlets

from ..checks import as_float32, check_index
from ..sae.stats import FeatureStats
from ._serialization import EncodedArray, encode_array, split_header
from .base import SlicedView

#: Features an exported report embeds by default: the current one plus the most active.
DEFAULT_EMBED = 64
#: What the feature list can be sorted by.
SORTS = ("index", "density", "max")
#: Why the text box is disabled when no model is attached.
NO_ORIGIN_NOTE = (
    "Trying your own text needs the model: these statistics were loaded without it. Pass "
    "FeatureDashboard(stats, origin=...) with an object that has activations(text)."
)
#: Why the text box is disabled in an exported report.
EXPORT_NOTE = "Trying your own text needs a live kernel: this is an exported report."

_INT32_MAX = 2**31 - 1


class ActivationSource(Protocol):
    """What colours new text: the model, tokenizer and autoencoder behind the statistics."""

    def activations(self, text: str) -> tuple[list[str], Any]:
        """``(tokens, acts)``: one string per position and float ``[pos, n_features]``."""
        ...


class FeatureDashboard(SlicedView):
    """Every feature of a sparse autoencoder in a list; the selected one's corpus statistics.

    ::

        stats = mw.feature_stats(...)              # or FeatureStats.load("features.npz")
        dash = mw.FeatureDashboard(stats)          # browse, search, sort; pick a feature
        dash.feature = 42                          # the page follows; clicks come back
        mw.to_html(dash, "features.html")          # offline, with ``embed`` features inside

    The list (left) shows every feature's index, density, maximum activation and top token;
    search it by index or by a token that is the maximum of one of a feature's top examples.
    The panels (right) show the selected feature's top examples, examples per activation
    interval, the histogram of its non-zero activations, the tokens whose logits it raises
    and lowers, its nearest features by decoder cosine, and "try your own text" when a model
    is attached. Colours: the diverging map of :class:`NeuronView`, scaled to the feature's
    maximum activation.

    Keys: ↑/↓ move in the list, PageUp/PageDown, Home/End, Enter selects, ←/→ previous/next
    listed feature, / search, Escape clears the search. Hover anything for its exact value.

    The list's numbers go with the widget; a feature's panels are fetched from the kernel when
    it is shown (two binary slices, see ``js/CONTRACT.md``). An exported report embeds the
    features of ``embed`` and marks the others as not embedded.

    Args:
        stats: the :class:`~mi_widgets.sae.stats.FeatureStats` to show.
        feature: the feature shown first (default: the first one that fired).
        origin: anything with ``activations(text) -> (tokens, acts [pos, n_features])`` that
            colours new text (default: ``stats.origin``); ``None`` disables the text box.
        embed: which features :func:`~mi_widgets.to_html` embeds: an int ``n`` (the current
            feature plus the ``n - 1`` with the highest maximum activation) or a list of
            feature indices (the current feature is always embedded).
        sort, descending, query, hide_dead: the list's order, search text and whether dead
            features (never non-zero) are hidden.
        title: shown above the list (default: the hook name).
        precision: ``"float16"`` sends activations, edges, logit effects and cosines with a
            relative error <= 2**-11 (two bytes each); ``"float32"`` sends exact values.

    Synced traits: ``feature``, ``sort``, ``descending``, ``query``, ``hide_dead``.
    """

    _module = "feature"

    title = traitlets.Unicode("").tag(sync=True)
    n_features = traitlets.Int(1).tag(sync=True)
    #: Sizes and provenance of the statistics: ``hook``, ``source``, ``n_tokens``, ``n_docs``,
    #: ``k``, ``context``, ``n_intervals``, ``per_interval``, ``n_bins``, ``n_raised``,
    #: ``n_lowered``, ``n_nearest``.
    info = traitlets.Dict().tag(sync=True)
    #: Token strings that windows, max tokens and logit effects index into.
    vocab = traitlets.List(traitlets.Unicode()).tag(sync=True)
    feature = traitlets.Int(0).tag(sync=True)
    sort = traitlets.Unicode("index").tag(sync=True)
    descending = traitlets.Bool(False).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    hide_dead = traitlets.Bool(True).tag(sync=True)
    #: Empty when the text box works; otherwise why it is disabled.
    text_note = traitlets.Unicode("").tag(sync=True)
    #: The features an exported report holds (empty in a kernel: all are available).
    embedded = traitlets.List(traitlets.Int()).tag(sync=True)
    #: The list's numbers, see :func:`_summary`.
    _summary = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        stats: FeatureStats,
        *,
        feature: int | None = None,
        origin: ActivationSource | None = None,
        embed: int | Sequence[int] = DEFAULT_EMBED,
        sort: str = "index",
        descending: bool = False,
        query: str = "",
        hide_dead: bool = True,
        title: str | None = None,
        precision: Literal["float16", "float32"] = "float16",
    ) -> None:
        if not isinstance(stats, FeatureStats):
            raise TypeError(
                "stats must be a mi_widgets FeatureStats (from feature_stats(...) or "
                f"FeatureStats.load(path)), got {type(stats).__name__}"
            )
        n = stats.n_features
        if n == 0:
            raise ValueError("stats has no features: nothing to show")
        if feature is None:
            fired = np.flatnonzero(~stats.dead)
            feature = int(fired[0]) if fired.size else 0
        check_index(feature, n, "feature")
        origin = stats.origin if origin is None else origin
        if origin is not None and not callable(getattr(origin, "activations", None)):
            raise TypeError(
                "origin must have a method activations(text) -> (tokens, acts [pos, n_features]), "
                f"got {type(origin).__name__}"
            )
        if precision not in ("float16", "float32"):
            raise ValueError(f"precision must be 'float16' or 'float32', got {precision!r}")
        self._stats = stats
        self._origin = origin
        self._float = np.float16 if precision == "float16" else np.float32
        self._embed = _check_embed(embed, n)
        self._probe: tuple[str, list[str], np.ndarray] | None = None
        super().__init__(
            title=title if title is not None else stats.hook,
            n_features=n,
            info=stats_info(stats),
            vocab=list(stats.vocab),
            feature=feature,
            sort=sort,
            descending=descending,
            query=query,
            hide_dead=hide_dead,
            text_note="" if origin is not None else NO_ORIGIN_NOTE,
            _summary=_summary(stats),
        )
        self._slices = {key: self.encode_slice(key) for key in _keys(self.feature)}

    @property
    def stats(self) -> FeatureStats:
        """The statistics shown."""
        return self._stats

    # ---- slices -------------------------------------------------------------------------

    def embed_features(self) -> list[int]:
        """The features an exported report embeds, the current one first."""
        if isinstance(self._embed, int):
            ranked = np.argsort(-self._stats.max, kind="stable")
            chosen = ranked[ranked != self.feature][: self._embed - 1].tolist()
        else:
            chosen = list(self._embed)
        return list(dict.fromkeys([self.feature, *chosen]))

    def slice_keys(self) -> list[str]:
        """The slices of the embedded features: ``feature:<f>`` and ``feature-ids:<f>``.

        ``feature:<f>`` is float ``[n]``, the concatenation of (each flattened, C order)
        ``window_values [k, W]``, ``interval_window_values [intervals, m, W]``,
        ``interval_edges [intervals + 1]``, ``logit_top_values``, ``logit_bottom_values``,
        ``nearest_cosine`` and ``[mean activation where non-zero]``. ``feature-ids:<f>`` is
        int32: ``[k, 2 + W]`` (doc, position, window vocab indices), the same
        ``[intervals, m, 2 + W]`` for interval examples, ``interval_counts``, the histogram
        ``counts [bins]``, ``logit_top``, ``logit_bottom``, ``nearest`` and ``[n_firing]``
        (counts past 2**31 - 1 are clipped to it). Sizes are in ``info``.
        """
        return [key for f in self.embed_features() for key in _keys(f)]

    def has_slice(self, key: str) -> bool:
        """Whether the kernel can serve ``key``: the slices of any feature."""
        kind, _, index = key.partition(":") if isinstance(key, str) else ("", "", "")
        return (
            kind in ("feature", "feature-ids") and index.isdigit() and int(index) < self.n_features
        )

    def encode_slice(self, key: str) -> EncodedArray:
        """The encoded array of ``key`` (see :meth:`slice_keys`)."""
        if not self.has_slice(key):
            raise KeyError(f"FeatureDashboard has no slice {key!r}")
        kind, _, index = key.partition(":")
        return feature_slice(self._stats, kind, int(index), self._float)

    def view_state(self) -> dict[str, Any]:
        """The state an exported report starts from: the text box disabled (no kernel there)
        and the embedded features listed."""
        return {**super().view_state(), "text_note": EXPORT_NOTE, "embedded": self.embed_features()}

    # ---- your own text ------------------------------------------------------------------

    def text_activations(
        self, text: str, feature: int | None = None
    ) -> tuple[list[str], np.ndarray]:
        """``(tokens, values)``: float32 ``[pos]`` activations of ``feature`` (default: the
        current one) at each token of ``text``, from the origin's ``activations(text)``.

        The origin's answer for the last text is kept, so other features cost no model run.
        """
        if self._origin is None:
            raise RuntimeError(NO_ORIGIN_NOTE)
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty string, got {text!r}")
        f = check_index(self.feature if feature is None else feature, self.n_features, "feature")
        if self._probe is None or self._probe[0] != text:
            self._probe = (
                text,
                *_check_origin_output(self._origin.activations(text), self.n_features),
            )
        _, tokens, acts = self._probe
        return tokens, np.ascontiguousarray(acts[:, f])

    def _on_custom_message(self, widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict) or content.get("type") != "text":
            super()._on_custom_message(widget, content, buffers)
            return
        reply = {"type": "text", "id": content.get("id", str(uuid.uuid4()))}
        try:
            tokens, values = self.text_activations(content.get("text", ""), content.get("feature"))
        except Exception as error:  # the origin is user code: the page shows what went wrong
            self.send({**reply, "error": f"{type(error).__name__}: {error}"})
            return
        header, data = split_header(encode_array(values))
        self.send(
            {**reply, "feature": content.get("feature"), "tokens": tokens, "array": header}, [data]
        )

    # ---- validation ---------------------------------------------------------------------

    @traitlets.validate("feature")
    def _valid_feature(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], self.n_features, "feature")

    @traitlets.validate("sort")
    def _valid_sort(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in SORTS:
            raise ValueError(
                f"sort must be one of {', '.join(map(repr, SORTS))}, got {proposal['value']!r}"
            )
        return proposal["value"]

    def __repr__(self) -> str:
        hook = self.info["hook"]
        return f"FeatureDashboard({self.n_features} features of {hook!r}, feature={self.feature})"


def feature_slice(stats: FeatureStats, kind: str, f: int, float_dtype: type) -> EncodedArray:
    """Slice ``feature:<f>`` (``kind="feature"``, floats as ``float_dtype``) or
    ``feature-ids:<f>`` (``kind="feature-ids"``) of ``stats``, laid out as
    :meth:`FeatureDashboard.slice_keys` describes."""
    s = stats
    if kind == "feature":
        parts = [
            s.window_values[f],
            s.interval_window_values[f],
            s.interval_edges[f],
            s.logit_top_values[f],
            s.logit_bottom_values[f],
            s.nearest_cosine[f],
            s.mean_firing[f : f + 1],
        ]
        return encode_array(np.concatenate([np.ravel(p).astype(float_dtype) for p in parts]))
    top = np.concatenate([s.docs[f, :, None], s.positions[f, :, None], s.window_tokens[f]], 1)
    intervals = np.concatenate(
        [
            s.interval_docs[f, ..., None],
            s.interval_positions[f, ..., None],
            s.interval_window_tokens[f],
        ],
        axis=2,
    )
    parts = [
        top,
        intervals,
        s.interval_counts[f],
        s.counts[f],
        s.logit_top[f],
        s.logit_bottom[f],
        s.nearest[f],
        s.n_firing[f : f + 1],
    ]
    ids = np.concatenate([np.ravel(p).astype(np.int64) for p in parts])
    return encode_array(np.minimum(ids, _INT32_MAX).astype(np.int32))


def _keys(feature: int) -> list[str]:
    return [f"feature:{feature}", f"feature-ids:{feature}"]


def _check_embed(value: Any, n_features: int) -> int | list[int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(
                f"embed = {value}: expected an int >= 1 (the current feature plus the n - 1 most "
                "active) or a list of feature indices"
            )
        return int(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(
            f"embed must be an int or a list of feature indices, got {type(value).__name__}"
        )
    return [check_index(f, n_features, f"embed[{i}]") for i, f in enumerate(list(value))]


def _check_origin_output(result: Any, n_features: int) -> tuple[list[str], np.ndarray]:
    """``(tokens, float32 acts [pos, n_features])`` from what ``origin.activations`` returned."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(
            f"origin.activations(text) must return (tokens, acts), got {type(result).__name__}"
        )
    tokens, acts = result
    if (
        isinstance(tokens, str)
        or not isinstance(tokens, Sequence)
        or not all(isinstance(t, str) for t in tokens)
    ):
        raise TypeError(
            "origin.activations(text) must return (tokens, acts) with tokens a list of strings, "
            f"got {type(tokens).__name__}"
        )
    acts = as_float32(acts, "origin.activations(text)[1]")
    if acts.shape != (len(tokens), n_features):
        raise ValueError(
            f"origin.activations(text) returned acts of shape {list(acts.shape)}; expected "
            f"[{len(tokens)} tokens, {n_features} features]"
        )
    return list(tokens), acts


def stats_info(stats: FeatureStats) -> dict[str, Any]:
    return {
        "hook": stats.hook,
        "source": stats.source,
        "n_tokens": int(stats.n_tokens),
        "n_docs": int(stats.n_docs),
        "k": stats.k,
        "context": stats.context,
        "n_intervals": stats.n_intervals,
        "per_interval": int(stats.interval_docs.shape[2]),
        "n_bins": int(stats.counts.shape[1]),
        "n_raised": int(stats.logit_top.shape[1]),
        "n_lowered": int(stats.logit_bottom.shape[1]),
        "n_nearest": int(stats.nearest.shape[1]),
    }


def _summary(stats: FeatureStats) -> dict[str, EncodedArray]:
    """The numbers of the feature list, for all features at once.

    ``stats``: float32 ``[2, feature]``, density and maximum activation. ``max_tokens``: int32
    vocab indices of the distinct tokens at the centre of each feature's top examples, feature
    after feature, the top example's first; feature ``f``'s are
    ``max_tokens[max_token_starts[f]:max_token_starts[f + 1]]`` (int32 ``[feature + 1]``).
    ``edges``: float32 ``[bins + 1]`` histogram bin edges, shared by all features.
    """
    centre = stats.window_tokens[:, :, stats.context]  # [feature, k]
    order = np.argsort(centre, axis=1, kind="stable")
    ranked = np.take_along_axis(centre, order, axis=1)
    first_ranked = np.ones(ranked.shape, dtype=bool)
    first_ranked[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    first = np.zeros_like(first_ranked)
    np.put_along_axis(first, order, first_ranked, axis=1)
    keep = first & (centre >= 0) & (stats.docs >= 0)
    starts = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
    numbers = np.stack([stats.density, stats.max]).astype(np.float32)
    return {
        "stats": encode_array(numbers),
        "max_tokens": encode_array(centre[keep].astype(np.int32)),
        "max_token_starts": encode_array(starts.astype(np.int32)),
        "edges": encode_array(np.asarray(stats.edges, dtype=np.float32)),
    }
