"""GraphView: explore an attribution graph — read its nodes and edges, prune it, pin nodes,
group them into supernodes, and intervene on features in a live kernel."""

from __future__ import annotations

import pathlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import traitlets

from ..circuits.graph import NODE_KINDS, AttributionGraph
from ..circuits.graph_json import shared_ids
from ..sae.stats import FeatureStats
from ._serialization import EncodedArray, encode_array, split_header
from .base import SlicedView
from .feature import feature_slice, stats_info

#: Why the intervention button is disabled when the graph has no model attached.
NO_MODEL_NOTE = (
    "Interventions need the model: this graph has none attached. Call "
    "graph.attach_model(model, tokenizer, transcoders) before making the view."
)
#: Why the intervention button is disabled in an exported report.
EXPORT_NOTE = "Interventions need a live kernel: this is an exported report."
#: How much an intervention button changes a feature: clamp to 0 (ablate) or scale.
INTERVENTION_MODES = ("clamp", "scale")
#: Added to the id of an error node whose graph-file id is also a feature's (see
#: :func:`view_node_ids`): ``"0_1_18"`` is the layer-0 feature 1 at 18, ``"0_1_18#error"`` the
#: layer-1 error at 18.
SHARED_ERROR_SUFFIX = "#error"


class GraphView(SlicedView):
    """An attribution graph drawn on a canvas: layers bottom to top (embeddings at the bottom,
    logits on top), the prompt's positions left to right.

    ::

        view = mw.GraphView(graph, stats={0: stats0, 1: stats1})
        view.selected                 # "1_412_7" after a click on that node
        view.node_threshold = 0.6     # the page re-prunes
        view.supernodes = {"say a name": ["1_412_7", "1_88_7"]}

    Nodes are drawn by kind — features (circles, filled by activation), errors (squares),
    embeddings (diamonds), logits (bars of their probability) — and edges by width (|weight|)
    and colour (red positive, blue negative; the diverging map of the other views). The page
    keeps the nodes and edges ``graph.prune(node_threshold, edge_threshold)`` keeps (pruning by
    influence on the logits, ported to the page), plus pinned nodes; a supernode is drawn as
    one node whose edges are the sums of its members'.

    Hover a node for its value and exact edge weights; click to select it (its strongest inputs
    and outputs stand out); keys: ↑ strongest output, ↓ strongest input, ←/→ next node in the
    row, Enter select, p pin, i intervene, Escape clear. With ``stats=``, selecting a feature
    shows its top activating examples, activation histogram and logit effects.

    The graph travels as binary arrays (see ``js/CONTRACT.md``): node arrays and an edge list of
    the adjacency's nonzero entries (source, target as int32, weight as float32, exact).

    Node ids are the graph file's (``view.node_ids``), made unique: where the layer-``f`` error
    at position ``p`` and the layer-0 feature ``f`` at ``p`` share the file's id ``0_{f}_{p}``,
    the bare id means the feature and the error's id ends in ``"#error"``
    (``SHARED_ERROR_SUFFIX``), in ``selected``, ``pinned``, ``supernodes`` and the page alike.
    :meth:`to_json` writes these ids into ``qParams``, so both nodes of such a pair keep their
    pins through a file (a reader that does not know the suffix skips the error's).

    Args:
        graph: the :class:`~mi_widgets.AttributionGraph` to show.
        stats: the transcoders' feature statistics: a dict layer → :class:`FeatureStats`
            (``mw.feature_stats(model, tokenizer, transcoders, texts)``), a list with one per
            layer (``None`` for a layer without), or None.
        selected, pinned, supernodes, node_threshold, edge_threshold: the starting state
            (default: what the graph file carried, see :meth:`to_json`; else nothing
            selected and thresholds 0.8 and 0.98 as circuit-tracer's).
        title: the heading (default: the prompt).

    Synced traits: ``selected`` (a node id, ``""`` for none), ``pinned`` (node ids),
    ``supernodes`` (name → member node ids), ``node_threshold``, ``edge_threshold``.
    """

    _module = "graph"

    title = traitlets.Unicode("").tag(sync=True)
    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    n_layers = traitlets.Int(1).tag(sync=True)
    logit_position = traitlets.Int(0).tag(sync=True)
    node_ids = traitlets.List(traitlets.Unicode()).tag(sync=True)
    logit_tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    pinned = traitlets.List(traitlets.Unicode()).tag(sync=True)
    supernodes = traitlets.Dict().tag(sync=True)
    node_threshold = traitlets.Float(0.8).tag(sync=True)
    edge_threshold = traitlets.Float(0.98).tag(sync=True)
    #: Feature statistics per layer: ``{str(layer): info}`` (see ``FeatureDashboard.info``).
    stats_info = traitlets.Dict().tag(sync=True)
    #: Token strings that the statistics' windows and logit effects index into.
    vocab = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: ``{str(layer): encoded float32 [bins + 1]}`` the statistics' histogram bin edges.
    _histogram_edges = traitlets.Dict().tag(sync=True)
    #: Empty when interventions work; otherwise why they are disabled.
    intervention_note = traitlets.Unicode("").tag(sync=True)
    #: Feature node ids whose statistics an exported report holds (empty in a kernel: all).
    embedded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: ``ints`` int32 ``[4, node]`` (kind, layer, position, feature or token id) and ``floats``
    #: float32 ``[2, node]`` (activation or probability, value); see :func:`encode_nodes`.
    _nodes = traitlets.Dict().tag(sync=True)
    #: ``ends`` int32 ``[2, edge]`` (source, target) and ``weight`` float32 ``[edge]``.
    _edges = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        graph: AttributionGraph,
        stats: Mapping[int, FeatureStats] | Sequence[FeatureStats | None] | None = None,
        *,
        selected: str | None = None,
        pinned: Sequence[str] | None = None,
        supernodes: Mapping[str, Sequence[str]] | None = None,
        node_threshold: float | None = None,
        edge_threshold: float | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(graph, AttributionGraph):
            raise TypeError(
                "graph must be a mi_widgets.AttributionGraph (from mw.attribute(...) or "
                f"AttributionGraph.from_json(path)), got {type(graph).__name__}"
            )
        self._graph = graph
        self._ids = view_node_ids(graph)
        self._index = {node: i for i, node in enumerate(self._ids)}
        self._stats = _check_stats(stats, graph)
        vocab = next((list(s.vocab) for s in self._stats.values()), [])
        saved = saved_view_state(graph)
        given = {
            "selected": selected,
            "pinned": None if pinned is None else list(pinned),
            "supernodes": None if supernodes is None else dict(supernodes),
            "node_threshold": node_threshold,
            "edge_threshold": edge_threshold,
        }
        state = {key: saved[key] if value is None else value for key, value in given.items()}
        super().__init__(
            title=graph.prompt if title is None else title,
            tokens=list(graph.tokens),
            n_layers=graph.n_layers,
            logit_position=graph.logit_position,
            node_ids=self._ids,
            logit_tokens=list(graph.logit_tokens),
            **state,
            stats_info={
                str(layer): {**stats_info(s), "n_features": s.n_features}
                for layer, s in self._stats.items()
            },
            _histogram_edges={
                str(layer): encode_array(np.asarray(s.edges, dtype=np.float32))
                for layer, s in self._stats.items()
            },
            vocab=vocab,
            intervention_note="" if graph.attached_model else NO_MODEL_NOTE,
            _nodes=encode_nodes(graph),
            _edges=encode_edges(graph),
        )
        self._slices = {key: self.encode_slice(key) for key in self._feature_keys(self.selected)}

    @property
    def graph(self) -> AttributionGraph:
        """The graph shown."""
        return self._graph

    # ---- feature statistics as slices ---------------------------------------------------

    def slice_keys(self) -> list[str]:
        """The statistics of every feature node with statistics, the selected one first, then
        by activation (largest first): ``feature:<layer>:<f>`` and ``feature-ids:<layer>:<f>``,
        laid out as :meth:`FeatureDashboard.slice_keys` describes."""
        graph = self._graph
        order = np.argsort(-graph.activations.abs().numpy(), kind="stable")
        ids = [self.selected, *(self._ids[i] for i in order.tolist())]
        return [key for node in dict.fromkeys(ids) for key in self._feature_keys(node)]

    def encode_slice(self, key: str) -> EncodedArray:
        """The encoded array of ``key`` (see :meth:`slice_keys`)."""
        kind, layer, feature = _parse_key(key)
        if layer not in self._stats or not 0 <= feature < self._stats[layer].n_features:
            raise KeyError(f"GraphView has no slice {key!r}")
        return feature_slice(self._stats[layer], kind, feature, np.float32)

    def has_slice(self, key: str) -> bool:
        try:
            _kind, layer, feature = _parse_key(key)
        except KeyError:
            return False
        return layer in self._stats and 0 <= feature < self._stats[layer].n_features

    def to_json(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the graph as Neuronpedia graph JSON with this view's state: pins, supernodes
        and the selection in ``qParams`` (``pinnedIds``, ``supernodes`` as
        ``[[name, *node ids], ...]``, ``clickedId``), the thresholds in ``metadata``
        (``node_threshold``, ``edge_threshold``). A GraphView of the file opens the same way.
        The node ids are the view's (an error sharing a feature's id keeps its ``"#error"``
        suffix, see the class docstring); the nodes and links keep the file format's ids."""
        q_params = {
            **self._graph.metadata.get("qParams", {}),
            "pinnedIds": list(self.pinned),
            "supernodes": [[name, *members] for name, members in self.supernodes.items()],
            "clickedId": self.selected,
        }
        metadata = {
            **self._graph.metadata,
            "qParams": q_params,
            "edge_threshold": self.edge_threshold,
        }
        graph = replace(self._graph, metadata=metadata)
        return graph.to_json(path, node_threshold=self.node_threshold)

    def _feature_keys(self, node: str) -> list[str]:
        """The two slice keys of feature node ``node`` when its layer has statistics."""
        i = self._index.get(node)
        if i is None or i >= self._graph.counts["feature"]:
            return []
        layer, _, feature = self._graph.features[i].tolist()
        if layer not in self._stats:
            return []
        return [f"feature:{layer}:{feature}", f"feature-ids:{layer}:{feature}"]

    def view_state(self) -> dict[str, Any]:
        """The state an exported report starts from: interventions disabled (no kernel) and
        the feature nodes whose statistics are embedded listed."""
        keys = [key for key in self.slice_keys() if key.startswith("feature:")]
        embedded = [self._node_of_key(key) for key in keys]
        return {**super().view_state(), "intervention_note": EXPORT_NOTE, "embedded": embedded}

    def _node_of_key(self, key: str) -> str:
        _, layer, feature = _parse_key(key)
        features = self._graph.features.numpy()
        rows = np.flatnonzero((features[:, 0] == layer) & (features[:, 2] == feature))
        return self._ids[int(rows[0])]

    # ---- interventions ------------------------------------------------------------------

    def intervene_on(self, nodes: Sequence[str], mode: str = "clamp", value: float = 0.0) -> Any:
        """Clamp (to ``value``) or scale (by ``value``) the feature nodes ``nodes`` (node ids or
        supernode names) and return the graph's
        :class:`~mi_widgets.circuits.intervene.InterventionResult`."""
        if mode not in INTERVENTION_MODES:
            raise ValueError(f"mode must be 'clamp' or 'scale', got {mode!r}")
        members = [m for node in nodes for m in self.supernodes.get(node, [node])]
        kinds = self._graph.node_kinds
        features = [m for m in members if m in self._index and kinds[self._index[m]] == "feature"]
        if not features:
            raise ValueError(
                f"nodes {list(nodes)!r} hold no feature node of this graph: only features can be "
                "clamped or scaled"
            )
        setting = value if mode == "clamp" else ("scale", value)
        return self._graph.intervene(dict.fromkeys(features, setting))

    def _on_custom_message(self, widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict) or content.get("type") != "intervene":
            super()._on_custom_message(widget, content, buffers)
            return
        reply = {"type": "intervene", "id": content.get("id", str(uuid.uuid4()))}
        try:
            result = self.intervene_on(
                content.get("nodes", []), content.get("mode", "clamp"), content.get("value", 0.0)
            )
        except Exception as error:  # the model is user code: the page shows what went wrong
            self.send({**reply, "error": f"{type(error).__name__}: {error}"})
            return
        probabilities = np.stack(
            [
                result.old_probabilities,
                result.new_of_old,
                result.new_probabilities,
                result.old_of_new,
            ]
        )
        header, data = split_header(encode_array(probabilities.astype(np.float32)))
        self.send(
            {
                **reply,
                "changes": [str(change) for change in result.changes],
                "old_tokens": result.old_tokens,
                "new_tokens": result.new_tokens,
                "array": header,
            },
            [data],
        )

    # ---- validation ---------------------------------------------------------------------

    @traitlets.validate("selected")
    def _valid_selected(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if value != "" and value not in self._index and value not in self.supernodes:
            raise ValueError(
                f"selected = {value!r} is not a node id of this graph nor a supernode name "
                f"(e.g. {self._ids[0]!r}; '' selects nothing)"
            )
        return value

    @traitlets.validate("pinned")
    def _valid_pinned(self, proposal: dict[str, Any]) -> list[str]:
        return self._known_nodes(proposal["value"], "pinned")

    @traitlets.validate("supernodes")
    def _valid_supernodes(self, proposal: dict[str, Any]) -> dict[str, list[str]]:
        value = proposal["value"]
        out = {}
        for name, members in value.items():
            if not isinstance(name, str) or not name or name in self._index:
                raise ValueError(
                    f"supernodes has name {name!r}: expected a non-empty string that is not a "
                    "node id"
                )
            checked = self._known_nodes(members, f"supernodes[{name!r}]")
            if not checked:
                raise ValueError(f"supernodes[{name!r}] is empty: a supernode needs members")
            out[name] = checked
        members = [m for group in out.values() for m in group]
        twice = sorted({m for m in members if members.count(m) > 1})
        if twice:
            raise ValueError(f"supernodes: nodes {twice} are in more than one supernode")
        return out

    @traitlets.validate("node_threshold", "edge_threshold")
    def _valid_threshold(self, proposal: dict[str, Any]) -> float:
        value, name = proposal["value"], proposal["trait"].name
        if not 0.0 <= value <= 1.0:
            raise ValueError(
                f"{name} = {value!r}: expected a fraction in [0, 1] of the cumulative influence "
                "to keep"
            )
        return float(value)

    def _known_nodes(self, nodes: Any, name: str) -> list[str]:
        if isinstance(nodes, str) or not isinstance(nodes, Sequence):
            raise TypeError(f"{name} must be a list of node ids, got {type(nodes).__name__}")
        unknown = [node for node in nodes if node not in self._index]
        if unknown:
            raise ValueError(
                f"{name} has {unknown[:5]!r}, not node ids of this graph (e.g. {self._ids[0]!r})"
            )
        return list(dict.fromkeys(nodes))

    def __repr__(self) -> str:
        shown = f", selected {self.selected!r}" if self.selected else ""
        return f"GraphView({self._graph!r}{shown})"


def view_node_ids(graph: AttributionGraph) -> list[str]:
    """``[node]`` the graph's node ids made unique for the view: an error whose id is also a
    feature's (:func:`~mi_widgets.circuits.graph_json.shared_ids`) gets ``SHARED_ERROR_SUFFIX``."""
    ids = graph.node_ids
    for error in shared_ids(graph)[1].tolist():
        ids[error] += SHARED_ERROR_SUFFIX
    return ids


def saved_view_state(graph: AttributionGraph) -> dict[str, Any]:
    """The view state a graph file carries (``qParams`` and thresholds in its metadata, as
    :meth:`GraphView.to_json` writes them) in the view's node ids (:func:`view_node_ids`: a
    bare shared id is the feature), node ids not in the graph left out; defaults
    (nothing selected, thresholds 0.8 and 0.98) where it carries none. The thresholds are a
    view's only when both are there (``edge_threshold`` is ours)."""
    metadata = graph.metadata
    q_params = metadata.get("qParams") or {}
    known = set(view_node_ids(graph))
    groups = {}
    for group in q_params.get("supernodes") or []:
        if isinstance(group, list) and group and isinstance(group[0], str):
            members = [m for m in group[1:] if m in known]
            if members and group[0] not in known:
                groups[group[0]] = members
    clicked = q_params.get("clickedId") or ""
    by_view = "edge_threshold" in metadata
    return {
        "selected": clicked if clicked in known or clicked in groups else "",
        "pinned": [node for node in q_params.get("pinnedIds") or [] if node in known],
        "supernodes": groups,
        # a file written by a view has both thresholds; a lone node_threshold is the pruning a
        # graph was made with (circuit-tracer's files), not a view's state
        "node_threshold": _fraction(metadata.get("node_threshold"), 0.8) if by_view else 0.8,
        "edge_threshold": _fraction(metadata.get("edge_threshold"), 0.98),
    }


def _fraction(value: Any, default: float) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
    return float(value) if ok else default


def encode_nodes(graph: AttributionGraph) -> dict[str, EncodedArray]:
    """The nodes as two arrays, in the graph's node order.

    ``ints`` int32 ``[4, node]``: kind (index into ``NODE_KINDS``: feature, error, embedding,
    logit), layer (the block; -1 for embeddings, ``n_layers`` for logits), position, and the
    feature index (features), token id (embeddings, logits) or -1 (errors). ``floats`` float32
    ``[2, node]``: activation (features) or probability (logits), NaN otherwise; and the node's
    value (``graph.values``; NaN where unknown).
    """
    counts = graph.counts
    kinds = np.repeat(np.arange(len(NODE_KINDS)), [counts[k] for k in NODE_KINDS])
    features, errors = graph.features.numpy(), graph.errors.numpy()
    embeddings, logits = graph.embeddings.numpy(), graph.logits.numpy()
    n_logits = len(logits)
    layers = np.concatenate(
        [
            features[:, 0],
            errors[:, 0],
            np.full(len(embeddings), -1),
            np.full(n_logits, graph.n_layers),
        ]
    )
    positions = np.concatenate(
        [features[:, 1], errors[:, 1], embeddings, np.full(n_logits, graph.logit_position)]
    )
    ids = graph.input_ids.numpy()
    index = np.concatenate([features[:, 2], np.full(len(errors), -1), ids[embeddings], logits])
    nan = np.full(len(errors) + len(embeddings), np.nan, dtype=np.float32)
    activation = np.concatenate([graph.activations.numpy(), nan, graph.logit_probabilities.numpy()])
    ints = np.stack([kinds, layers, positions, index]).astype(np.int32)
    floats = np.stack([activation, graph.values.numpy()]).astype(np.float32)
    return {"ints": encode_array(ints), "floats": encode_array(floats)}


def encode_edges(graph: AttributionGraph) -> dict[str, EncodedArray]:
    """The adjacency's nonzero entries: ``ends`` int32 ``[2, edge]`` (source, target node
    indices) and ``weight`` float32 ``[edge]`` (exact), ordered by target then source."""
    adjacency = graph.adjacency.numpy()
    target, source = np.nonzero(adjacency)
    ends = np.stack([source, target]).astype(np.int32)
    weight = adjacency[target, source].astype(np.float32)
    return {"ends": encode_array(ends), "weight": encode_array(weight)}


def _check_stats(stats: Any, graph: AttributionGraph) -> dict[int, FeatureStats]:
    """``stats`` as a dict layer → FeatureStats, checked against the graph's features."""
    if stats is None:
        return {}
    if isinstance(stats, FeatureStats):
        raise TypeError(
            "stats must give the statistics of each layer's transcoder: a dict layer → "
            "FeatureStats or a list with one per layer, got one FeatureStats"
        )
    if isinstance(stats, Mapping):
        items = list(stats.items())
    elif isinstance(stats, Sequence) and not isinstance(stats, str):
        items = list(enumerate(stats))
    else:
        raise TypeError(
            f"stats must be a dict layer → FeatureStats or a list, got {type(stats).__name__}"
        )
    out: dict[int, FeatureStats] = {}
    features = graph.features.numpy()
    for layer, layer_stats in items:
        if layer_stats is None:
            continue
        if (
            isinstance(layer, bool)
            or not isinstance(layer, (int, np.integer))
            or not (0 <= layer < graph.n_layers)
        ):
            raise ValueError(
                f"stats has layer {layer!r}; the graph's model has layers 0..{graph.n_layers - 1}"
            )
        if not isinstance(layer_stats, FeatureStats):
            raise TypeError(
                f"stats[{layer}] must be a FeatureStats, got {type(layer_stats).__name__}"
            )
        used = features[features[:, 0] == layer, 2]
        if used.size and int(used.max()) >= layer_stats.n_features:
            raise ValueError(
                f"stats[{layer}] has {layer_stats.n_features} features but the graph has feature "
                f"{int(used.max())} at layer {layer}: these are not the statistics of its "
                "transcoder"
            )
        out[int(layer)] = layer_stats
    vocabs = {len(s.vocab) for s in out.values()}
    if len(vocabs) > 1:
        raise ValueError(f"stats have vocabularies of different sizes {sorted(vocabs)}")
    return out


def _parse_key(key: Any) -> tuple[str, int, int]:
    """``(kind, layer, feature)`` of a slice key ``feature:<layer>:<f>`` or
    ``feature-ids:<layer>:<f>``."""
    parts = key.split(":") if isinstance(key, str) else []
    if (
        len(parts) != 3
        or parts[0] not in ("feature", "feature-ids")
        or not (parts[1].isdigit() and parts[2].isdigit())
    ):
        raise KeyError(f"GraphView has no slice {key!r}")
    return parts[0], int(parts[1]), int(parts[2])
