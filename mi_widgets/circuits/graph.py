"""An attribution graph: which features, errors and token embeddings drive which features and
logits, and by how much, on one prompt.

Nodes come in a fixed order — features, errors, embeddings, logits — and
``adjacency[target, source]`` is the direct effect of ``source`` on ``target`` in the local
replacement model (see :func:`~mi_widgets.attribute`). Node ids follow the graph files of
Neuronpedia and circuit-tracer: features ``{layer}_{feature}_{pos}``, errors
``0_{layer}_{pos}``, embeddings ``E_{token_id}_{pos}``, logits
``{n_layers + 1}_{token_id}_{pos}``.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import torch

from ..checks import positive_int
from . import graph_json, influence

#: The kinds of node, in the order the nodes are stored.
NODE_KINDS = ("feature", "error", "embedding", "logit")


@dataclass(eq=False)
class AttributionGraph:
    """Direct effects between the nodes of one prompt's replacement model.

    Attributes:
        prompt: the text attributed.
        tokens: ``[pos]`` token strings.
        input_ids: ``[pos]`` int64 token ids.
        features: ``[n_f, 3]`` int64 ``(layer, position, feature index)`` of feature nodes.
        activations: ``[n_f]`` float32 each feature's activation.
        errors: ``[n_e, 2]`` int64 ``(layer, position)`` of error nodes (what a transcoder
            misses of its MLP's output).
        embeddings: ``[n_t]`` int64 positions of embedding nodes (the first block's input).
        logits: ``[n_l]`` int64 token ids of the logit nodes.
        logit_tokens: ``[n_l]`` their token strings.
        logit_probabilities: ``[n_l]`` float32 their probabilities.
        logit_position: the position whose next-token logits are explained.
        adjacency: ``[n_nodes, n_nodes]`` float32, ``adjacency[target, source]`` the direct
            effect of ``source`` on ``target``.
        values: ``[n_nodes]`` float32 each node's value: a feature's pre-activation, a logit
            minus the mean logit over the vocabulary; NaN for nodes that are only sources
            (errors, embeddings) and where unknown (e.g. read from a graph file).
        constants: ``[n_nodes]`` float32 the part of each value no node explains (biases);
            ``values = adjacency.sum(1) + constants`` for features and logits. NaN where unknown.
        n_layers: the model's number of blocks.
        metadata: facts about the graph (model, transcoders, settings, a graph file's extras).
    """

    prompt: str
    tokens: list[str]
    input_ids: torch.Tensor
    features: torch.Tensor
    activations: torch.Tensor
    errors: torch.Tensor
    embeddings: torch.Tensor
    logits: torch.Tensor
    logit_tokens: list[str]
    logit_probabilities: torch.Tensor
    logit_position: int
    adjacency: torch.Tensor
    values: torch.Tensor
    constants: torch.Tensor
    n_layers: int
    metadata: dict[str, Any] = field(default_factory=dict)
    #: ``(model, tokenizer, transcoders)`` the graph was made from, for :meth:`intervene`: in
    #: memory only (never saved), carried by :meth:`prune`; set by :meth:`attach_model`.
    attached_model: tuple[Any, Any, Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_pos = len(self.tokens)
        counts = self.counts
        n_nodes = sum(counts.values())
        expected: dict[str, tuple[torch.Tensor, tuple[int, ...]]] = {
            "input_ids": (self.input_ids, (n_pos,)),
            "features": (self.features, (counts["feature"], 3)),
            "activations": (self.activations, (counts["feature"],)),
            "errors": (self.errors, (counts["error"], 2)),
            "embeddings": (self.embeddings, (counts["embedding"],)),
            "logit_probabilities": (self.logit_probabilities, (counts["logit"],)),
            "logit_tokens": (torch.empty(len(self.logit_tokens)), (counts["logit"],)),
            "adjacency": (self.adjacency, (n_nodes, n_nodes)),
            "values": (self.values, (n_nodes,)),
            "constants": (self.constants, (n_nodes,)),
        }
        for name, (tensor, shape) in expected.items():
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
            if tuple(tensor.shape) != shape:
                raise ValueError(
                    f"{name} has shape {tuple(tensor.shape)}; with {n_pos} tokens and "
                    f"{n_nodes} nodes ({_describe(counts)}) expected {shape}"
                )
        positions = torch.cat([self.features[:, 1], self.errors[:, 1], self.embeddings])
        if positions.numel() and not bool(((positions >= 0) & (positions < n_pos)).all()):
            raise ValueError(f"a node's position is outside 0..{n_pos - 1} (the prompt's tokens)")
        if not 0 <= self.logit_position < max(n_pos, 1):
            raise ValueError(
                f"logit_position = {self.logit_position} is outside 0..{n_pos - 1} "
                "(the prompt's tokens)"
            )

    @property
    def counts(self) -> dict[str, int]:
        """The number of nodes of each kind."""
        return {
            "feature": int(self.features.shape[0]),
            "error": int(self.errors.shape[0]),
            "embedding": int(self.embeddings.shape[0]),
            "logit": int(self.logits.shape[0]),
        }

    @property
    def n_nodes(self) -> int:
        return sum(self.counts.values())

    @property
    def slices(self) -> dict[str, slice]:
        """Where each kind of node sits in the node order."""
        out, start = {}, 0
        for kind, count in self.counts.items():
            out[kind] = slice(start, start + count)
            start += count
        return out

    @property
    def node_kinds(self) -> list[str]:
        """``[n_nodes]`` each node's kind: ``"feature"``, ``"error"``, ``"embedding"`` or
        ``"logit"``."""
        return [kind for kind, count in self.counts.items() for _ in range(count)]

    @property
    def node_ids(self) -> list[str]:
        """``[n_nodes]`` each node's id in the graph-file convention (module docstring)."""
        ids = self.input_ids.tolist()
        features = [f"{layer}_{index}_{pos}" for layer, pos, index in self.features.tolist()]
        errors = [f"0_{layer}_{pos}" for layer, pos in self.errors.tolist()]
        embeddings = [f"E_{ids[pos]}_{pos}" for pos in self.embeddings.tolist()]
        logits = [f"{self.n_layers + 1}_{t}_{self.logit_position}" for t in self.logits.tolist()]
        return features + errors + embeddings + logits

    @property
    def node_labels(self) -> list[str]:
        """``[n_nodes]`` each node in words, e.g. ``L1 F123 @5 'cat'``, ``error L0 @2``,
        ``emb @0 'The'``, ``logit ' dog' p=0.42``."""
        shown = [repr(token) for token in self.tokens]
        features = [f"L{layer} F{index} @{pos} {shown[pos]}"
                    for layer, pos, index in self.features.tolist()]  # fmt: skip
        errors = [f"error L{layer} @{pos} {shown[pos]}" for layer, pos in self.errors.tolist()]
        embeddings = [f"emb @{pos} {shown[pos]}" for pos in self.embeddings.tolist()]
        logits = [
            f"logit {token!r} p={p:.3g}"
            for token, p in zip(self.logit_tokens, self.logit_probabilities.tolist(), strict=True)
        ]
        return features + errors + embeddings + logits

    def logit_weights(self) -> torch.Tensor:
        """``[n_nodes]`` the logit probabilities on the logit nodes, 0 elsewhere: what
        influence on the logits is measured against."""
        return influence.logit_weights(self.logit_probabilities, self.n_nodes)

    def node_influence(self) -> torch.Tensor:
        """``[n_nodes]`` each node's influence on the logits through all paths,
        ``w (A + A² + ...)`` (:mod:`~mi_widgets.circuits.influence`)."""
        return influence.influence(influence.normalised(self.adjacency), self.logit_weights())

    def prune(self, node_threshold: float = 0.8, edge_threshold: float = 0.98) -> AttributionGraph:
        """A smaller graph: the nodes and edges that carry most of the influence on the logits.

        Nodes are kept from the most influential down until their cumulative influence
        reaches ``node_threshold`` of the total (embeddings and logits always stay); then
        edges among them likewise until ``edge_threshold`` (an edge's influence: its
        normalised absolute weight times its target's influence, plus the target's
        probability for an edge into a logit); then features and errors left without an
        outgoing edge, and features without an incoming one, are dropped until none is
        (circuit-tracer's rules). Dropped edges are zero in the new adjacency. Values and
        constants are carried over, so ``values = adjacency.sum(1) + constants`` no longer
        holds for nodes that lost incoming edges.
        """
        for name, value in (("node_threshold", node_threshold), ("edge_threshold", edge_threshold)):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
        nodes, edges = influence.prune_masks(
            self.adjacency, self.logit_weights(), self.counts, node_threshold, edge_threshold
        )
        kept = {kind: nodes[part] for kind, part in self.slices.items()}
        adjacency = (self.adjacency * edges)[nodes][:, nodes]
        return replace(
            self,
            features=self.features[kept["feature"]],
            activations=self.activations[kept["feature"]],
            errors=self.errors[kept["error"]],
            adjacency=adjacency,
            values=self.values[nodes],
            constants=self.constants[nodes],
            metadata={
                **self.metadata,
                "node_threshold": node_threshold,
                "edge_threshold": edge_threshold,
            },
        )

    def scores(self) -> GraphScores:
        """How much of the graph's explanation goes through transcoder features rather than
        their errors, as defined by Ameisen et al., "Circuit tracing" (2025), computed as
        circuit-tracer does.

        With ``A`` the row-normalised absolute adjacency, ``w`` the logit probabilities and
        ``I = w (A + A² + ...)`` each node's influence on the logits:

        - ``replacement``: ``Σ I[embeddings] / (Σ I[embeddings] + Σ I[errors])``, the
          fraction of the end-to-end influence that starts at token embeddings rather than
          at error nodes.
        - ``completeness``: ``Σ_n (I[n] + w[n]) (1 - Σ_e A[n, e]) / Σ_n (I[n] + w[n])`` over
          error nodes ``e``: the fraction of each node's incoming (normalised) weight that
          does not come from errors, averaged with each node's influence (plus its own
          probability, for logits) as the weight; nodes without inputs count as complete.

        Both are in ``[0, 1]``; 1 means no error node matters.
        """
        matrix = influence.normalised(self.adjacency)
        weights = self.logit_weights()
        node_influence = influence.influence(matrix, weights)
        parts = self.slices
        from_embeddings = float(node_influence[parts["embedding"]].sum())
        from_errors = float(node_influence[parts["error"]].sum())
        replacement = from_embeddings / max(from_embeddings + from_errors, 1e-30)
        complete = 1 - matrix[:, parts["error"]].sum(1)
        output = node_influence + weights
        completeness = float((complete * output).sum() / output.sum().clamp(min=1e-30))
        return GraphScores(replacement=replacement, completeness=completeness)

    def top_paths(self, k: int = 5) -> list[influence.GraphPath]:
        """The ``k`` strongest paths from a token embedding to a logit, strongest first.

        A path's weight is its logit's probability times the product of the row-normalised
        absolute edge weights along it: the share of the probability-weighted logits that
        flows back along that path (all embedding→logit paths together sum to the embeddings'
        influence). Found by dynamic programming over the graph, never by listing all paths.
        """
        k = positive_int(k, "k")
        sources = torch.arange(self.n_nodes)[self.slices["embedding"]]
        labels = self.node_labels
        return [
            path._replace(labels=tuple(labels[node] for node in path.nodes))
            for path in influence.top_paths(self.adjacency, self.logit_weights(), sources, k)
        ]

    def to_json(
        self,
        path: str | pathlib.Path,
        *,
        slug: str | None = None,
        node_threshold: float | None = None,
    ) -> pathlib.Path:
        """Write the graph as Neuronpedia graph JSON (circuit-tracer's format); see
        :func:`mi_widgets.circuits.graph_json.to_json`."""
        return graph_json.to_json(self, path, slug=slug, node_threshold=node_threshold)

    @classmethod
    def from_json(cls, path: str | pathlib.Path) -> AttributionGraph:
        """Read a graph file written by :meth:`to_json`, circuit-tracer or Neuronpedia; see
        :func:`mi_widgets.circuits.graph_json.read_graph`."""
        return cls(**graph_json.read_graph(path))

    def attach_model(self, model: Any, tokenizer: Any, transcoders: Any) -> AttributionGraph:
        """Keep the model, tokenizer and transcoders of this graph in memory (never saved:
        a graph read from a file has none) for :meth:`intervene`; returns the graph."""
        from .transcoder import TranscoderSet

        self.attached_model = (model, tokenizer, TranscoderSet.of(transcoders))
        return self

    def intervene(self, values: Any, positions: Any = None, **kwargs: Any) -> Any:
        """Run the prompt through the real model with features clamped or scaled and return
        the top predictions before and after (an
        :class:`~mi_widgets.circuits.intervene.InterventionResult`); see
        :func:`mi_widgets.circuits.intervene.intervene` for ``values``, ``positions``,
        ``model=``, ``tokenizer=``, ``transcoders=`` and ``top_k=``.

        ``graph.intervene({"1_412_7": 0.0})`` clamps feature 412 of layer 1 at position 7 to
        0; ``{"1_412_7": ("scale", 2.0)}`` doubles it.
        """
        from .intervene import intervene

        return intervene(self, values, positions, **kwargs)

    def __repr__(self) -> str:
        prompt = self.prompt if len(self.prompt) <= 40 else self.prompt[:37] + "..."
        nonzero = int((self.adjacency != 0).sum())
        return (
            f"AttributionGraph({prompt!r}: {len(self.tokens)} tokens, {_describe(self.counts)}, "
            f"{nonzero} edges)"
        )


class GraphScores(NamedTuple):
    """Replacement and completeness scores of a graph (:meth:`AttributionGraph.scores`)."""

    replacement: float
    completeness: float


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in counts.items())
