"""GraphView: traits, the binary wire format, feature statistics as slices, bad arguments; and
AttributionGraph.intervene on the demo model with transcoders."""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.circuits.intervene import NO_MODEL_NOTE
from mi_widgets.widgets._serialization import decode_array
from mi_widgets.widgets.feature import FeatureDashboard
from mi_widgets.widgets.graph import EXPORT_NOTE
from mi_widgets.widgets.graph import NO_MODEL_NOTE as VIEW_NO_MODEL
from tests.graph_fixtures import (
    HOSTILE,
    demo_graph,
    demo_transcoders,
    known_graph,
    random_graph,
    shared_id_demo_graph,
    shared_id_graph,
)
from tests.synthetic_features import synthetic_stats


def test_nodes_travel_as_int32_and_float32_arrays_in_node_order():
    graph = known_graph()
    view = mw.GraphView(graph)
    ints = decode_array(view._nodes["ints"])
    floats = decode_array(view._nodes["floats"])
    assert view._nodes["ints"]["dtype"] == "int32" and view._nodes["floats"]["dtype"] == "float32"
    kinds = ["feature"] * 4 + ["error"] * 2 + ["embedding"] * 5 + ["logit"] * 2
    assert ints[0].tolist() == [["feature", "error", "embedding", "logit"].index(k) for k in kinds]
    assert ints[1].tolist() == [0, 0, 1, 1, 0, 1, -1, -1, -1, -1, -1, 2, 2]
    assert ints[2].tolist() == [1, 4, 4, 2, 4, 4, 0, 1, 2, 3, 4, 4, 4]
    assert ints[3].tolist() == [7, 412, 88, 3, -1, -1, 11, 12, 13, 14, 15, 5, 9]
    np.testing.assert_array_equal(floats[0, :4], np.float32([2.0, 1.0, 0.5, 0.1]))
    assert np.isnan(floats[0, 4:11]).all()
    np.testing.assert_allclose(floats[0, 11:], [0.7, 0.2], rtol=1e-7)
    assert view.node_ids == graph.node_ids and view.tokens == HOSTILE
    assert view.logit_tokens == [" dog", "<i>"] and view.n_layers == 2 and view.logit_position == 4


def test_edges_are_the_nonzero_adjacency_entries_exactly():
    graph = random_graph(300, 4000, seed=3)
    view = mw.GraphView(graph)
    ends = decode_array(view._edges["ends"]).astype(int)
    weight = decode_array(view._edges["weight"])
    assert view._edges["weight"]["dtype"] == "float32"
    adjacency = graph.adjacency.numpy()
    rebuilt = np.zeros_like(adjacency)
    rebuilt[ends[1], ends[0]] = weight
    np.testing.assert_array_equal(rebuilt, adjacency)
    assert len(weight) == int((adjacency != 0).sum())


def test_traits_start_from_the_arguments_and_refuse_unknown_nodes():
    graph = known_graph()
    view = mw.GraphView(
        graph,
        selected="1_88_4",
        pinned=["0_7_1"],
        supernodes={"say dog": ["0_412_4", "1_88_4"]},
        node_threshold=0.5,
        edge_threshold=0.9,
        title="known",
    )
    assert (view.selected, view.pinned, view.title) == ("1_88_4", ["0_7_1"], "known")
    assert view.supernodes == {"say dog": ["0_412_4", "1_88_4"]}
    assert (view.node_threshold, view.edge_threshold) == (0.5, 0.9)
    view.selected = "say dog"  # a supernode can be selected
    with pytest.raises(ValueError, match=r"selected = '9_9_9' is not a node id"):
        view.selected = "9_9_9"
    with pytest.raises(ValueError, match=r"pinned has \['nope'\], not node ids"):
        view.pinned = ["nope"]
    with pytest.raises(ValueError, match=r"supernodes\['a'\] has \['x'\]"):
        view.supernodes = {"a": ["x"]}
    with pytest.raises(ValueError, match=r"more than one supernode"):
        view.supernodes = {"a": ["0_7_1"], "b": ["0_7_1", "1_3_2"]}
    with pytest.raises(ValueError, match=r"name '0_7_1'"):
        view.supernodes = {"0_7_1": ["1_3_2"]}
    with pytest.raises(ValueError, match=r"supernodes\['a'\] is empty"):
        view.supernodes = {"a": []}
    with pytest.raises(ValueError, match=r"node_threshold = 1.5: expected a fraction in \[0, 1\]"):
        view.node_threshold = 1.5
    with pytest.raises(ValueError, match=r"edge_threshold = -0.1"):
        view.edge_threshold = -0.1


