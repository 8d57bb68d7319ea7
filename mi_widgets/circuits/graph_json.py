"""Attribution graphs in Neuronpedia's graph JSON, the format circuit-tracer writes.

A file holds ``metadata`` (slug, scan, transcoder_list, prompt_tokens, prompt,
node_threshold, schema_version), ``qParams`` (the view state: pinnedIds, supernodes, linkType,
clickedId, sg_pos), ``nodes`` and ``links``. Each node has node_id, feature, layer (a string),
ctx_idx, feature_type, token_prob, is_target_logit, run_idx, reverse_ctx_idx, jsNodeId, clerp,
influence and activation; each link has source, target (node ids) and weight (the direct
effect of source on target). Node ids: features ``{layer}_{feature}_{pos}``, errors
``0_{layer}_{pos}`` (the same shape as a layer-0 feature's id: the kind is read from
``feature_type``, never from the id), embeddings ``E_{token_id}_{pos}``, logits
``{n_layers + 1}_{token_id}_{pos}``.

>>> graph = mw.attribute(model, tokenizer, text, mw.demo_transcoders()).prune()
>>> path = graph.to_json("graph.json")
>>> loaded = mw.AttributionGraph.from_json(path)
>>> loaded.node_ids == graph.node_ids, torch.equal(loaded.adjacency, graph.adjacency)
(True, True)
"""

from __future__ import annotations

import json
import math
import pathlib
import re
from collections.abc import Callable
from typing import Any

import torch

from ..checks import is_int

#: An :class:`~mi_widgets.AttributionGraph` (its module imports this one, so not by name here).
Graph = Any

SCHEMA_VERSION = 1
#: ``feature_type`` of each node kind, as circuit-tracer writes it (its per-layer transcoder
#: features are typed "cross layer transcoder" too)
FEATURE_TYPES = {
    "feature": "cross layer transcoder",
    "error": "mlp reconstruction error",
    "embedding": "embedding",
    "logit": "logit",
}
_KINDS = {feature_type: kind for kind, feature_type in FEATURE_TYPES.items()}
_ID_PATTERNS = {
    "feature": re.compile(r"(?P<layer>\d+)_(?P<index>\d+)_(?P<pos>\d+)"),
    "error": re.compile(r"0_(?P<layer>\d+)_(?P<pos>\d+)"),
    "embedding": re.compile(r"E_(?P<token>\d+)_(?P<pos>\d+)"),
    "logit": re.compile(r"(?P<layer>\d+)_(?P<token>\d+)_(?P<pos>\d+)"),
}
_ID_FORMS = {
    "feature": "{layer}_{feature}_{pos}",
    "error": "0_{layer}_{pos}",
    "embedding": "E_{token_id}_{pos}",
    "logit": "{layer}_{token_id}_{pos}",
}
_LOGIT_CLERP = re.compile(r'Output "(.*)" \(p=[^)]*\)', re.S)


class GraphJSONError(ValueError):
    """A graph file that does not follow the schema; the message names the first bad field."""


def to_json(
    graph: Graph,
    path: str | pathlib.Path,
    *,
    slug: str | None = None,
    node_threshold: float | None = None,
) -> pathlib.Path:
    """Write ``graph`` to ``path`` as Neuronpedia graph JSON; returns the path.

    Every node of the graph is written (prune first to write fewer) and every nonzero entry
    of the adjacency as a link. ``slug`` names the graph (default: the graph's ``slug``
    metadata, else made from the prompt); ``node_threshold`` is recorded in the metadata (the
    pruning threshold the graph was made with, if any). Influence and clerps come from the
    graph's metadata (kept there by :func:`read_graph`, keyed by ``(kind, node id)``) when
    present; else influence is computed as circuit-tracer does (:func:`cumulative_influence`)
    and a logit's clerp is ``Output "token" (p=0.123)``.
    """
    if not all(hasattr(graph, name) for name in ("adjacency", "node_ids", "slices")):
        raise TypeError(f"graph must be an AttributionGraph, got {type(graph).__name__}")
    if node_threshold is not None and not isinstance(node_threshold, (int, float)):
        raise TypeError(f"node_threshold must be a number or None, got {node_threshold!r}")
    metadata = graph.metadata
    slug = slug if slug is not None else metadata.get("slug") or _slugify(graph.prompt)
    if not isinstance(slug, str) or not slug:
        raise ValueError(f"slug must be a non-empty string, got {slug!r}")
    if node_threshold is None:
        node_threshold = metadata.get("node_threshold")
    document = {
        "metadata": {
            "slug": slug,
            "scan": str(metadata.get("scan") or metadata.get("transcoders") or "mi_widgets"),
            "transcoder_list": list(metadata.get("transcoder_list", [])),
            "prompt_tokens": list(graph.tokens),
            "prompt": graph.prompt,
            "node_threshold": node_threshold,
            "schema_version": SCHEMA_VERSION,
            **_view_thresholds(metadata),
        },
        "qParams": metadata.get(
            "qParams",
            {"pinnedIds": [], "supernodes": [], "linkType": "both", "clickedId": "", "sg_pos": ""},
        ),
        "nodes": _nodes(graph),
        "links": _links(graph),
    }
    path = pathlib.Path(path)
    path.write_text(json.dumps(document, indent=1, allow_nan=False))
    return path


