"""ProbeView: a probe's held-out score per layer (with its control) and the examples of the
selected layer projected on the probe direction."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..checks import check_index, layer_from_end
from ..probing.result import ProbeResult
from ._serialization import EncodedArray, encode_array
from .base import SlicedView


class ProbeView(SlicedView):
    """AUC, accuracy (or R²) of a linear probe at every layer, and a scatter of the examples.

    ::

        probes = mw.probe(model, tokenizer, texts, labels)
        view = mw.ProbeView(probes)
        view.layer            # the layer clicked in the chart (a model layer)
        view.layer = 3        # the page follows
        view.example          # the example clicked in the scatter (-1: none)
        view.metric = "accuracy"  # the chart's score (the page has a switch)

    The chart shows the held-out score of the probe (solid), of the same probe trained on
    shuffled labels (dashed: what memorising reaches) and chance (dotted). With two classes
    the score is the AUC by default (chance 0.5): on imbalanced labels accuracy, control and
    chance all sit near the share of the larger class. When the lines lie close together the
    y-axis zooms to their range. The scatter puts
    every example of the selected layer at (its coordinate along the probe direction, its
    coordinate along the top principal component of the rest), coloured by its label; held-out
    examples are ringed. Hover a point for its text or token; click a layer or a point to
    select it. Numbers travel as float32 (exact for the scores).

    Args:
        probes: a :class:`~mi_widgets.ProbeResult`.
        layer: the model layer shown in the scatter; by default the best one. Negative counts
            from the end of the probed layers (``-1``: the last), here and in the trait.
        metric: the score charted, one of :attr:`metrics`: ``"auc"`` (two classes; the
            default there), ``"accuracy"`` (classes; the default for more than two) or
            ``"r2"`` (scalar targets, the only one).
        title: the heading; by default ``probes.source``.

    Synced traits: ``layer``, ``example``, ``metric``.
    """

    _module = "probe"

    title = traitlets.Unicode("").tag(sync=True)
    task = traitlets.Unicode("classification").tag(sync=True)
    site = traitlets.Unicode("").tag(sync=True)
    layers = traitlets.List(traitlets.Int()).tag(sync=True)
    classes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    examples = traitlets.List(traitlets.Unicode()).tag(sync=True)
    chance = traitlets.Float(0.5, allow_none=True).tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    example = traitlets.Int(-1).tag(sync=True)
    #: The scores the result holds: ``["accuracy", "auc"]``, ``["accuracy"]`` or ``["r2"]``.
    metrics = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: The score charted (one of ``metrics``).
    metric = traitlets.Unicode("accuracy").tag(sync=True)
    #: float32 ``[4, layer]``: held-out score, training score, control held-out, control train.
    _scores = traitlets.Dict().tag(sync=True)
    #: float32 ``[2, layer]``: held-out AUC of the probe and of the control; ``{}`` without AUC.
    _auc = traitlets.Dict().tag(sync=True)
    #: float32 ``[2, layer, n]``: coordinate along the probe, along the top other component.
    _points = traitlets.Dict().tag(sync=True)
    #: float32 ``[n]``: class index or target value.
    _labels = traitlets.Dict().tag(sync=True)
    #: uint8 ``[n]``: 1 for a held-out example.
    _test = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        probes: ProbeResult,
        *,
        layer: int | None = None,
        metric: str | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(probes, ProbeResult):
            raise TypeError(
                "probes must be mi_widgets.ProbeResult (from mw.probe(...)), got "
                f"{type(probes).__name__}"
            )
        if layer is None:
            layer = probes.best_layer
        layer = layer_from_end(layer, probes.layers.tolist())
        probes.index(layer)  # a clear error for a layer that was not probed
        self._probes = probes
        chance = probes.chance if probes.is_classification else 0.0
        metrics = _metrics(probes)
        metric = metrics[-1] if metric is None else _check_metric(metric, metrics)
        auc = np.stack([probes.auc, probes.control_auc]).astype(np.float32)
        points = np.stack([probes.projection, probes.component])  # [2, layer, n]
        super().__init__(
            title=probes.source if title is None else title,
            task=probes.task,
            site=probes.site,
            layers=probes.layers.tolist(),
            classes=probes.classes,
            examples=list(probes.examples),
            chance=chance,
            layer=int(layer),
            example=-1,
            metrics=metrics,
            metric=metric,
            _scores=encode_array(_scores(probes)),
            _auc=encode_array(auc) if "auc" in metrics else {},
            _points=encode_array(points.astype(np.float32)),
            _labels=encode_array(probes.labels.astype(np.float32)),
            _test=encode_array(probes.test.astype(np.uint8)),
        )

    @property
    def probes(self) -> ProbeResult:
        """The probes shown."""
        return self._probes

    def slice_keys(self) -> list[str]:
        """None: everything travels with the widget."""
        return []

    def encode_slice(self, key: str) -> EncodedArray:
        raise KeyError(f"ProbeView has no slice {key!r}")

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: dict[str, Any]) -> int:
        value = layer_from_end(proposal["value"], self.layers)
        if value not in self.layers:
            raise traitlets.TraitError(
                f"layer = {value!r} was not probed: expected one of {self.layers}"
            )
        return value

    @traitlets.validate("example")
    def _valid_example(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        return -1 if value == -1 else check_index(value, len(self.examples), "example")

    @traitlets.validate("metric")
    def _valid_metric(self, proposal: dict[str, Any]) -> str:
        return _check_metric(proposal["value"], self.metrics)

    def __repr__(self) -> str:
        probe = self._probes[self.layer]
        name = "accuracy" if self._probes.is_classification else "R²"
        value = probe.accuracy if self._probes.is_classification else probe.r2
        return f"ProbeView(layer {self.layer}: {name} {value:.3f}, {len(self.examples)} examples)"


def _metrics(probes: ProbeResult) -> list[str]:
    """The scores ``probes`` holds, the default (AUC when there is one) last."""
    if not probes.is_classification:
        return ["r2"]
    return ["accuracy", "auc"] if np.isfinite(probes.auc).any() else ["accuracy"]


def _check_metric(value: Any, metrics: list[str]) -> str:
    if value not in metrics:
        raise ValueError(f"metric = {value!r} is not available: expected one of {metrics}")
    return value


def _scores(probes: ProbeResult) -> np.ndarray:
    """float32 ``[4, layer]``: held-out and training score of the probe and of the control."""
    if probes.is_classification:
        rows = (
            probes.accuracy,
            probes.train_accuracy,
            probes.control_accuracy,
            probes.control_train_accuracy,
        )
    else:
        rows = (probes.r2, probes.train_r2, probes.control_r2, probes.control_train_r2)
    return np.stack(rows).astype(np.float32)
