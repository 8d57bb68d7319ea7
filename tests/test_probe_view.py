"""ProbeView: what travels to the page (binary, exact), synced traits and their checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import traitlets

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array


@pytest.fixture(scope="module")
def probes():
    generator = torch.Generator().manual_seed(0)
    acts = torch.randn(3, 120, 16, generator=generator)
    labels = torch.randint(0, 2, (120,), generator=generator)
    acts[2, :, 0] += (2 * labels - 1) * 4.0
    names = [f"<b>example</b> {i}" for i in range(120)]
    return mw.probe(acts, labels=labels, layers=[4, 5, 6], examples=names)


def test_state_is_binary_and_exact(probes):
    view = mw.ProbeView(probes)
    assert view.layer == 6, "the best layer by default"
    assert view.layers == [4, 5, 6] and view.classes == ["0", "1"]
    assert view.examples[3] == "<b>example</b> 3", "examples travel as given (shown as text)"
    scores = decode_array(view._scores)
    np.testing.assert_array_equal(scores[0], probes.accuracy.astype(np.float32))
    np.testing.assert_array_equal(scores[2], probes.control_accuracy.astype(np.float32))
    points = decode_array(view._points)
    assert points.shape == (2, 3, 120)
    np.testing.assert_array_equal(points[0], probes.projection.astype(np.float32))
    np.testing.assert_array_equal(decode_array(view._test), probes.test)
    for name in ("_scores", "_points", "_labels", "_test"):
        assert isinstance(getattr(view, name)["data"], bytes)
    assert view.chance == pytest.approx(probes.chance)
    assert "layer 6: accuracy" in repr(view)


def test_traits_are_checked(probes):
    view = mw.ProbeView(probes, layer=4)
    view.layer = 5
    view.example = 7
    with pytest.raises(
        traitlets.TraitError, match=r"layer = 3 was not probed: expected one of \[4, 5, 6\]"
    ):
        view.layer = 3
    with pytest.raises(ValueError, match=r"example = 500 is out of range"):
        view.example = 500
    view.example = -1
    with pytest.raises(ValueError, match=r"layer = 1 was not probed"):
        mw.ProbeView(probes, layer=1)
    with pytest.raises(TypeError, match=r"probes must be mi_widgets\.ProbeResult"):
        mw.ProbeView({"accuracy": [1.0]})


def test_regression_view_sends_values(probes):
    generator = torch.Generator().manual_seed(1)
    acts = torch.randn(2, 80, 8, generator=generator)
    target = (acts[1, :, 0] * 2).numpy()
    result = mw.probe(acts, labels=target)
    view = mw.ProbeView(result)
    assert view.task == "regression" and view.classes == []
    np.testing.assert_allclose(decode_array(view._labels), target, rtol=1e-6)
    np.testing.assert_array_equal(decode_array(view._scores)[0], result.r2.astype(np.float32))


def test_metric_defaults_to_auc_for_two_classes_and_is_checked(probes):
    view = mw.ProbeView(probes)
    assert view.metrics == ["accuracy", "auc"] and view.metric == "auc"
    auc = decode_array(view._auc)
    np.testing.assert_array_equal(auc[0], probes.auc.astype(np.float32))
    np.testing.assert_array_equal(auc[1], probes.control_auc.astype(np.float32))
    view.metric = "accuracy"
    assert mw.ProbeView(probes, metric="accuracy").metric == "accuracy"
    with pytest.raises(ValueError, match=r"metric = 'r2' is not available: expected one of"):
        view.metric = "r2"
    with pytest.raises(ValueError, match=r"metric = 'f1' is not available"):
        mw.ProbeView(probes, metric="f1")


def test_imbalanced_labels_open_on_auc(probes):
    generator = torch.Generator().manual_seed(3)
    acts = torch.randn(2, 400, 8, generator=generator)
    labels = (torch.arange(400) % 14 == 0).long()  # 7 % positive
    acts[1, :, 0] += labels * 2.0
    result = mw.probe(acts, labels=labels)
    view = mw.ProbeView(result)
    assert result.chance > 0.9 and view.metric == "auc"
    row = result.index(view.layer)
    assert result.auc[row] - 0.5 > 3 * (result.accuracy[row] - result.chance)


def test_other_tasks_offer_what_they_hold():
    generator = torch.Generator().manual_seed(2)
    acts = torch.randn(1, 90, 8, generator=generator)
    three = mw.ProbeView(mw.probe(acts, labels=torch.arange(90) % 3))
    assert (three.metrics, three.metric, three._auc) == (["accuracy"], "accuracy", {})
    scalar = mw.ProbeView(mw.probe(acts, labels=acts[0, :, 0].numpy()))
    assert (scalar.metrics, scalar.metric) == (["r2"], "r2")
    with pytest.raises(
        ValueError, match=r"metric = 'auc' is not available: expected one of \['r2'\]"
    ):
        scalar.metric = "auc"