def _view_thresholds(metadata: dict[str, Any]) -> dict[str, Any]:
    """The edge threshold a view was left at (``GraphView.to_json``), when there is one."""
    edge = metadata.get("edge_threshold")
    return {} if edge is None else {"edge_threshold": edge}


def _slugify(text: str) -> str:
    """A Neuronpedia slug: lowercase letters, digits and hyphens, at most 40 characters."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "graph"


def _nodes(graph: Graph) -> list[dict[str, Any]]:
    """One JSON node per graph node, in the graph's node order."""
    input_ids = graph.input_ids.tolist()
    logit_layer, logit_pos = str(graph.n_layers + 1), graph.logit_position
    fields = [
        *(
            {
                "feature": _cantor_pairing(layer, feature),
                "layer": str(layer),
                "ctx_idx": pos,
                "jsNodeId": f"{layer}_{feature}-0",
                "activation": _finite(activation),
            }
            for (layer, pos, feature), activation in zip(
                graph.features.tolist(), graph.activations.tolist(), strict=True
            )
        ),
        *(
            {"feature": -1, "layer": str(layer), "ctx_idx": pos, "jsNodeId": f"{layer}_{pos}-0"}
            for layer, pos in graph.errors.tolist()
        ),
        *(
            {"feature": pos, "layer": "E", "ctx_idx": pos, "jsNodeId": f"E_{input_ids[pos]}-{pos}"}
            for pos in graph.embeddings.tolist()
        ),
        *(
            {
                "feature": token,
                "layer": logit_layer,
                "ctx_idx": logit_pos,
                "jsNodeId": f"L_{token}-{logit_pos}",
                "token_prob": probability,
                "is_target_logit": i == 0,
            }
            for i, (token, probability) in enumerate(
                zip(graph.logits.tolist(), graph.logit_probabilities.tolist(), strict=True)
            )
        ),
    ]
    influence = graph.metadata.get("influence") or cumulative_influence(graph)
    clerps = {
        **{
            ("logit", node_id): _logit_clerp(token, probability)
            for node_id, token, probability in zip(
                graph.node_ids[graph.slices["logit"]],
                graph.logit_tokens,
                graph.logit_probabilities.tolist(),
                strict=True,
            )
        },
        **graph.metadata.get("clerps", {}),
    }
    return [
        {
            "node_id": node_id,
            "feature": node["feature"],
            "layer": node["layer"],
            "ctx_idx": node["ctx_idx"],
            "feature_type": FEATURE_TYPES[kind],
            "token_prob": node.get("token_prob", 0.0),
            "is_target_logit": node.get("is_target_logit", False),
            "run_idx": 0,
            "reverse_ctx_idx": 0,
            "jsNodeId": node["jsNodeId"],
            "clerp": clerps.get((kind, node_id), ""),
            "influence": _finite(influence.get((kind, node_id))),
            "activation": node.get("activation"),
        }
        for node_id, kind, node in zip(graph.node_ids, graph.node_kinds, fields, strict=True)
    ]


