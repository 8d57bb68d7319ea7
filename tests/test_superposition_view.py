"""SuperpositionView: what travels to the page (binary, exact), synced traits and checks."""

from __future__ import annotations

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array


@pytest.fixture(scope="module")
def toy():
    return mw.train_toy_superposition(sparsities=[0.0, 0.9], steps=300, n_instances=1)


def test_state_is_binary_and_exact(toy):
    view = mw.SuperpositionView(toy)
    assert view.sparsity == 1, "the sparsest model by default"
    assert view.sparsities == [0.0, 0.9] and (view.n_features, view.d_hidden) == (5, 2)
    np.testing.assert_array_equal(decode_array(view._W), toy.W.astype(np.float32))
    stats = decode_array(view._stats)
    np.testing.assert_array_equal(stats[:, 0], toy.norms.astype(np.float32))
    np.testing.assert_array_equal(stats[:, 1], toy.dimensionality.astype(np.float32))
    np.testing.assert_array_equal(
        decode_array(view._interference), toy.interference.astype(np.float32)
    )
    for name in ("_W", "_stats", "_interference", "_importance"):
        assert isinstance(getattr(view, name)["data"], bytes)
    assert repr(view).startswith("SuperpositionView(sparsity 0.9:")


def test_traits_are_checked(toy):
    view = mw.SuperpositionView(toy, sparsity=0, title="<i>toy</i>")
    assert view.title == "<i>toy</i>"
    view.sparsity = 1
    view.feature = 4
    with pytest.raises(
        ValueError, match=r"sparsity = 2 is out of range: expected 0 <= sparsity < 2"
    ):
        view.sparsity = 2
    with pytest.raises(ValueError, match=r"feature = 5 is out of range"):
        view.feature = 5
    view.feature = -1
    with pytest.raises(ValueError, match="sparsity = 3 is out of range"):
        mw.SuperpositionView(toy, sparsity=3)
    with pytest.raises(TypeError, match=r"toy must be mi_widgets\.ToySuperposition"):
        mw.SuperpositionView(np.zeros((2, 5)))


def test_sparsity_may_be_given_as_its_value(toy):
    assert mw.SuperpositionView(toy, sparsity=0.9).sparsity == 1
    assert mw.SuperpositionView(toy, sparsity=np.float32(0.9) + 1e-8).sparsity == 1
    assert mw.SuperpositionView(toy, sparsity=0.0).sparsity == 0
    with pytest.raises(
        ValueError, match=r"sparsity = 0\.97 is not one of the toy's sparsities.*values 0, 0\.9"
    ):
        mw.SuperpositionView(toy, sparsity=0.97)
    with pytest.raises(TypeError, match="sparsity must be an int, got str"):
        mw.SuperpositionView(toy, sparsity="0.9")
