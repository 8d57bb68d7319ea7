"""ProbeResult: linear probes of one property at several layers, their scores and controls."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..analysis._archive import read_archive, write_archive

_KIND, _VERSION = "ProbeResult", 1
_ARRAYS = (
    "layers",
    "direction",
    "coef",
    "intercept",
    "l2",
    "accuracy",
    "train_accuracy",
    "auc",
    "r2",
    "train_r2",
    "control_accuracy",
    "control_train_accuracy",
    "control_auc",
    "control_r2",
    "control_train_r2",
    "projection",
    "component",
    "labels",
    "test",
)


@dataclass(frozen=True)
class Probe:
    """The probe of one layer (``probes[layer]`` of a :class:`ProbeResult`).

    Attributes:
        layer: the model layer.
        direction: unit vector(s) in the residual space (original scale): ``[d_model]`` for two
            classes or a scalar, ``[class, d_model]`` for more classes.
        coef, intercept: ``activation @ coef.T + intercept`` are the probe's logits (classes)
            or predictions (scalar); ``coef`` has the shape of ``direction``.
        accuracy, auc, r2: held-out scores (NaN where they do not apply); ``control_*`` the
            same probe trained on shuffled training labels (scored on the true held-out ones).
    """

    layer: int
    direction: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    l2: float
    accuracy: float
    auc: float
    r2: float
    control_accuracy: float
    control_auc: float
    control_r2: float

    def predict(self, activations: Any) -> np.ndarray:
        """Logits ``[n]`` (``[n, class]`` for more than two classes) or predicted values of
        activations ``[n, d_model]``."""
        x = _numpy(activations, "activations")
        return x @ self.coef.T + self.intercept

    def project(self, activations: Any) -> np.ndarray:
        """Coordinates ``[n]`` (``[n, class]``) of activations ``[n, d_model]`` along
        :attr:`direction`."""
        return _numpy(activations, "activations") @ self.direction.T


@dataclass
class ProbeResult:
    """Linear probes of one property at several layers (from :func:`~mi_widgets.probe`).

    ``probes[layer]`` is the :class:`Probe` of a model layer. Arrays (``[layer]`` unless said):

    - ``layers`` the model layers probed; ``direction``, ``coef`` ``[layer, k, d_model]``
      (``k = 1`` for two classes or a scalar), ``intercept`` ``[layer, k]``, ``l2`` the penalty
      used (on standardised features);
    - held-out ``accuracy``, ``auc`` (two classes), ``r2`` (scalar targets), their
      ``train_*`` values, and the same for the shuffled-label ``control_*`` probes (NaN where a
      score does not apply);
    - for plotting, per example: ``projection`` ``[layer, n]`` (along the probe direction; for
      more classes the direction the probe weighs most), ``component`` ``[layer, n]`` (the top
      principal component of what is left), ``labels`` ``[n]`` (class index or value), ``test``
      ``[n]`` (held out).

    ``classes`` names the classes (empty for a scalar), ``examples`` each example (its text, or
    a token in context), ``chance`` the held-out accuracy of always answering the most common
    training class.
    """

    task: str
    site: str
    layers: np.ndarray
    direction: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    l2: np.ndarray
    accuracy: np.ndarray
    train_accuracy: np.ndarray
    auc: np.ndarray
    r2: np.ndarray
    train_r2: np.ndarray
    control_accuracy: np.ndarray
    control_train_accuracy: np.ndarray
    control_auc: np.ndarray
    control_r2: np.ndarray
    control_train_r2: np.ndarray
    projection: np.ndarray
    component: np.ndarray
    labels: np.ndarray
    test: np.ndarray
    chance: float
    classes: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"

    @property
    def score(self) -> np.ndarray:
        """The held-out score of each layer ``[layer]``: accuracy for classes, else R²."""
        return self.accuracy if self.is_classification else self.r2

    @property
    def control_score(self) -> np.ndarray:
        """The shuffled-label control's held-out score ``[layer]``."""
        return self.control_accuracy if self.is_classification else self.control_r2

    @property
    def best_layer(self) -> int:
        """The model layer with the highest held-out score."""
        return int(self.layers[int(np.nanargmax(self.score))])

    def index(self, layer: int) -> int:
        """Row of model layer ``layer`` in the arrays, or a ValueError listing the probed ones."""
        matches = np.flatnonzero(self.layers == layer)
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not matches.size:
            raise ValueError(
                f"layer = {layer!r} was not probed: expected one of {self.layers.tolist()}"
            )
        return int(matches[0])

    def __getitem__(self, layer: int) -> Probe:
        row = self.index(layer)
        squeeze = self.direction.shape[1] == 1
        pick = (lambda a: a[row, 0]) if squeeze else (lambda a: a[row])
        return Probe(
            layer=int(layer),
            direction=pick(self.direction),
            coef=pick(self.coef),
            intercept=pick(self.intercept),
            l2=float(self.l2[row]),
            accuracy=float(self.accuracy[row]),
            auc=float(self.auc[row]),
            r2=float(self.r2[row]),
            control_accuracy=float(self.control_accuracy[row]),
            control_auc=float(self.control_auc[row]),
            control_r2=float(self.control_r2[row]),
        )

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Probe]:
        """The probe of each layer, in order."""
        return (self[int(layer)] for layer in self.layers)

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write to an ``.npz`` file; :meth:`load` reads it back."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        meta = {
            "task": self.task,
            "site": self.site,
            "chance": self.chance,
            "classes": self.classes,
            "examples": self.examples,
            "source": self.source,
        }
        return write_archive(path, _KIND, _VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> ProbeResult:
        """Read a file written by :meth:`save`."""
        arrays, meta = read_archive(path, _KIND, _VERSION)
        return cls(
            task=meta["task"],
            site=meta["site"],
            chance=float(meta["chance"]),
            classes=list(meta["classes"]),
            examples=list(meta["examples"]),
            source=meta["source"],
            **{name: arrays[name] for name in _ARRAYS},
        )

    def __repr__(self) -> str:
        name = "accuracy" if self.is_classification else "R²"
        best = self.index(self.best_layer)
        return (
            f"ProbeResult({self.task} at {self.site} of layers {self.layers.tolist()}, "
            f"best layer {self.best_layer}: {name} {self.score[best]:.3f}, "
            f"control {self.control_score[best]:.3f}, {len(self.labels)} examples)"
        )


def _numpy(values: Any, name: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().to("cpu", torch.float64).numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must be [n, d_model] or [d_model], got shape {list(array.shape)}")
    return array