def cumulative_influence(graph: Graph) -> dict[tuple[str, str], float]:
    """circuit-tracer's ``influence`` field: each node's share of the total influence on the
    logits held by the nodes at least as influential as it (``graph.node_influence()``
    sorted descending, cumulated, divided by the total), keyed by ``(kind, node id)``; none
    for logits."""
    scores = graph.node_influence()
    order = torch.argsort(scores, descending=True)
    cumulative = torch.empty_like(scores)
    cumulative[order] = torch.cumsum(scores[order], 0) / scores.sum()
    keys = list(zip(graph.node_kinds, graph.node_ids, strict=True))
    return {
        key: value
        for key, value in zip(keys, cumulative.tolist(), strict=True)
        if key[0] != "logit"
    }


def _logit_clerp(token: str, probability: float) -> str:
    """A logit node's label, as circuit-tracer writes it."""
    return f'Output "{token}" (p={probability:.3f})'


def _logit_token(clerp: str) -> str:
    """The token string in a logit's clerp (``Output "tok" (p=0.123)``), else ``""``."""
    match = _LOGIT_CLERP.fullmatch(clerp)
    return match[1] if match else ""


def _finite(value: float | None) -> float | None:
    """JSON has no NaN: unknown numbers are written as null."""
    return None if value is None or math.isnan(value) else value


def _cantor_pairing(x: int, y: int) -> int:
    """circuit-tracer's ``feature`` number of feature ``y`` of layer ``x`` (unique per pair)."""
    return (x + y) * (x + y + 1) // 2 + y


def _links(graph: Graph) -> list[dict[str, Any]]:
    """The nonzero entries of the adjacency as ``{source, target, weight}`` links, row by row
    (target), sources in node order.

    Where a feature and an error share an id (:func:`shared_ids`), both their links to a
    target are written, the feature's first, even if one weight is 0, so that a reader can
    tell them apart by their order.
    """
    written = graph.adjacency != 0
    features, errors = shared_ids(graph)
    either = written[:, features] | written[:, errors]
    written[:, features], written[:, errors] = either, either
    targets, sources = torch.nonzero(written, as_tuple=True)
    weights = graph.adjacency[targets, sources].tolist()
    ids = graph.node_ids
    return [
        {"source": ids[s], "target": ids[t], "weight": w}
        for s, t, w in zip(sources.tolist(), targets.tolist(), weights, strict=True)
    ]


def shared_ids(graph: Graph) -> tuple[torch.Tensor, torch.Tensor]:
    """``([n_shared], [n_shared])`` node indices of the features and errors whose ids are
    equal: feature ``f < n_layers`` of layer 0 at position ``p`` (``0_{f}_{p}``) and the
    layer-``f`` error at ``p`` (``0_{f}_{p}`` too) — the format's ids collide there."""
    layer_0 = graph.features[:, 0] == 0
    same = (
        layer_0[:, None]
        & (graph.features[:, 2, None] == graph.errors[None, :, 0])
        & (graph.features[:, 1, None] == graph.errors[None, :, 1])
    )
    features, errors = torch.nonzero(same, as_tuple=True)
    return features, errors + graph.slices["error"].start


def read_graph(path: str | pathlib.Path) -> dict[str, Any]:
    """The fields of an :class:`~mi_widgets.AttributionGraph` (keyword arguments) read from a
    graph written by :func:`to_json`, by circuit-tracer or by Neuronpedia
    (``AttributionGraph.from_json`` builds the graph).

    The graph holds the nodes in the file (features, errors, embeddings, logits, each kind in
    file order) and the adjacency from the links (0 where the file has no link). ``values``
    and ``constants`` are NaN (the file does not have them); ``input_ids`` is -1 at a position
    without an embedding node. The file's metadata and qParams, each node's influence and
    clerp (dicts keyed by node id: ``influence``, ``clerps``) go into ``graph.metadata``.

    Raises:
        GraphJSONError: the file does not follow the schema; the message names the first bad
            field, e.g. ``nodes[3].ctx_idx: expected an int, got 'x'``.
    """
    path = pathlib.Path(path)
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise GraphJSONError(f"{path}: not JSON: {error}") from None
    try:
        return _graph(document)
    except GraphJSONError as error:
        raise GraphJSONError(f"{path}: {error}") from None