def test_bad_graph_and_stats_get_clear_errors():
    graph = known_graph()
    with pytest.raises(TypeError, match=r"graph must be a mi_widgets.AttributionGraph .*got dict"):
        mw.GraphView({})
    with pytest.raises(TypeError, match="got one FeatureStats"):
        mw.GraphView(graph, stats=synthetic_stats(500))
    with pytest.raises(ValueError, match=r"stats has layer 5; the graph's model has layers 0..1"):
        mw.GraphView(graph, stats={5: synthetic_stats(500)})
    with pytest.raises(
        ValueError, match=r"stats\[0\] has 24 features but the graph has feature 412"
    ):
        mw.GraphView(graph, stats={0: synthetic_stats(24)})
    with pytest.raises(TypeError, match=r"stats\[1\] must be a FeatureStats, got str"):
        mw.GraphView(graph, stats=[None, "stats"])


def test_feature_statistics_are_the_dashboards_slices_per_layer():
    stats = {0: synthetic_stats(500), 1: synthetic_stats(100)}
    view = mw.GraphView(known_graph(), stats=stats, selected="1_88_4")
    keys = view.slice_keys()
    assert keys[:2] == ["feature:1:88", "feature-ids:1:88"]  # the selected feature first
    assert set(keys) == {
        f"{k}:{layer}:{f}"
        for k in ("feature", "feature-ids")
        for layer, f in [(0, 7), (0, 412), (1, 88), (1, 3)]
    }
    assert set(view._slices) == {"feature:1:88", "feature-ids:1:88"}
    dash = FeatureDashboard(stats[0], precision="float32")
    for kind in ("feature", "feature-ids"):
        mine, theirs = view.encode_slice(f"{kind}:0:412"), dash.encode_slice(f"{kind}:412")
        assert mine == theirs
    assert view.has_slice("feature:0:499") and not view.has_slice("feature:0:500")
    assert not view.has_slice("feature:3:1") and not view.has_slice("layer:0")
    assert view.stats_info["1"]["n_features"] == 100 and view.stats_info["0"]["k"] == 4
    edges = decode_array(view._histogram_edges["0"])
    np.testing.assert_allclose(edges, stats[0].edges, rtol=1e-6)


def test_an_export_disables_interventions_and_lists_embedded_features():
    view = mw.GraphView(known_graph(), stats={1: synthetic_stats(100)}, selected="1_3_2")
    state = view.view_state()
    assert state["intervention_note"] == EXPORT_NOTE
    assert state["embedded"] == ["1_3_2", "1_88_4"]
    assert view.intervention_note == VIEW_NO_MODEL
    snapshot = view.snapshot()
    assert snapshot["complete"] is False  # the kernel serves every feature of the statistics
    assert list(snapshot["slices"])[:2] == ["feature:1:3", "feature-ids:1:3"]


# ---- interventions ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    model, tokenizer = mw.demo_model()
    return model, tokenizer, demo_transcoders(model)


def test_clamping_a_feature_to_its_own_value_changes_nothing_and_ablating_it_does(demo):
    model, tokenizer, transcoders = demo
    graph, node = demo_graph(demo)
    graph.attach_model(model, tokenizer, transcoders)
    layer, feature, pos = map(int, node.split("_"))
    own = float(graph.activations[graph.node_ids.index(node)])
    same = graph.intervene({node: own})
    np.testing.assert_allclose(same.new_probabilities, same.old_probabilities, atol=1e-6)
    assert same.new_tokens == same.old_tokens
    unscaled = graph.intervene({node: ("scale", 1.0)})
    np.testing.assert_allclose(unscaled.new_probabilities, unscaled.old_probabilities, atol=1e-6)
    ablated = graph.intervene({node: 0.0}, top_k=3)
    # the same change made by hand: subtract activation × W_dec[f] from the MLP output
    shift = own * transcoders[layer].W_dec[feature].detach()

    def edit(out):
        out = out.clone()
        out[:, pos] -= shift
        return out

    with mw.capture.sites.at_site(model, f"blocks.{layer}.hook_mlp_out", edit):
        expected = model(graph.input_ids[None]).logits[0, pos].softmax(-1)
    np.testing.assert_allclose(
        ablated.new_probabilities, expected.topk(3).values.detach(), atol=1e-6
    )
    assert not np.allclose(ablated.new_of_old, ablated.old_probabilities, atol=1e-6)
    assert "L0 F" in repr(ablated) and "= 0" in repr(ablated) and len(ablated.old_tokens) == 3


