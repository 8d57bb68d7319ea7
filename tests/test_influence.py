"""Influence, pruning, scores and top paths on a hand-built graph with known numbers.

The graph: feature ``f`` (layer 0 at position 1), error ``e`` (layer 0 at position 1),
embeddings ``t0``, ``t1``, logits ``A`` (p = 0.6) and ``B`` (p = 0.4), with edges
``f <- t0: 3, f <- t1: -1, A <- f: 2, A <- e: 2, B <- f: 1, B <- t1: 3``. Row-normalised:
``f <- t0: .75, f <- t1: .25, A <- f: .5, A <- e: .5, B <- f: .25, B <- t1: .75``.
Influence on the logits (paths of length >= 1): ``f = .6 × .5 + .4 × .25 = .4``,
``e = .6 × .5 = .3``, ``t0 = .4 × .75 = .3``, ``t1 = .4 × .75 + .4 × .25 = .4``.
"""

from __future__ import annotations

import math

import pytest
import torch

from mi_widgets.circuits import AttributionGraph
from mi_widgets.circuits import influence as flow

F, E, T0, T1, A, B = range(6)


def hand_graph() -> AttributionGraph:
    adjacency = torch.zeros(6, 6)
    edges = {(F, T0): 3.0, (F, T1): -1.0, (A, F): 2.0, (A, E): 2.0, (B, F): 1.0, (B, T1): 3.0}
    for (target, source), weight in edges.items():
        adjacency[target, source] = weight
    nan = math.nan
    return AttributionGraph(
        prompt="a b",
        tokens=["a", " b"],
        input_ids=torch.tensor([10, 11]),
        features=torch.tensor([[0, 1, 7]]),
        activations=torch.tensor([1.5]),
        errors=torch.tensor([[0, 1]]),
        embeddings=torch.tensor([0, 1]),
        logits=torch.tensor([20, 21]),
        logit_tokens=[" A", " B"],
        logit_probabilities=torch.tensor([0.6, 0.4]),
        logit_position=1,
        adjacency=adjacency,
        values=torch.tensor([2.5, nan, nan, nan, 4.5, 4.25]),
        constants=torch.tensor([0.5, nan, nan, nan, 0.5, 0.25]),
        n_layers=1,
    )


def test_influence_through_all_paths():
    graph = hand_graph()
    torch.testing.assert_close(graph.node_influence(), torch.tensor([0.4, 0.3, 0.3, 0.4, 0, 0]))


def test_influence_of_a_cycle_is_an_error():
    cycle = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="cycle"):
        flow.influence(cycle, torch.tensor([1.0, 0.0]))


def test_scores():
    scores = hand_graph().scores()
    # embeddings .3 + .4 against the error's .3
    assert scores.replacement == pytest.approx(0.7)
    # every node complete but logit A (half its input from the error); weights I + w:
    # f .4, e .3, t0 .3, t1 .4, A .6, B .4 -> (2.4 - .6 × .5) / 2.4
    assert scores.completeness == pytest.approx(2.1 / 2.4)


def test_top_paths():
    paths = hand_graph().top_paths(k=2)
    assert [path.nodes for path in paths] == [[T1, B], [T0, F, A]]
    assert [path.weight for path in paths] == pytest.approx([0.4 * 0.75, 0.6 * 0.5 * 0.75])
    assert paths[1].labels == ("emb @0 'a'", "L0 F7 @1 ' b'", "logit ' A' p=0.6")
    # all four embedding paths, in order; a fifth does not exist
    weights = [path.weight for path in hand_graph().top_paths(k=10)]
    assert weights == pytest.approx([0.3, 0.225, 0.075, 0.075, 0.025])


def test_prune_drops_the_error_then_the_weak_edges():
    graph = hand_graph()
    # nodes by influence: f .4, t1 .4 reach .8 / 1.4 >= .5: the error goes (t0 stays: an
    # embedding). Edges then, by |A| × (influence + w) on the graph without the error:
    # A<-f .6, f<-t0 .525, B<-t1 .3, f<-t1 .175, B<-f .1; the first three reach .8 of 1.7.
    small = graph.prune(node_threshold=0.5, edge_threshold=0.8)
    assert small.node_ids == ["0_7_1", "E_10_0", "E_11_1", "2_20_1", "2_21_1"]
    expected = torch.zeros(5, 5)
    expected[0, 1], expected[3, 0], expected[4, 2] = 3.0, 2.0, 3.0
    torch.testing.assert_close(small.adjacency, expected)
    torch.testing.assert_close(small.values, graph.values[[F, T0, T1, A, B]], equal_nan=True)
    assert small.metadata["node_threshold"] == 0.5


def test_prune_keeps_everything_at_threshold_one_but_dangling_features():
    graph = hand_graph()
    whole = graph.prune(node_threshold=1.0, edge_threshold=1.0)
    torch.testing.assert_close(whole.adjacency, graph.adjacency)
    # features without an incoming edge go, then those that only they fed, and so on:
    # f1 <- f2, L <- f1, L <- t0 (f2 has no input)
    adjacency = torch.zeros(4, 4)
    adjacency[0, 1], adjacency[3, 0], adjacency[3, 2] = 1.0, 1.0, 1.0
    counts = {"feature": 2, "error": 0, "embedding": 1, "logit": 1}
    weights = flow.logit_weights(torch.tensor([1.0]), 4)
    nodes, edges = flow.prune_masks(adjacency, weights, counts, 1.0, 1.0)
    assert nodes.tolist() == [False, False, True, True]
    assert edges.nonzero().tolist() == [[3, 2]]


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.8", True])
def test_prune_thresholds_are_checked(bad):
    with pytest.raises(ValueError, match="node_threshold must be a number in"):
        hand_graph().prune(node_threshold=bad)


def test_cumulative_threshold():
    scores = torch.tensor([0.1, 0.4, 0.2, 0.3])
    assert flow.cumulative_threshold(scores, 0.5) == pytest.approx(0.3)
    assert flow.cumulative_threshold(scores, 0.4) == pytest.approx(0.4)
    assert flow.cumulative_threshold(scores, 1.0) == pytest.approx(0.1)
    assert flow.cumulative_threshold(torch.zeros(3), 0.8) == 0.0
