"""The toy model of superposition: dense features keep d dimensions, sparse ones a pentagon."""

from __future__ import annotations

import time

import numpy as np
import pytest

import mi_widgets as mw


@pytest.fixture(scope="module")
def toy():
    start = time.perf_counter()
    result = mw.train_toy_superposition(n_features=5, d_hidden=2, sparsities=[0, 0.7, 0.9, 0.97])
    result.seconds = time.perf_counter() - start
    return result


def test_dense_features_get_two_dimensions_sparse_ones_all_five(toy):
    norms = toy.norms
    assert norms.shape == (4, 5) and toy.W.shape == (4, 2, 5)
    # no sparsity: the two most important features, orthogonal, the rest dropped
    assert toy.represented[0].tolist() == [True, True, False, False, False]
    assert abs(toy.interference[0, 0, 1]) < 0.05
    # high sparsity: all five features represented (norm > 0.5), at 2/5 dimension each
    assert (norms[-1] > 0.5).all(), norms[-1]
    np.testing.assert_allclose(toy.dimensionality[-1], 0.4, atol=0.05)
    assert toy.represented.sum(-1).tolist() == sorted(toy.represented.sum(-1).tolist())


def test_high_sparsity_draws_a_pentagon(toy):
    angles = np.sort(np.arctan2(toy.W[-1, 1], toy.W[-1, 0]))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 2 * np.pi]))
    np.testing.assert_allclose(gaps, 2 * np.pi / 5, atol=0.2)


def test_dimensionality_of_known_geometries():
    columns = np.array(
        [[[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, 0.0]]]
    )  # a pair, one alone, one off
    toy = mw.ToySuperposition(
        sparsities=np.array([0.5]),
        importance=np.ones(4),
        W=columns,
        b=np.zeros((1, 4)),
        loss=np.zeros(1),
        steps=0,
        seed=0,
    )
    np.testing.assert_allclose(toy.dimensionality[0], [0.5, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(toy.interference[0][0, 2], -1.0)


def test_trains_in_seconds_and_is_seeded(toy):
    assert toy.seconds < 60, f"{toy.seconds:.1f} s"
    again = mw.train_toy_superposition(sparsities=[0.9], steps=200, seed=1)
    same = mw.train_toy_superposition(sparsities=[0.9], steps=200, seed=1)
    np.testing.assert_array_equal(again.W, same.W)


def test_save_and_load(toy, tmp_path):
    loaded = mw.ToySuperposition.load(toy.save(tmp_path / "toy.npz"))
    for name in ("sparsities", "importance", "W", "b", "loss"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(toy, name))
    assert (loaded.steps, loaded.seed) == (toy.steps, toy.seed)
    assert "S=0.97: 5" in repr(loaded)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"sparsities": [0.5, 1.0]},
            r"sparsities must be a non-empty list of probabilities in \[0, 1\)",
        ),
        ({"sparsities": []}, "sparsities must be"),
        ({"n_features": 0}, "n_features must be an int >= 1, got 0"),
        (
            {"importance": [1.0, 0.5]},
            r"importance must be a ratio in \(0, 1\] or 5 positive weights",
        ),
        ({"importance": 1.5}, r"importance as a ratio must be in \(0, 1\]"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mw.train_toy_superposition(**{"steps": 1, **kwargs})