def test_positions_apply_a_feature_at_several_positions(demo):
    model, tokenizer, transcoders = demo
    graph, node = demo_graph(demo)
    layer, feature, _ = node.split("_")
    result = graph.intervene(
        {f"{layer}_{feature}": ("scale", 3.0)},
        positions="all",
        model=model,
        tokenizer=tokenizer,
        transcoders=transcoders,
    )
    assert result.changes[0].positions == tuple(range(len(graph.tokens)))
    assert result.changes[0].mode == "scale" and result.changes[0].value == 3.0


def test_interventions_refuse_bad_input_with_clear_errors(demo):
    graph, node = demo_graph(demo)
    with pytest.raises(ValueError, match=r"graph\.attach_model"):
        graph.intervene({node: 0.0})
    assert "attach_model" in NO_MODEL_NOTE
    graph.attach_model(*demo)
    with pytest.raises(TypeError, match="values must be a non-empty dict"):
        graph.intervene({})
    with pytest.raises(ValueError, match=r"values has key 'abc'; expected a feature node id"):
        graph.intervene({"abc": 0.0})
    with pytest.raises(ValueError, match=r"names layer 7; the model has layers 0..1"):
        graph.intervene({"7_1_1": 0.0})
    with pytest.raises(ValueError, match=r"names position 99"):
        graph.intervene({"0_1_99": 0.0})
    with pytest.raises(TypeError, match=r"expected a number \(clamp\) or \('scale', number\)"):
        graph.intervene({node: "zero"})
    with pytest.raises(ValueError, match="must be finite"):
        graph.intervene({node: math.inf})
    with pytest.raises(ValueError, match=r"positions = \[99\]"):
        graph.intervene({"0_1": 0.0}, positions=[99])
    with pytest.raises(ValueError, match="top_k must be an int >= 1"):
        graph.intervene({node: 0.0}, top_k=0)


def test_an_error_node_cannot_be_intervened_on(demo):
    graph = known_graph()
    with pytest.raises(ValueError, match=r"values\['0_1_4'\] is an error node"):
        graph.intervene({"0_1_4": 0.0}, model=demo[0], tokenizer=demo[1], transcoders=demo[2])


def test_the_view_answers_an_intervention_request(demo):
    graph, node = demo_graph(demo)
    graph.attach_model(*demo)
    view = mw.GraphView(graph, selected=node)
    assert view.intervention_note == ""
    sent = []
    view.send = lambda content, buffers=None: sent.append((content, buffers))
    view._on_custom_message(
        view, {"type": "intervene", "id": "r1", "nodes": [node], "mode": "clamp", "value": 0.0}, []
    )
    message, buffers = sent[-1]
    assert message["type"] == "intervene" and message["id"] == "r1" and "error" not in message
    probabilities = decode_array({**message["array"], "data": buffers[0]})
    expected = graph.intervene({node: 0.0})
    np.testing.assert_allclose(probabilities[0], expected.old_probabilities, atol=1e-7)
    np.testing.assert_allclose(probabilities[2], expected.new_probabilities, atol=1e-7)
    assert message["new_tokens"] == expected.new_tokens
    view.supernodes = {"group": [node]}
    view._on_custom_message(
        view,
        {"type": "intervene", "id": "r2", "nodes": ["group"], "mode": "scale", "value": 2.0},
        [],
    )
    assert "error" not in sent[-1][0] and sent[-1][0]["changes"][0].endswith("× 2")
    view._on_custom_message(view, {"type": "intervene", "id": "r3", "nodes": ["E_0_0"]}, [])
    assert "hold no feature node" in sent[-1][0]["error"]


def test_pins_supernodes_selection_and_thresholds_travel_in_the_graph_json(tmp_path):
    view = mw.GraphView(
        known_graph(),
        selected="pair",
        pinned=["1_3_2"],
        supernodes={"pair": ["0_7_1", "0_412_4"]},
        node_threshold=0.6,
        edge_threshold=0.9,
    )
    path = view.to_json(tmp_path / "graph.json")
    document = json.loads(path.read_text())
    assert document["qParams"]["pinnedIds"] == ["1_3_2"]
    assert document["qParams"]["supernodes"] == [["pair", "0_7_1", "0_412_4"]]
    assert document["qParams"]["clickedId"] == "pair"
    assert (document["metadata"]["node_threshold"], document["metadata"]["edge_threshold"]) == (
        0.6,
        0.9,
    )
    again = mw.GraphView(mw.AttributionGraph.from_json(path))
    assert (again.selected, again.pinned, again.supernodes) == ("pair", ["1_3_2"], view.supernodes)
    assert (again.node_threshold, again.edge_threshold) == (0.6, 0.9)
    chosen = mw.GraphView(mw.AttributionGraph.from_json(path), pinned=[], node_threshold=0.7)
    assert (chosen.pinned, chosen.node_threshold, chosen.edge_threshold) == ([], 0.7, 0.9)


