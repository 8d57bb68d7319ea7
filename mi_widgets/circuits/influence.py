"""Indirect influence in an attribution graph: how much each node and edge matters to the logits
through all paths, and the strongest paths (Ameisen et al., "Circuit tracing", 2025).

With ``A = |adjacency|`` row-normalised (each target's incoming absolute weights sum to 1) and
``w`` the logit probabilities on the logit nodes (0 elsewhere), a node's influence on the
logits is ``(w (A + A² + ...))[node] = (w ((I - A)⁻¹ - I))[node]``: the share of the
probability-weighted logits that flows back to it along all paths. Attribution graphs are
acyclic, so ``A`` is nilpotent and the series ends after the longest path; it is summed by
repeated products, never by inverting a matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


def normalised(adjacency: torch.Tensor) -> torch.Tensor:
    """``[n, n]`` ``|adjacency|`` with each row scaled to sum to 1 (rows of zeros stay zero)."""
    magnitude = adjacency.abs().float()
    return magnitude / magnitude.sum(1, keepdim=True).clamp(min=1e-10)


def influence(
    rows: torch.Tensor, weights: torch.Tensor, row_nodes: torch.Tensor | None = None
) -> torch.Tensor:
    """``[n]`` each node's influence ``w (A + A² + ...)`` on the weighted nodes.

    Args:
        rows: ``[r, n]`` rows of the normalised adjacency (:func:`normalised`): those of the
            nodes ``row_nodes``; every other node has no incoming edges.
        weights: ``[r]`` the weight ``w`` of each row's node (the logit probabilities).
        row_nodes: ``[r]`` the node of each row; ``None`` when ``rows`` is the whole square
            matrix.

    Raises:
        ValueError: when the series does not end (the graph has a cycle).
    """
    n_rows, n_nodes = rows.shape
    if row_nodes is None:
        row_nodes = torch.arange(n_rows)
    total = torch.zeros(n_nodes)
    current = weights.float() @ rows
    for _ in range(n_rows + 1):
        total += current
        current = current[row_nodes] @ rows
        if not bool(current.any()):
            return total
    raise ValueError("the adjacency has a cycle: influence through all paths does not converge")


def logit_weights(probabilities: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """``[n_nodes]`` the logit probabilities on the last nodes (the logits), 0 elsewhere."""
    weights = torch.zeros(n_nodes)
    if probabilities.numel():
        weights[-probabilities.numel() :] = probabilities.float()
    return weights


def edge_influence(adjacency: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``[n, n]`` each edge's influence: its normalised weight ``A[t, s]`` times the influence
    of its target ``t`` plus ``w[t]`` (an edge into a logit counts that logit's weight)."""
    matrix = normalised(adjacency)
    return matrix * (influence(matrix, weights) + weights)[:, None]


def cumulative_threshold(scores: torch.Tensor, fraction: float) -> float:
    """The smallest score kept when scores are kept from the largest down until their sum
    reaches ``fraction`` of the total (everything when the total is 0)."""
    ordered = scores.flatten().sort(descending=True).values
    total = ordered.sum()
    if ordered.numel() == 0 or total <= 0:
        return 0.0
    reached = torch.searchsorted((ordered.cumsum(0) / total).contiguous(), fraction)
    return float(ordered[min(int(reached), ordered.numel() - 1)])


#: How many candidate continuations :func:`top_paths` scores at once (memory: 4 bytes each).
_CANDIDATES = 1 << 24


class GraphPath(NamedTuple):
    """One embedding→…→logit path.

    Attributes:
        weight: ``w[logit] × Π A[t, s]`` over its edges (``A`` the normalised absolute
            adjacency): the share of the probability-weighted logits flowing back along it.
        nodes: node indices from the embedding to the logit.
        labels: the nodes in words (``AttributionGraph.node_labels``); empty when not asked.
    """

    weight: float
    nodes: list[int]
    labels: tuple[str, ...] = ()


