"""Attribution graphs to and from Neuronpedia's graph JSON (circuit-tracer's format)."""

from __future__ import annotations

import copy
import json
import pathlib

import pytest
import torch

import mi_widgets as mw
from mi_widgets.circuits.graph import AttributionGraph
from mi_widgets.circuits.graph_json import GraphJSONError, to_json

REFERENCE = (
    pathlib.Path(__file__).parent / "data" / "circuit_tracer" / "circuit-tracer-reference.json"
)
#: the fields of every node, as circuit-tracer 0.5's ``Node`` model writes them
NODE_FIELDS = {
    "node_id",
    "feature",
    "layer",
    "ctx_idx",
    "feature_type",
    "token_prob",
    "is_target_logit",
    "run_idx",
    "reverse_ctx_idx",
    "jsNodeId",
    "clerp",
    "influence",
    "activation",
}


def hand_built_graph() -> AttributionGraph:
    """2 layers, 4 tokens: 3 features, 2 errors, 4 embeddings, 2 logits (11 nodes); a
    lower-triangular-ish adjacency with some zeros. Feature (0, 1, 2) and error (1, 2) share
    the id shape ``0_1_2``."""
    n_nodes = 11
    generator = torch.Generator().manual_seed(0)
    adjacency = torch.randn(n_nodes, n_nodes, generator=generator)
    adjacency[torch.rand(n_nodes, n_nodes, generator=generator) < 0.4] = 0
    adjacency[:, 9:] = 0  # logits are only targets
    adjacency[3:9] = 0  # errors and embeddings are only sources
    adjacency.fill_diagonal_(0)
    return AttributionGraph(
        prompt="a b\nc d",
        tokens=["a", " b", "\n", "c d"],
        input_ids=torch.tensor([7, 3, 12, 5]),
        features=torch.tensor([[0, 2, 1], [1, 3, 40], [0, 1, 5]]),
        activations=torch.tensor([0.5, 1.25, 3.0]),
        errors=torch.tensor([[1, 2], [0, 3]]),
        embeddings=torch.tensor([0, 1, 2, 3]),
        logits=torch.tensor([9, 11]),
        logit_tokens=[" dog", '"q"'],
        logit_probabilities=torch.tensor([0.75, 0.125]),
        logit_position=3,
        adjacency=adjacency,
        values=torch.randn(n_nodes, generator=generator),
        constants=torch.randn(n_nodes, generator=generator),
        n_layers=2,
        metadata={"model": "hand-built"},
    )


def assert_same_nodes_and_edges(a: AttributionGraph, b: AttributionGraph) -> None:
    assert b.node_ids == a.node_ids
    assert b.node_kinds == a.node_kinds
    for name in ("input_ids", "features", "errors", "embeddings", "logits", "adjacency"):
        assert torch.equal(getattr(b, name), getattr(a, name)), name
    torch.testing.assert_close(b.activations, a.activations, rtol=0, atol=0)
    torch.testing.assert_close(b.logit_probabilities, a.logit_probabilities, rtol=0, atol=0)
    assert (b.tokens, b.logit_tokens, b.prompt, b.n_layers, b.logit_position) == (
        a.tokens,
        a.logit_tokens,
        a.prompt,
        a.n_layers,
        a.logit_position,
    )


def test_round_trip_keeps_nodes_and_adjacency(tmp_path):
    graph = hand_built_graph()
    loaded = AttributionGraph.from_json(to_json(graph, tmp_path / "g.json"))
    assert_same_nodes_and_edges(graph, loaded)
    assert torch.isnan(loaded.values).all() and torch.isnan(loaded.constants).all()


def test_methods_delegate(tmp_path):
    graph = hand_built_graph()
    graph.to_json(tmp_path / "g.json", slug="my-graph")
    loaded = AttributionGraph.from_json(tmp_path / "g.json")
    assert_same_nodes_and_edges(graph, loaded)
    assert loaded.metadata["slug"] == "my-graph"


@pytest.fixture(scope="module")
def demo_graph() -> AttributionGraph:
    """``mw.attribute`` on the demo model with seeded random TopK transcoders."""
    model, tokenizer = mw.demo_model()
    transcoders = [mw.Transcoder(128, 256, layer=layer, k=8, seed=layer) for layer in range(2)]
    return mw.attribute(model, tokenizer, "key = value; key = value; key =", transcoders)


def test_attribute_graphs_round_trip(tmp_path, demo_graph):
    assert demo_graph.counts["feature"] > 10 and int((demo_graph.adjacency != 0).sum()) > 100
    for graph in (demo_graph, demo_graph.prune(node_threshold=0.8, edge_threshold=0.98)):
        loaded = mw.AttributionGraph.from_json(graph.to_json(tmp_path / "g.json"))
        assert_same_nodes_and_edges(graph, loaded)
    document = json.loads((tmp_path / "g.json").read_text())
    assert document["metadata"]["node_threshold"] == 0.8  # recorded by prune
    influence = [node["influence"] for node in document["nodes"] if node["feature_type"] != "logit"]
    assert all(0 < value <= 1 + 1e-6 for value in influence)


