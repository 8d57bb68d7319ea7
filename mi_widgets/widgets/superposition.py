"""SuperpositionView: the toy model of superposition at each sparsity."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..checks import check_index, is_int
from ..toy.superposition import ToySuperposition
from ._serialization import EncodedArray, encode_array
from .base import SlicedView


class SuperpositionView(SlicedView):
    """Where a toy model writes each feature, at each sparsity.

    ::

        toy = mw.train_toy_superposition(n_features=5, d_hidden=2, sparsities=[0, 0.7, 0.9, 0.97])
        view = mw.SuperpositionView(toy)
        view.sparsity = 3      # an index into toy.sparsities: the page follows
        mw.SuperpositionView(toy, sparsity=0.97)   # or the sparsity value itself

    ``sparsity`` (constructor argument) is an int index into ``toy.sparsities`` or a float
    sparsity value equal (within 1e-6) to one of them; the synced trait holds the index.
        view.feature           # the feature clicked in the page (-1: none)

    For ``d_hidden = 2`` the columns of ``W`` are drawn as vectors (at high sparsity, a
    pentagon); for every ``d_hidden``: each feature's norm ``||W_i||`` (bar) and dimensionality
    (dot), and the interference matrix ``W^T W`` as a heatmap (diverging colours, symmetric
    scale). Hover anything for exact values; ←/→ change the sparsity, ↑/↓ the feature.
    Numbers travel as float32.

    Synced traits: ``sparsity``, ``feature``.
    """

    _module = "superposition"

    title = traitlets.Unicode("").tag(sync=True)
    sparsities = traitlets.List(traitlets.Float()).tag(sync=True)
    n_features = traitlets.Int(1).tag(sync=True)
    d_hidden = traitlets.Int(1).tag(sync=True)
    sparsity = traitlets.Int(0).tag(sync=True)
    feature = traitlets.Int(-1).tag(sync=True)
    #: float32 ``[sparsity, d_hidden, feature]``.
    _W = traitlets.Dict().tag(sync=True)
    #: float32 ``[sparsity, 2, feature]``: norm, dimensionality.
    _stats = traitlets.Dict().tag(sync=True)
    #: float32 ``[sparsity, feature, feature]``: ``W^T W``.
    _interference = traitlets.Dict().tag(sync=True)
    #: float32 ``[feature]``.
    _importance = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        toy: ToySuperposition,
        *,
        sparsity: int | float | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(toy, ToySuperposition):
            raise TypeError(
                "toy must be mi_widgets.ToySuperposition (from mw.train_toy_superposition), "
                f"got {type(toy).__name__}"
            )
        count = len(toy.sparsities)
        sparsity = count - 1 if sparsity is None else _sparsity_index(sparsity, toy.sparsities)
        self._toy = toy
        heading = f"{toy.n_features} features in {toy.d_hidden} dimensions"
        super().__init__(
            title=heading if title is None else title,
            sparsities=toy.sparsities.tolist(),
            n_features=toy.n_features,
            d_hidden=toy.d_hidden,
            sparsity=sparsity,
            feature=-1,
            _W=encode_array(toy.W.astype(np.float32)),
            _stats=encode_array(np.stack([toy.norms, toy.dimensionality], 1).astype(np.float32)),
            _interference=encode_array(toy.interference.astype(np.float32)),
            _importance=encode_array(toy.importance.astype(np.float32)),
        )

    @property
    def toy(self) -> ToySuperposition:
        """The toy models shown."""
        return self._toy

    def slice_keys(self) -> list[str]:
        """None: everything travels with the widget."""
        return []

    def encode_slice(self, key: str) -> EncodedArray:
        raise KeyError(f"SuperpositionView has no slice {key!r}")

    @traitlets.validate("sparsity")
    def _valid_sparsity(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], len(self.sparsities), "sparsity")

    @traitlets.validate("feature")
    def _valid_feature(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        return -1 if value == -1 else check_index(value, self.n_features, "feature")

    def __repr__(self) -> str:
        s = self.sparsity
        shown = int(self._toy.represented[s].sum())
        return (
            f"SuperpositionView(sparsity {self.sparsities[s]:g}: {shown} of "
            f"{self.n_features} features represented in {self.d_hidden} dimensions)"
        )


#: How close a float ``sparsity`` must be to one of ``toy.sparsities`` to select it.
SPARSITY_TOLERANCE = 1e-6


def _sparsity_index(sparsity: Any, sparsities: np.ndarray) -> int:
    """The index of ``sparsity`` in ``sparsities``: an int index, or a float sparsity value
    within ``SPARSITY_TOLERANCE`` of one of them."""
    if is_int(sparsity) or not isinstance(sparsity, (float, np.floating)):
        return check_index(sparsity, len(sparsities), "sparsity")
    matches = np.flatnonzero(np.abs(np.asarray(sparsities) - sparsity) <= SPARSITY_TOLERANCE)
    if len(matches) == 0:
        available = ", ".join(f"{value:g}" for value in sparsities)
        raise ValueError(
            f"sparsity = {sparsity!r} is not one of the toy's sparsities: expected an index "
            f"0 <= sparsity < {len(sparsities)} or one of the values {available}"
        )
    return int(matches[0])
