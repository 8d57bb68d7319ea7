"""Hand-built and synthetic attribution graphs with known numbers, and small graphs of the demo
model for interventions."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch

from mi_widgets.circuits.graph import AttributionGraph
from mi_widgets.circuits.transcoder import Transcoder, TranscoderSet

HOSTILE = ["<b>", "<script>alert(1)</script>", " &amp;", "\n", "x\u202e"]


def known_graph(tokens: list[str] | None = None) -> AttributionGraph:
    """2 layers, 5 positions: 4 features, 2 errors, 5 embeddings, 2 logits at position 4.

    Node order: features 0..3, errors 4..5, embeddings 6..10, logits 11..12. Edges (target ←
    source: weight): F0(L0 @1) ← emb1: 2.0; F1(L0 @4) ← emb4: 1.5, emb3: -0.5; F2(L1 @4) ←
    F0: 1.0, F1: -2.0, err4: 0.25; F3(L1 @2) ← emb2: 0.1; logit0 ← F2: 3.0, F1: 0.5, err5: -1.0;
    logit1 ← F2: -1.0, F3: 0.05.
    """
    tokens = list(HOSTILE if tokens is None else tokens)
    features = torch.tensor([[0, 1, 7], [0, 4, 412], [1, 4, 88], [1, 2, 3]])
    errors = torch.tensor([[0, 4], [1, 4]])
    embeddings = torch.arange(5)
    logits = torch.tensor([5, 9])
    n = 4 + 2 + 5 + 2
    adjacency = torch.zeros(n, n)
    edges = {
        (0, 7): 2.0,
        (1, 10): 1.5,
        (1, 9): -0.5,
        (2, 0): 1.0,
        (2, 1): -2.0,
        (2, 4): 0.25,
        (3, 8): 0.1,
        (11, 2): 3.0,
        (11, 1): 0.5,
        (11, 5): -1.0,
        (12, 2): -1.0,
        (12, 3): 0.05,
    }
    for (target, source), weight in edges.items():
        adjacency[target, source] = weight
    values = torch.cat([adjacency.sum(1)[:4], torch.full((7,), math.nan), adjacency.sum(1)[11:]])
    return AttributionGraph(
        prompt="".join(tokens),
        tokens=tokens,
        input_ids=torch.tensor([11, 12, 13, 14, 15]),
        features=features,
        activations=torch.tensor([2.0, 1.0, 0.5, 0.1]),
        errors=errors,
        embeddings=embeddings,
        logits=logits,
        logit_tokens=[" dog", "<i>"],
        logit_probabilities=torch.tensor([0.7, 0.2]),
        logit_position=4,
        adjacency=adjacency,
        values=values,
        constants=torch.zeros(n),
        n_layers=2,
    )


def shared_id_graph() -> AttributionGraph:
    """:func:`known_graph` with feature 1 (layer 0 @4) made feature 1 instead of 412: its id
    ``0_1_4`` is also the id of error 5 (layer 1 @4), as the graph-file convention has it."""
    graph = known_graph()
    features = graph.features.clone()
    features[1, 2] = 1
    return replace(graph, features=features)


def random_graph(
    n_features: int, n_edges: int, n_pos: int = 16, n_layers: int = 4, seed: int = 0
) -> AttributionGraph:
    """A synthetic graph of ``n_features`` features over ``n_layers`` layers and ``n_pos``
    positions, about ``n_edges`` random edges from lower to higher rows (a DAG), 5 logits."""
    rng = np.random.default_rng(seed)
    layer = np.sort(rng.integers(0, n_layers, n_features))
    position = rng.integers(0, n_pos, n_features)
    features = np.stack([layer, position, rng.integers(0, 4096, n_features)], 1)
    errors = np.stack(np.meshgrid(np.arange(n_layers), np.arange(n_pos), indexing="ij"), -1)
    errors = errors.reshape(-1, 2)
    n_e, n_logits = len(errors), 5
    n = n_features + n_e + n_pos + n_logits
    row = np.concatenate(
        [layer + 1, errors[:, 0] + 1, np.zeros(n_pos, int), np.full(n_logits, n_layers + 1)]
    )
    source = rng.integers(0, n, 3 * n_edges)
    target = rng.integers(0, n, 3 * n_edges)
    target_kind_ok = (target < n_features) | (target >= n - n_logits)
    ok = (row[source] < row[target]) & target_kind_ok
    source, target = source[ok][:n_edges], target[ok][:n_edges]
    adjacency = np.zeros((n, n), dtype=np.float32)
    adjacency[target, source] = rng.standard_normal(len(source)).astype(np.float32)
    probabilities = np.sort(rng.dirichlet(np.ones(n_logits)))[::-1].astype(np.float32)
    return AttributionGraph(
        prompt=f"synthetic graph {n_features}",
        tokens=[f"t{i}" for i in range(n_pos)],
        input_ids=torch.arange(n_pos),
        features=torch.from_numpy(features),
        activations=torch.from_numpy(rng.random(n_features).astype(np.float32) * 5),
        errors=torch.from_numpy(errors),
        embeddings=torch.arange(n_pos),
        logits=torch.arange(n_logits),
        logit_tokens=[f"L{i}" for i in range(n_logits)],
        logit_probabilities=torch.from_numpy(probabilities.copy()),
        logit_position=n_pos - 1,
        adjacency=torch.from_numpy(adjacency),
        values=torch.full((n,), math.nan),
        constants=torch.full((n,), math.nan),
        n_layers=n_layers,
    )


def demo_graph(demo, text="def add(a, b):\n    return a + b") -> tuple[AttributionGraph, str]:
    """A graph of ``text`` with one node per active feature of layer 0 at the last position (no
    edges), for ``demo = (model, tokenizer, transcoders)``; and the id of the strongest one."""
    import mi_widgets as mw

    model, tokenizer, transcoders = demo
    ids = tokenizer(text, return_tensors="pt").input_ids[0]
    with mw.capture.sites.reading(model, [transcoders[0].hook_in]) as seen:
        model(ids[None])
    acts = transcoders[0].encode(seen[transcoders[0].hook_in])[0, -1].detach()
    active = torch.nonzero(acts).flatten()
    n_pos, n_f = len(ids), len(active)
    features = torch.stack(
        [torch.zeros(n_f, dtype=torch.long), torch.full((n_f,), n_pos - 1), active], 1
    )
    n = n_f + n_pos + 1
    graph = AttributionGraph(
        prompt=text,
        tokens=[tokenizer.decode([i]) for i in ids.tolist()],
        input_ids=ids,
        features=features,
        activations=acts[active],
        errors=torch.zeros(0, 2, dtype=torch.long),
        embeddings=torch.arange(n_pos),
        logits=torch.tensor([0]),
        logit_tokens=["x"],
        logit_probabilities=torch.tensor([0.5]),
        logit_position=n_pos - 1,
        adjacency=torch.zeros(n, n),
        values=torch.full((n,), math.nan),
        constants=torch.full((n,), math.nan),
        n_layers=transcoders.layers[-1] + 1,
    )
    strongest = int(active[acts[active].argmax()])
    return graph, f"0_{strongest}_{n_pos - 1}"


def shared_id_demo_graph(demo) -> tuple[AttributionGraph, int]:
    """A graph of the demo model's prompt ``def add(a, b):`` with feature 1 of layer 0 and the
    errors of layers 0 and 1, all at the last position ``pos`` (no edges), so that the feature
    and the layer-1 error share the id ``0_1_{pos}``; and ``pos``."""
    import mi_widgets as mw

    model, tokenizer, transcoders = demo
    ids = tokenizer("def add(a, b):", return_tensors="pt").input_ids[0]
    n_pos = len(ids)
    pos = n_pos - 1
    with mw.capture.sites.reading(model, [transcoders[0].hook_in]) as seen:
        model(ids[None])
    activation = transcoders[0].encode(seen[transcoders[0].hook_in])[0, pos, 1].detach()
    n = 1 + 2 + n_pos + 1
    graph = AttributionGraph(
        prompt="def add(a, b):",
        tokens=[tokenizer.decode([i]) for i in ids.tolist()],
        input_ids=ids,
        features=torch.tensor([[0, pos, 1]]),
        activations=activation[None],
        errors=torch.tensor([[0, pos], [1, pos]]),
        embeddings=torch.arange(n_pos),
        logits=torch.tensor([0]),
        logit_tokens=["x"],
        logit_probabilities=torch.tensor([0.5]),
        logit_position=pos,
        adjacency=torch.zeros(n, n),
        values=torch.full((n,), math.nan),
        constants=torch.full((n,), math.nan),
        n_layers=transcoders.layers[-1] + 1,
    )
    graph.attach_model(model, tokenizer, transcoders)
    return graph, pos


def demo_transcoders(model) -> TranscoderSet:
    """Random TopK transcoders (64 features, k = 8) for every block of ``model``."""
    d_model = model.config.hidden_size
    layers = range(model.config.num_hidden_layers)
    return TranscoderSet([Transcoder(d_model, 64, layer=i, k=8, seed=i) for i in layers])
