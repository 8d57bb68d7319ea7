"""The toy model of superposition of Elhage et al. (2022), "Toy Models of Superposition".

``n`` features, each 0 with probability ``sparsity`` and otherwise uniform in ``[0, 1]``, are
compressed into ``d < n`` hidden dimensions and read back through a ReLU:
``h = W x``, ``x' = ReLU(W^T h + b)``, trained to minimise ``sum_i importance_i (x_i - x'_i)^2``.
Dense features: the model keeps the ``d`` most important ones, orthogonal, and drops the rest.
Sparse features: it packs more features than dimensions (for 5 features in 2 dimensions, a
pentagon), paying with interference ``W^T W`` that the ReLU and bias mostly filter out.

Every sparsity, and several random starts of each, train together as one batch of models.
"""

from __future__ import annotations

import numbers
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..analysis._archive import read_archive, write_archive
from ..checks import positive_int

_KIND, _VERSION = "ToySuperposition", 1
#: A feature counts as represented when its column of ``W`` is longer than this.
REPRESENTED = 0.5


@dataclass
class ToySuperposition:
    """Trained toy models, one per sparsity (the best of several random starts).

    Attributes:
        sparsities: ``[sparsity]`` probability that a feature is 0.
        importance: ``[feature]`` weight of each feature in the loss.
        W: ``[sparsity, d_hidden, feature]``: column ``i`` is where feature ``i`` is written.
        b: ``[sparsity, feature]`` output bias.
        loss: ``[sparsity]`` final loss (importance-weighted squared error, mean over a batch).
        steps, seed: how they were trained.
    """

    sparsities: np.ndarray
    importance: np.ndarray
    W: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    steps: int
    seed: int

    @property
    def n_features(self) -> int:
        return int(self.W.shape[2])

    @property
    def d_hidden(self) -> int:
        return int(self.W.shape[1])

    @property
    def norms(self) -> np.ndarray:
        """``[sparsity, feature]`` length of each feature's column ``||W_i||``."""
        return np.linalg.norm(self.W, axis=1)

    @property
    def interference(self) -> np.ndarray:
        """``[sparsity, feature, feature]``: ``W^T W`` (the diagonal is ``||W_i||^2``)."""
        return np.einsum("sdi,sdj->sij", self.W, self.W)

    @property
    def dimensionality(self) -> np.ndarray:
        """``[sparsity, feature]`` feature dimensionality ``D_i = ||W_i||^2 / sum_j (Ŵ_i·W_j)^2``:
        1 for a feature with a dimension of its own, 1/2 for an antipodal pair, 2/5 in a
        pentagon, 0 for a feature not represented."""
        norms = self.norms
        unit = self.W / np.maximum(norms, 1e-12)[:, None, :]
        overlap = np.einsum("sdi,sdj->sij", unit, self.W) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            value = norms**2 / overlap.sum(-1)
        return np.where(norms > 1e-6, value, 0.0)

    @property
    def represented(self) -> np.ndarray:
        """``[sparsity, feature]`` whether ``||W_i|| > 0.5``."""
        return self.norms > REPRESENTED

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write to an ``.npz`` file; :meth:`load` reads it back."""
        arrays = {
            name: getattr(self, name) for name in ("sparsities", "importance", "W", "b", "loss")
        }
        return write_archive(
            path, _KIND, _VERSION, arrays, {"steps": self.steps, "seed": self.seed}
        )

    @classmethod
    def load(cls, path: str | pathlib.Path) -> ToySuperposition:
        """Read a file written by :meth:`save`."""
        arrays, meta = read_archive(path, _KIND, _VERSION)
        return cls(steps=int(meta["steps"]), seed=int(meta["seed"]), **arrays)

    def __repr__(self) -> str:
        counts = self.represented.sum(-1).tolist()
        pairs = ", ".join(
            f"S={s:g}: {c}" for s, c in zip(self.sparsities.tolist(), counts, strict=True)
        )
        return (
            f"ToySuperposition({self.n_features} features in {self.d_hidden} dimensions; "
            f"features represented: {pairs})"
        )


def train_toy_superposition(
    n_features: int = 5,
    d_hidden: int = 2,
    sparsities: Sequence[float] = (0.0, 0.7, 0.9, 0.97),
    *,
    importance: float | Sequence[float] = 0.9,
    steps: int = 2000,
    batch_size: int = 512,
    lr: float = 1e-2,
    n_instances: int = 4,
    seed: int = 0,
) -> ToySuperposition:
    """Train the toy model at each sparsity; a few seconds on a CPU.

    Args:
        n_features, d_hidden: features and hidden dimensions (``d_hidden < n_features`` to
            see superposition).
        sparsities: probabilities, in ``[0, 1)``, that a feature is 0 in an example.
        importance: a float ``r`` (feature ``i`` weighs ``r ** i``) or one weight per feature.
        steps, batch_size, lr: Adam on fresh random batches every step.
        n_instances: random starts per sparsity; the one with the lowest final loss is kept.
        seed: seeds the initial weights and the data.

    Returns:
        :class:`ToySuperposition`.

    Example::

        toy = mw.train_toy_superposition(n_features=5, d_hidden=2, sparsities=[0, 0.9, 0.97])
        toy.norms          # [sparsity, feature]: which features have a direction
        mw.SuperpositionView(toy)
    """
    n = positive_int(n_features, "n_features")
    d = positive_int(d_hidden, "d_hidden")
    steps = positive_int(steps, "steps")
    batch_size = positive_int(batch_size, "batch_size")
    n_instances = positive_int(n_instances, "n_instances")
    levels = np.asarray(sparsities, dtype=np.float64).reshape(-1)
    if levels.size == 0 or not np.all((levels >= 0) & (levels < 1)):
        raise ValueError(
            f"sparsities must be a non-empty list of probabilities in [0, 1), got {sparsities!r}"
        )
    weights = _importance(importance, n)
    generator = torch.Generator().manual_seed(seed)
    models = levels.size * n_instances
    sparsity = torch.as_tensor(levels, dtype=torch.float32).repeat_interleave(n_instances)
    weight = torch.empty(models, d, n)
    torch.nn.init.xavier_normal_(weight, generator=generator)
    weight.requires_grad_(True)
    bias = torch.zeros(models, 1, n, requires_grad=True)
    optimizer = torch.optim.Adam([weight, bias], lr=lr)
    keep = (1 - sparsity)[:, None, None]
    importance_t = torch.as_tensor(weights, dtype=torch.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tensors this small run several times faster on one thread
    try:
        for _ in range(steps):
            x = _batch(models, batch_size, n, keep, generator)
            loss = _loss(weight, bias, x, importance_t)
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        x = _batch(models, 8 * batch_size, n, keep, generator)
        final = _loss(weight, bias, x, importance_t).view(levels.size, n_instances)
    best = final.argmin(1) + torch.arange(levels.size) * n_instances
    return ToySuperposition(
        sparsities=levels,
        importance=weights,
        W=weight.detach()[best].numpy().astype(np.float64),
        b=bias.detach()[best, 0].numpy().astype(np.float64),
        loss=final.min(1).values.numpy().astype(np.float64),
        steps=steps,
        seed=seed,
    )


def _batch(
    models: int, size: int, n: int, keep: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """``[model, batch, feature]``: uniform in [0, 1] where present, 0 with the sparsity.

    One uniform draw ``u`` does both: the feature is present when ``u < keep``, and then
    ``u / keep`` is uniform in [0, 1].
    """
    u = torch.rand(models, size, n, generator=generator)
    return torch.where(u < keep, u / keep, 0.0)


def _loss(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, importance: torch.Tensor
) -> torch.Tensor:
    """``[model]`` importance-weighted squared error of ``ReLU(W^T W x + b)``."""
    hidden = torch.bmm(x, weight.transpose(1, 2))  # [model, batch, d]
    out = torch.relu(torch.baddbmm(bias, hidden, weight))
    return ((x - out).pow(2) * importance).sum(-1).mean(-1)


def _importance(importance: Any, n: int) -> np.ndarray:
    if isinstance(importance, numbers.Real) and not isinstance(importance, bool):
        if not 0 < float(importance) <= 1:
            raise ValueError(f"importance as a ratio must be in (0, 1], got {importance!r}")
        return float(importance) ** np.arange(n, dtype=np.float64)
    values = np.asarray(importance, dtype=np.float64)
    if values.shape != (n,) or not np.all(values > 0):
        raise ValueError(
            f"importance must be a ratio in (0, 1] or {n} positive weights (one per feature), "
            f"got shape {list(values.shape)}"
        )
    return values