def test_file_follows_circuit_tracer_schema(tmp_path):
    graph = hand_built_graph()
    document = json.loads(to_json(graph, tmp_path / "g.json", node_threshold=0.8).read_text())
    assert document["metadata"] == {
        "slug": "a-b-c-d",
        "scan": "mi_widgets",
        "transcoder_list": [],
        "prompt_tokens": ["a", " b", "\n", "c d"],
        "prompt": "a b\nc d",
        "node_threshold": 0.8,
        "schema_version": 1,
    }
    assert set(document["qParams"]) == {
        "pinnedIds",
        "supernodes",
        "linkType",
        "clickedId",
        "sg_pos",
    }
    nodes = document["nodes"]
    assert all(set(node) == NODE_FIELDS for node in nodes)
    assert [n["feature_type"] for n in nodes] == (
        ["cross layer transcoder"] * 3
        + ["mlp reconstruction error"] * 2
        + ["embedding"] * 4
        + ["logit"] * 2
    )
    feature, error, embedding, logit = nodes[2], nodes[3], nodes[5], nodes[10]
    assert feature["node_id"] == "0_5_1" and feature["layer"] == "0"
    assert feature["activation"] == 3.0 and feature["feature"] == 20  # Cantor pairing of (0, 5)
    assert error["node_id"] == "0_1_2" and error["feature"] == -1 and error["layer"] == "1"
    assert embedding["node_id"] == "E_7_0" and embedding["layer"] == "E"
    assert logit["node_id"] == "3_11_3" and logit["feature"] == 11 and logit["layer"] == "3"
    assert logit["token_prob"] == 0.125 and not logit["is_target_logit"]
    assert logit["clerp"] == 'Output ""q"" (p=0.125)' and feature["clerp"] == ""
    assert nodes[9]["is_target_logit"]
    # one link per nonzero entry, weight = adjacency[target, source]; from the id that
    # feature 0 (0_1_2) and error 3 share, both links to each target, the feature's first
    shared = graph.adjacency[:, [0, 3]]
    n_padding = int(((shared != 0).sum(1) == 1).sum())
    assert n_padding > 0
    assert len(document["links"]) == int((graph.adjacency != 0).sum()) + n_padding
    index: dict[str, int] = {}
    for i, node_id in enumerate(graph.node_ids):
        index.setdefault(node_id, i)  # 0_1_2 -> the feature (a link's target is never an error)
    for link in document["links"]:
        weight = graph.adjacency[index[link["target"]], index[link["source"]]].item()
        if link["source"] != "0_1_2":
            assert link["weight"] == weight != 0
    for target in set(graph.node_ids):
        weights = [
            link["weight"]
            for link in document["links"]
            if (link["source"], link["target"]) == ("0_1_2", target)
        ]
        expected = graph.adjacency[index[target], [0, 3]].tolist()
        assert weights == (expected if any(expected) else [])


def test_influence_and_clerps_survive_a_round_trip(tmp_path):
    path = to_json(hand_built_graph(), tmp_path / "g.json")
    document = json.loads(path.read_text())
    document["nodes"][1]["influence"] = 0.25
    document["nodes"][0]["influence"] = None
    document["nodes"][0]["clerp"] = "cats"
    document["qParams"]["pinnedIds"] = ["1_40_3"]
    path.write_text(json.dumps(document))
    again = json.loads(
        to_json(AttributionGraph.from_json(path), tmp_path / "again.json").read_text()
    )
    assert again["nodes"][1]["influence"] == 0.25 and again["nodes"][0]["influence"] is None
    assert again["nodes"][0]["clerp"] == "cats"
    assert again["qParams"]["pinnedIds"] == ["1_40_3"]


def test_influence_is_circuit_tracers_cumulative_score(tmp_path):
    graph = hand_built_graph()
    nodes = json.loads(to_json(graph, tmp_path / "g.json").read_text())["nodes"]
    influence = [node["influence"] for node in nodes]
    assert influence[9:] == [None, None]  # logits
    scores = graph.node_influence()[:9]
    order = torch.argsort(scores, descending=True).tolist()
    in_order = [influence[i] for i in order]
    assert in_order == sorted(in_order) and in_order[-1] == pytest.approx(
        float(scores.sum() / graph.node_influence().sum()), rel=1e-6
    )
    assert in_order[0] == pytest.approx(float(scores.max() / graph.node_influence().sum()))