def _graph(document: Any) -> dict[str, Any]:
    root = _Field(document, "")
    meta = root.get("metadata", dict)
    tokens = meta.get("prompt_tokens", list)
    for i, token in enumerate(tokens.value):
        tokens.item(i, token).check(str)
    prompt = meta.get("prompt", str).value
    nodes = root.get("nodes", list)
    n_pos = len(tokens.value)
    parsed = [_node(nodes.item(i, node), n_pos) for i, node in enumerate(nodes.value)]
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FEATURE_TYPES}
    for node in parsed:
        by_kind[node["kind"]].append(node)
    ordered = [node for kind in FEATURE_TYPES for node in by_kind[kind]]
    index: dict[str, list[int]] = {}
    for i, node in enumerate(ordered):
        same = index.setdefault(node["id"], [])
        if same and [ordered[same[0]]["kind"], node["kind"]] != ["feature", "error"]:
            raise GraphJSONError(f"{node['where']}.node_id: {node['id']!r} appears twice")
        same.append(i)
    adjacency = _adjacency(root.get("links", list), index)
    logits = by_kind["logit"]
    logit_positions = {node["pos"] for node in logits}
    if len(logit_positions) > 1:
        raise GraphJSONError(
            f"{logits[-1]['where']}.ctx_idx: expected every logit at one position, got "
            f"{sorted(logit_positions)}"
        )
    input_ids = torch.full((n_pos,), -1, dtype=torch.int64)
    for node in by_kind["embedding"]:
        input_ids[node["pos"]] = node["token"]
    metadata: dict[str, Any] = dict(meta.value)
    metadata["qParams"] = root.value.get("qParams", {})
    metadata["influence"] = {
        (n["kind"], n["id"]): n["influence"] for n in ordered if n["influence"] is not None
    }
    metadata["clerps"] = {(n["kind"], n["id"]): n["clerp"] for n in ordered if n["clerp"]}
    return dict(
        prompt=prompt,
        tokens=list(tokens.value),
        input_ids=input_ids,
        features=_int_table([[n["layer"], n["pos"], n["index"]] for n in by_kind["feature"]], 3),
        activations=torch.tensor(
            [math.nan if n["activation"] is None else n["activation"] for n in by_kind["feature"]],
            dtype=torch.float32,
        ),
        errors=_int_table([[n["layer"], n["pos"]] for n in by_kind["error"]], 2),
        embeddings=torch.tensor([n["pos"] for n in by_kind["embedding"]], dtype=torch.int64),
        logits=torch.tensor([n["token"] for n in logits], dtype=torch.int64),
        logit_tokens=[_logit_token(n["clerp"]) for n in logits],
        logit_probabilities=torch.tensor([n["token_prob"] for n in logits], dtype=torch.float32),
        logit_position=logit_positions.pop() if logit_positions else n_pos - 1,
        adjacency=adjacency,
        values=nan_vector(len(ordered)),
        constants=nan_vector(len(ordered)),
        n_layers=_n_layers(by_kind),
        metadata=metadata,
    )


def _node(field: _Field, n_pos: int) -> dict[str, Any]:
    """One JSON node as a dict: kind, id, layer, pos, feature index or token id, extras."""
    field.check(dict)
    feature_type = field.get("feature_type", str).value
    if feature_type not in _KINDS:
        raise GraphJSONError(
            f"{field.where}.feature_type: expected one of {sorted(_KINDS)}, got {feature_type!r}"
        )
    kind = _KINDS[feature_type]
    node_id = field.get("node_id", str).value
    pos = field.get("ctx_idx", int).value
    if not 0 <= pos < n_pos:
        raise GraphJSONError(
            f"{field.where}.ctx_idx: expected 0 <= ctx_idx < {n_pos} (the prompt's tokens), "
            f"got {pos}"
        )
    layer_text = field.get("layer", str).value
    match = _ID_PATTERNS[kind].fullmatch(node_id)
    if match is None:
        raise GraphJSONError(
            f"{field.where}.node_id: expected an id {_ID_FORMS[kind]} ({kind}), got {node_id!r}"
        )
    parts = {name: int(value) for name, value in match.groupdict().items()}
    if kind != "embedding":
        if not re.fullmatch(r"-?\d+", layer_text):
            raise GraphJSONError(
                f"{field.where}.layer: expected a layer number as a string, got {layer_text!r}"
            )
        if parts["layer"] != int(layer_text):
            raise GraphJSONError(f"{field.where}.node_id: {node_id!r} is not at layer {layer_text}")
    if parts["pos"] != pos:
        raise GraphJSONError(f"{field.where}.node_id: {node_id!r} is not at ctx_idx {pos}")
    return {
        "kind": kind,
        "id": node_id,
        "where": field.where,
        "layer": parts.get("layer"),
        "pos": pos,
        "index": parts.get("index"),
        "token": parts.get("token"),
        "influence": field.optional("influence", float),
        "clerp": field.optional("clerp", str) or "",
        "activation": field.optional("activation", float),
        "token_prob": field.optional("token_prob", float) or 0.0,
    }


