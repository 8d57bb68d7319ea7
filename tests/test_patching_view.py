"""PatchingView and AttributionView: traits, wire format, validation, links."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array

CLEAN = "The list holds key value file name. The list holds key"
CORRUPTED = "The list holds key error file name. The list holds key"


@pytest.fixture(scope="module")
def demo():
    return mw.demo_model()


@pytest.fixture(scope="module")
def results(demo):
    model, tokenizer = demo
    metric = mw.logit_diff(" value", " error")
    return {
        over: mw.patch(model, tokenizer, CLEAN, CORRUPTED, metric, component=component, over=over)
        for component, over in [
            ("resid", "layer,position"),
            ("mlp", "layer"),
            ("head", "layer,head"),
            ("head", "layer,head,position"),
        ]
    }


@pytest.fixture(scope="module")
def attribution(demo):
    model, tokenizer = demo
    return mw.direct_logit_attribution(mw.trace(model, tokenizer, CLEAN), " value", " error")


# ---- PatchingView ----------------------------------------------------------------------


def test_the_grid_is_the_result_with_labels_and_the_best_cell_selected(results):
    result = results["layer,position"]
    view = mw.PatchingView(result)
    values = decode_array(view._values)
    np.testing.assert_array_equal(values, result.values)  # float32, exact
    np.testing.assert_array_equal(decode_array(view._raw), result.raw)
    assert view.row_labels == ["L0", "L1"]
    assert view.column_labels == result.position_labels and view.column_labels[-1] == " key_18"
    assert view.column_axis == "position"
    assert (view.row, view.column) == (1, 18) and view.value == pytest.approx(1.0, abs=1e-6)
    assert view.cell == {"layer": 1, "position": 18}
    assert view.title == "Denoising residual stream over layer x position"
    assert "clean 7.52" in view.subtitle


@pytest.mark.parametrize(
    ("over", "rows", "columns", "axis"),
    [
        ("layer", ["L0", "L1"], ["all positions"], "all positions"),
        ("layer,head", ["L0", "L1"], ["H0", "H1", "H2", "H3"], "head"),
        (
            "layer,head,position",
            [f"L{layer}H{head}" for layer in range(2) for head in range(4)],
            None,
            "position",
        ),
    ],
)
def test_every_grid_is_shown_as_rows_and_columns(results, over, rows, columns, axis):
    result = results[over]
    view = mw.PatchingView(result, row=0, column=0)
    assert view.row_labels == rows and view.column_axis == axis
    if columns is not None:
        assert view.column_labels == columns
    grid = decode_array(view._values)
    assert grid.shape == (len(rows), len(view.column_labels))
    np.testing.assert_array_equal(grid.ravel(), result.values.ravel())
    view.row, view.column = len(rows) - 1, len(view.column_labels) - 1
    assert view.value == pytest.approx(float(result.values.ravel()[-1]))
    assert view.cell["layer"] == 1


def test_each_cells_predictions_travel_as_indices_into_a_small_vocabulary(results):
    result = results["layer,head,position"]
    view = mw.PatchingView(result)
    predictions = view._predictions
    ids = decode_array(predictions["ids"])
    probs = decode_array(predictions["probs"])
    assert ids.shape == (8, 19, 5) and predictions["probs"]["dtype"] == "float32"
    row, column = 6, 18  # L1H2 at the last position
    tokens = [predictions["vocabulary"][int(i)] for i in ids[row, column]]
    expected = result.predictions((1, 2, 18))
    assert tokens == [token for token, _ in expected]
    np.testing.assert_allclose(probs[row, column], [p for _, p in expected])
    assert predictions["clean"][0][0] == " value" and predictions["corrupted"][0][0] == " error"
    assert predictions["position_label"] == " key_18"


def test_bad_input_and_selection_are_named(results):
    with pytest.raises(TypeError, match=r"result must be a mi_widgets\.PatchingResult"):
        mw.PatchingView(np.zeros((2, 3)))
    view = mw.PatchingView(results["layer,head"])
    with pytest.raises(ValueError, match=r"column = 4 is out of range: expected 0 <= column < 4"):
        view.column = 4
    with pytest.raises(traitlets.TraitError, match="expected an int"):
        view.row = "L1"
    with pytest.raises(ValueError, match="row = 2 is out of range"):
        mw.PatchingView(results["layer,head"], row=2, column=0)
    assert (view.row, view.column) == (1, 3)  # unchanged by the failed assignments


def test_a_saved_result_shows_the_same(results, tmp_path):
    result = results["layer,position"]
    loaded = mw.PatchingResult.load(result.save(tmp_path / "p.npz"))
    a, b = mw.PatchingView(result), mw.PatchingView(loaded)
    assert a.view_state() == b.view_state()


# ---- AttributionView -------------------------------------------------------------------


def test_attribution_traits_and_the_selected_head(attribution):
    view = mw.AttributionView(attribution)
    np.testing.assert_array_equal(decode_array(view._values), attribution.values())
    assert view.labels == attribution.labels
    assert (view.n_layers, view.n_heads) == (2, 4)
    assert view.total == pytest.approx(attribution.total)
    assert view.component == attribution.top(1)[0][0] == "L1H2"
    assert (view.layer, view.head) == (1, 2)
    assert view.value == pytest.approx(float(attribution.heads[1, 2]))
    assert "logit(' value') - logit(' error')" in view.title


def test_component_and_head_follow_each_other(attribution):
    view = mw.AttributionView(attribution)
    view.component = "L0H3"
    assert (view.layer, view.head) == (0, 3)
    view.head = 1
    assert view.component == "L0H1"
    view.component = "L1 MLP"  # not a head: the head selection stays
    assert (view.layer, view.head, view.component) == (0, 1, "L1 MLP")


def test_attribution_bad_input(attribution):
    with pytest.raises(TypeError, match=r"attribution must be a mi_widgets\.Attribution"):
        mw.AttributionView({"L0H0": 1.0})
    view = mw.AttributionView(attribution)
    with pytest.raises(ValueError, match="component = 'L2H0' is not a component"):
        view.component = "L2H0"
    with pytest.raises(ValueError, match="sort must be one of abs, value, model"):
        view.sort = "size"
    with pytest.raises(ValueError, match="show must be an int >= 0"):
        view.show = -1
    with pytest.raises(traitlets.TraitError):
        view.show = "all"
    with pytest.raises(ValueError, match="head = 4 is out of range"):
        view.head = 4


def test_attribution_links_with_an_attention_view(demo, attribution):
    model, tokenizer = demo
    attention = mw.AttentionView(mw.trace(model, tokenizer, CLEAN))
    view = mw.AttributionView(attribution, attention=attention)
    assert (attention.layer, attention.head) == (1, 2)
    view.component = "L0H1"
    assert (attention.layer, attention.head) == (0, 1)
    attention.head = 3
    assert view.component == "L0H3"
    assert len(view.links) == 1
    view.links[0].unlink()
    attention.head = 0
    assert view.component == "L0H3"