def test_kind_comes_from_feature_type_not_the_id(tmp_path):
    """``0_1_2`` is the id of feature 1 of layer 0 at position 2 and of the layer-1 error at
    position 2: the feature_type decides."""
    path = to_json(hand_built_graph(), tmp_path / "g.json")
    document = json.loads(path.read_text())
    ids = [node["node_id"] for node in document["nodes"]]
    assert ids.count("0_1_2") == 2
    graph = AttributionGraph.from_json(path)
    assert graph.features[0].tolist() == [0, 2, 1] and graph.errors[0].tolist() == [1, 2]


def test_nodes_of_each_kind_are_grouped_in_file_order(tmp_path):
    path = to_json(hand_built_graph(), tmp_path / "g.json")
    document = json.loads(path.read_text())
    document["nodes"].reverse()
    path.write_text(json.dumps(document))
    graph = AttributionGraph.from_json(path)
    assert graph.node_kinds == ["feature"] * 3 + ["error"] * 2 + ["embedding"] * 4 + ["logit"] * 2
    assert graph.features[:, 2].tolist() == [5, 40, 1]
    original = hand_built_graph()
    keys = list(zip(original.node_kinds, original.node_ids, strict=True))
    order = [keys.index(key) for key in zip(graph.node_kinds, graph.node_ids, strict=True)]
    assert torch.equal(graph.adjacency, original.adjacency[order][:, order])


def test_a_position_without_embedding_has_input_id_minus_one(tmp_path):
    path = to_json(hand_built_graph(), tmp_path / "g.json")
    document = json.loads(path.read_text())
    document["nodes"] = [n for n in document["nodes"] if n["node_id"] != "E_3_1"]
    document["links"] = [
        link for link in document["links"] if "E_3_1" not in (link["source"], link["target"])
    ]
    path.write_text(json.dumps(document))
    graph = AttributionGraph.from_json(path)
    assert graph.input_ids.tolist() == [7, -1, 12, 5] and graph.embeddings.tolist() == [0, 2, 3]