def test_a_circuit_tracer_graph_opens_with_the_views_thresholds():
    path = (
        pathlib.Path(__file__).parent / "data" / "circuit_tracer" / "circuit-tracer-reference.json"
    )
    graph = mw.AttributionGraph.from_json(path)
    view = mw.GraphView(graph)
    assert graph.metadata["node_threshold"] == 0.95  # how circuit-tracer pruned it
    assert (view.node_threshold, view.edge_threshold) == (0.8, 0.98)
    assert view.node_ids == graph.node_ids and view.tokens == graph.tokens
    assert len(decode_array(view._edges["weight"])) == int((graph.adjacency != 0).sum())


def test_a_feature_id_shared_with_an_error_clamps_the_feature(demo):
    model, _, transcoders = demo
    graph, pos = shared_id_demo_graph(demo)
    node = f"0_1_{pos}"
    assert graph.node_ids.count(node) == 2  # the feature's id and the layer-1 error's
    result = graph.intervene({node: 4.0}, top_k=3)
    assert (result.changes[0].layer, result.changes[0].feature) == (0, 1)
    # the same change made by hand: add (4 − activation) × W_dec[1] to layer 0's MLP output
    shift = (4.0 - float(graph.activations[0])) * transcoders[0].W_dec[1].detach()

    def edit(out):
        out = out.clone()
        out[:, pos] += shift
        return out

    with mw.capture.sites.at_site(model, "blocks.0.hook_mlp_out", edit):
        expected = model(graph.input_ids[None]).logits[0, pos].softmax(-1)
    np.testing.assert_allclose(
        result.new_probabilities, expected.topk(3).values.detach(), atol=1e-6
    )
    assert not np.allclose(result.new_of_old, result.old_probabilities, atol=1e-4)
    with pytest.raises(ValueError, match=rf"values\['0_0_{pos}'\] is an error node"):
        graph.intervene({f"0_0_{pos}": 0.0})


def test_a_shared_id_selects_the_feature_and_the_suffixed_id_the_error():
    graph = shared_id_graph()
    assert graph.node_ids[1] == graph.node_ids[5] == "0_1_4"
    view = mw.GraphView(graph, selected="0_1_4", pinned=["0_1_4#error"])
    assert view.node_ids[1] == "0_1_4" and view.node_ids[5] == "0_1_4#error"
    assert len(set(view.node_ids)) == len(view.node_ids)
    assert view.node_ids[:5] + view.node_ids[6:] == graph.node_ids[:5] + graph.node_ids[6:]
    assert view._index["0_1_4"] == 1 and view._index["0_1_4#error"] == 5
    view.pinned = ["0_1_4", "0_1_4#error"]
    assert view.pinned == ["0_1_4", "0_1_4#error"]  # two nodes, not one repeated
    view.supernodes = {"pair": ["0_1_4#error", "0_7_1"]}
    with pytest.raises(ValueError, match="in more than one supernode"):
        view.supernodes = {"a": ["0_1_4"], "b": ["0_1_4", "0_1_4#error"]}
    view.selected = "0_1_4#error"
    assert view._feature_keys("0_1_4#error") == []  # an error has no feature statistics


def test_the_pins_of_a_feature_and_an_error_sharing_an_id_survive_the_graph_json(tmp_path):
    view = mw.GraphView(
        shared_id_graph(),
        selected="0_1_4#error",
        pinned=["0_1_4", "0_1_4#error"],
        supernodes={"g": ["0_1_4#error", "1_3_2"]},
    )
    path = view.to_json(tmp_path / "graph.json")
    document = json.loads(path.read_text())
    assert document["qParams"]["pinnedIds"] == ["0_1_4", "0_1_4#error"]
    assert [n["node_id"] for n in document["nodes"]].count("0_1_4") == 2  # the format's ids
    again = mw.GraphView(mw.AttributionGraph.from_json(path))
    assert again.pinned == ["0_1_4", "0_1_4#error"]
    assert (again.selected, again.supernodes) == ("0_1_4#error", {"g": ["0_1_4#error", "1_3_2"]})
    assert again.node_ids == view.node_ids
    only_feature = mw.GraphView(mw.AttributionGraph.from_json(path), pinned=["0_1_4"])
    assert only_feature.pinned == ["0_1_4"]