def top_paths(
    adjacency: torch.Tensor, weights: torch.Tensor, sources: torch.Tensor, k: int
) -> list[GraphPath]:
    """The ``k`` strongest paths from any of ``sources`` (node indices) to a weighted node,
    strongest first, as :class:`GraphPath`.

    Dynamic programming over the DAG, tensor by tensor: each node keeps its ``k`` best
    continuations to the logits, nodes are visited by their distance (longest path) to a sink,
    and a node's candidates are every out-edge times every kept continuation of its target.
    """
    matrix = normalised(adjacency)
    n_nodes = matrix.shape[0]
    best = torch.zeros(n_nodes, k)  # strength of each node's k best continuations
    best[:, 0] = weights.float()
    step = torch.full((n_nodes, k), -1, dtype=torch.long)  # flat index target * k + rank
    levels = _levels(matrix != 0)
    chunk = max(1, _CANDIDATES // max(n_nodes * k, 1))
    for level in range(1, int(levels.max()) + 1 if n_nodes else 0):
        for nodes in (levels == level).nonzero().flatten().split(chunk):
            candidates = matrix[:, nodes].T[:, :, None] * best[None]  # [nodes, target, rank]
            strength, flat = candidates.flatten(1).topk(min(k, n_nodes * k), dim=1)
            best[nodes, : strength.shape[1]] = strength
            step[nodes, : strength.shape[1]] = flat
    chosen = best[sources].flatten()
    strength, flat = chosen.topk(min(k, chosen.numel()))
    paths = []
    for value, index in zip(strength.tolist(), flat.tolist(), strict=True):
        if value <= 0:
            break
        node, rank = int(sources[index // k]), index % k
        nodes = [node]
        while int(step[node, rank]) >= 0:
            node, rank = divmod(int(step[node, rank]), k)
            nodes.append(node)
        paths.append(GraphPath(value, nodes))
    return paths


def _levels(edges: torch.Tensor) -> torch.Tensor:
    """``[n]`` each node's longest distance to a node without out-edges, from ``edges``
    ``[target, source]`` bool."""
    n_nodes = edges.shape[0]
    levels = torch.zeros(n_nodes, dtype=torch.long)
    for _ in range(n_nodes + 1):
        through = torch.where(edges, levels[:, None] + 1, 0).amax(0) if n_nodes else levels
        if torch.equal(through, levels):
            return levels
        levels = through
    raise ValueError("the adjacency has a cycle: paths are not finite")


def prune_masks(
    adjacency: torch.Tensor,
    weights: torch.Tensor,
    counts: dict[str, int],
    node_threshold: float,
    edge_threshold: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(nodes [n] bool, edges [n, n] bool)`` kept by pruning, as circuit-tracer prunes.

    Nodes are kept from the most influential down until their cumulative influence reaches
    ``node_threshold`` of the total; embeddings and logits are always kept. On the graph of
    kept nodes, edges are kept by :func:`edge_influence` likewise until ``edge_threshold``.
    Then, until nothing changes, features and errors without a kept out-edge and features
    without a kept in-edge are dropped, with their edges.

    Args:
        counts: nodes of each kind, in the graph's order (``feature``, ``error``,
            ``embedding``, ``logit``).
    """
    n_features, n_errors = counts["feature"], counts["error"]
    intermediate = slice(0, n_features + n_errors)  # features and errors
    scores = influence(normalised(adjacency), weights)
    nodes = scores >= cumulative_threshold(scores, node_threshold)
    nodes[intermediate.stop :] = True  # embeddings and logits
    kept = adjacency * (nodes[:, None] & nodes[None, :])
    edge_scores = edge_influence(kept, weights)
    edges = (edge_scores >= cumulative_threshold(edge_scores, edge_threshold)) & (kept != 0)
    while True:
        before = nodes.clone()
        nodes[intermediate] &= edges[:, intermediate].any(0)
        nodes[:n_features] &= edges[:n_features].any(1)
        edges &= nodes[:, None] & nodes[None, :]
        if torch.equal(nodes, before):
            return nodes, edges