def _edit(document: dict, where: str, value) -> None:
    """Set (or with ``value=KeyError`` delete) the field at ``where`` (``nodes.3.ctx_idx``);
    an index one past the end of a list appends."""
    *parents, last = where.split(".")
    target = document
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[last]
    elif isinstance(target, list) and int(last) == len(target):
        target.append(value)
    else:
        target[int(last) if last.isdigit() else last] = value


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("nodes.3.ctx_idx", "x", "nodes[3].ctx_idx: expected an int, got 'x'"),
        ("nodes.3.ctx_idx", True, "nodes[3].ctx_idx: expected an int, got True"),
        (
            "nodes.0.ctx_idx",
            9,
            "nodes[0].ctx_idx: expected 0 <= ctx_idx < 4 (the prompt's tokens), got 9",
        ),
        ("nodes.0.ctx_idx", 1, "nodes[0].node_id: '0_1_2' is not at ctx_idx 1"),
        ("nodes.4.feature_type", KeyError, "nodes[4].feature_type: missing"),
        ("nodes.4.feature_type", "neuron", "nodes[4].feature_type: expected one of"),
        ("nodes.4.layer", 0, "nodes[4].layer: expected a string, got 0"),
        ("nodes.4.layer", "x", "nodes[4].layer: expected a layer number as a string, got 'x'"),
        (
            "nodes.4.node_id",
            "E_1_2",
            "nodes[4].node_id: expected an id 0_{layer}_{pos} (error), got 'E_1_2'",
        ),
        (
            "nodes.1",
            {"node_id": "E_7_0", "feature_type": "embedding", "layer": "E", "ctx_idx": 0},
            "nodes[5].node_id: 'E_7_0' appears twice",
        ),
        ("nodes.2.influence", "high", "nodes[2].influence: expected a number, got 'high'"),
        (
            "nodes.11",
            {"node_id": "3_9_2", "feature_type": "logit", "layer": "3", "ctx_idx": 2},
            "nodes[11].ctx_idx: expected every logit at one position, got [2, 3]",
        ),
        ("nodes", {}, "nodes: expected a list, got {}"),
        ("links.0.source", "9_9_9", "links[0].source: no node has the id '9_9_9'"),
        ("links.1.weight", None, "links[1].weight: expected a number, got None"),
        ("metadata.prompt_tokens.2", 3, "metadata.prompt_tokens[2]: expected a string, got 3"),
        ("metadata", KeyError, "metadata: missing"),
    ],
)
def test_invalid_files_name_the_first_bad_field(tmp_path, where, value, message):
    path = to_json(hand_built_graph(), tmp_path / "g.json")
    document = json.loads(path.read_text())
    _edit(document, where, value)
    path.write_text(json.dumps(document))
    with pytest.raises(GraphJSONError) as error:
        AttributionGraph.from_json(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_not_json_and_not_an_object(tmp_path):
    path = tmp_path / "g.json"
    path.write_text("{nodes")
    with pytest.raises(GraphJSONError, match="not JSON"):
        AttributionGraph.from_json(path)
    path.write_text("[]")
    with pytest.raises(GraphJSONError, match="the file: expected an object, got"):
        AttributionGraph.from_json(path)


def test_to_json_rejects_bad_arguments(tmp_path):
    graph = hand_built_graph()
    with pytest.raises(TypeError, match="graph must be an AttributionGraph, got dict"):
        to_json({}, tmp_path / "g.json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slug must be a non-empty string, got ''"):
        to_json(graph, tmp_path / "g.json", slug="")
    with pytest.raises(TypeError, match="node_threshold must be a number or None, got 'high'"):
        to_json(graph, tmp_path / "g.json", node_threshold="high")  # type: ignore[arg-type]


#: links of the reference file, one of each (source kind, target kind): (source index,
#: target index) in the loaded graph's node order are found by kind and id
KNOWN_LINKS = [
    (("error", "0_0_12"), ("feature", "1_471_12"), 2.521033525466919),
    (("error", "0_1_12"), ("logit", "3_398_12"), 2.0157947540283203),
    (("embedding", "E_285_12"), ("feature", "0_158_12"), 0.7223631143569946),
    (("feature", "0_158_12"), ("feature", "1_318_12"), 0.20790636539459229),
    (("embedding", "E_271_2"), ("logit", "3_1197_12"), 0.10731035470962524),
    (("feature", "1_236_12"), ("logit", "3_398_12"), -0.10522014647722244),
]


def test_known_links_of_the_circuit_tracer_graph():
    graph = AttributionGraph.from_json(REFERENCE)
    keys = list(zip(graph.node_kinds, graph.node_ids, strict=True))
    for source, target, weight in KNOWN_LINKS:
        assert graph.adjacency[keys.index(target), keys.index(source)].item() == pytest.approx(
            weight, rel=1e-7
        )
    counts = graph.counts
    assert counts == {"feature": 24, "error": 13, "embedding": 13, "logit": 5}
    assert int((graph.adjacency != 0).sum()) == 551
    assert graph.logit_tokens[0] == "vironment" and graph.metadata["scan"] == "random-transcoders"


def test_graph_written_by_circuit_tracer_loads():
    document = json.loads(REFERENCE.read_text())
    graph = AttributionGraph.from_json(REFERENCE)
    kinds = {
        "cross layer transcoder": "feature",
        "mlp reconstruction error": "error",
        "embedding": "embedding",
        "logit": "logit",
    }
    expected = sorted(kinds[node["feature_type"]] for node in document["nodes"])
    assert sorted(graph.node_kinds) == expected
    assert set(graph.node_kinds) == {"feature", "error", "embedding", "logit"}
    assert int((graph.adjacency != 0).sum()) == len(document["links"])
    assert graph.tokens == document["metadata"]["prompt_tokens"]
    assert graph.n_layers == 2 and graph.logit_position == len(graph.tokens) - 1
    assert sorted(graph.node_ids) == sorted(node["node_id"] for node in document["nodes"])
    index = {node_id: i for i, node_id in enumerate(graph.node_ids)}
    for link in document["links"][:: max(1, len(document["links"]) // 5)]:
        weight = graph.adjacency[index[link["target"]], index[link["source"]]]
        assert weight.item() == pytest.approx(link["weight"], rel=1e-6)
    by_id = {node["node_id"]: node for node in document["nodes"]}
    for node_id, activation in zip(graph.node_ids, graph.activations.tolist(), strict=False):
        assert activation == pytest.approx(by_id[node_id]["activation"], rel=1e-6)
    probabilities = [by_id[i]["token_prob"] for i in graph.node_ids[graph.slices["logit"]]]
    assert graph.logit_probabilities.tolist() == pytest.approx(probabilities, rel=1e-6)
    assert probabilities == sorted(probabilities, reverse=True)  # the most likely first


def test_circuit_tracer_graph_round_trips(tmp_path):
    graph = AttributionGraph.from_json(REFERENCE)
    again = AttributionGraph.from_json(to_json(graph, tmp_path / "g.json"))
    assert_same_nodes_and_edges(graph, again)
    assert again.metadata["influence"] == graph.metadata["influence"]
    original = {n["node_id"]: n for n in json.loads(REFERENCE.read_text())["nodes"]}
    written = {n["node_id"]: n for n in json.loads((tmp_path / "g.json").read_text())["nodes"]}
    for node_id, node in original.items():
        for key in ("feature", "layer", "ctx_idx", "feature_type", "jsNodeId", "clerp"):
            assert written[node_id][key] == node[key], (node_id, key)
    assert copy.deepcopy(graph.metadata["qParams"]) == json.loads(REFERENCE.read_text())["qParams"]