def _adjacency(links: _Field, index: dict[str, list[int]]) -> torch.Tensor:
    """``[n_nodes, n_nodes]`` float32, row = target, column = source, from the links.

    ``index`` maps each id to its nodes: one, or a feature and an error sharing the id. A
    link to such an id goes to the feature (errors have no incoming edges); of two links from
    it to one target the first is the feature's and the second the error's (the order
    :func:`to_json` and circuit-tracer write them in); a single one is read as the feature's.
    """
    n_nodes = sum(len(nodes) for nodes in index.values())
    targets, sources, weights = [], [], []
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(links.value):
        field = links.item(i, link).check(dict)
        target, source = (field.get(end, str).value for end in ("target", "source"))
        for end, node_id in (("target", target), ("source", source)):
            if node_id not in index:
                raise GraphJSONError(f"{field.where}.{end}: no node has the id {node_id!r}")
        occurrence = seen[source, target] = seen.get((source, target), -1) + 1
        if occurrence >= len(index[source]):
            raise GraphJSONError(
                f"{field.where}: a link from {source!r} to {target!r} appears "
                f"{occurrence + 1} times"
            )
        targets.append(index[target][0])
        sources.append(index[source][occurrence])
        weights.append(field.get("weight", float).value)
    adjacency = torch.zeros(n_nodes, n_nodes)
    adjacency[
        torch.tensor(targets, dtype=torch.int64), torch.tensor(sources, dtype=torch.int64)
    ] = torch.tensor(weights, dtype=torch.float32)
    return adjacency


def _int_table(rows: list[list[int]], width: int) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.int64).reshape(len(rows), width)


def _n_layers(by_kind: dict[str, list[dict[str, Any]]]) -> int:
    """The model's layers: logits sit at layer ``n_layers + 1``; without logits, one more
    than the highest feature or error layer."""
    if by_kind["logit"]:
        return by_kind["logit"][0]["layer"] - 1
    layers = [n["layer"] for kind in ("feature", "error") for n in by_kind[kind]]
    return max(layers, default=-1) + 1


_CHECKS: dict[type, tuple[str, Callable[[Any], bool]]] = {
    dict: ("an object", lambda v: isinstance(v, dict)),
    list: ("a list", lambda v: isinstance(v, list)),
    str: ("a string", lambda v: isinstance(v, str)),
    int: ("an int", is_int),
    float: ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
}


class _Field:
    """A value inside the document and where it sits (``nodes[3].ctx_idx``), for errors."""

    def __init__(self, value: Any, where: str) -> None:
        self.value, self.where = value, where

    def check(self, kind: type) -> _Field:
        description, accepts = _CHECKS[kind]
        if not accepts(self.value):
            raise GraphJSONError(
                f"{self.where or 'the file'}: expected {description}, got {self.value!r:.80}"
            )
        return self

    def get(self, key: str, kind: type) -> _Field:
        self.check(dict)
        where = f"{self.where}.{key}" if self.where else key
        if key not in self.value:
            raise GraphJSONError(f"{where}: missing")
        return _Field(self.value[key], where).check(kind)

    def optional(self, key: str, kind: type) -> Any:
        """The value at ``key`` (checked), or None when missing or null."""
        if self.value.get(key) is None:
            return None
        return self.get(key, kind).value

    def item(self, i: int, value: Any) -> _Field:
        return _Field(value, f"{self.where}[{i}]")


def nan_vector(size: int) -> torch.Tensor:
    """``[size]`` float32 NaN: values or constants that are not known."""
    return torch.full((size,), math.nan)
