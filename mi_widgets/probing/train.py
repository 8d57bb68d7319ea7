"""Train probes of every layer at once: split, standardise, choose the L2 strength, fit the
real and the shuffled-label control probes, score them held out, and project for plotting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .fit import (
    L2_GRID,
    accuracy,
    binary_auc,
    fit_logistic,
    fit_ridge,
    log_loss,
    logistic_scores,
    predicted_class,
    r2_score,
)
from .result import ProbeResult

#: Fraction of the training examples held back to choose the L2 strength (``l2="auto"``).
VALIDATION_FRACTION = 0.2


def encode_labels(labels: Any, n: int, task: str) -> tuple[torch.Tensor, list[str], str]:
    """Labels ``[n]`` as class indices (int64) or values (float64), the class names, the task.

    ``task="auto"``: strings, booleans and integer-valued numbers are classes; other numbers a
    scalar to regress.
    """
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) != n:
        shape = list(values.shape)
        raise ValueError(
            f"labels has shape {shape} but there are {n} examples; expected one label per "
            "example (shape [n])"
        )
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    numeric = values.dtype.kind in "biuf"
    if values.dtype.kind == "f" and np.isnan(values).any():
        raise ValueError(f"labels has NaN at index {int(np.flatnonzero(np.isnan(values))[0])}")
    if task == "auto":
        integral = values.dtype.kind != "f" or bool(np.all(values == np.round(values)))
        task = "classification" if not numeric or integral else "regression"
    if task == "regression":
        if not numeric:
            raise TypeError(f"task='regression' needs numeric labels, got dtype {values.dtype}")
        if np.ptp(values) == 0:
            raise ValueError(f"labels are all {values[0]!r}: a scalar probe needs varying targets")
        return torch.as_tensor(values, dtype=torch.float64), [], task
    classes, index = np.unique(values, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"labels has only one class ({classes.tolist()[0]!r}) among {n} examples: a probe "
            "needs at least two classes"
        )
    return torch.as_tensor(index, dtype=torch.long), [str(c) for c in classes.tolist()], task


def split(
    groups: torch.Tensor,
    fraction: float,
    generator: torch.Generator,
    y: torch.Tensor | None = None,
) -> torch.Tensor:
    """Boolean ``[n]``: which examples are held out, a seeded ``fraction`` of the groups.

    Examples of one group (the tokens of one text) stay together. With ``y`` (class indices,
    one example per group) the split is stratified: each class holds out its own fraction.
    """
    n_groups = int(groups.max()) + 1
    keys = torch.rand(n_groups, generator=generator)
    if y is None:
        rank = keys.argsort().argsort()
        return (rank < round(n_groups * fraction))[groups]
    order = keys.argsort()
    order = order[y[order].argsort(stable=True)]  # by class, random within a class
    counts = torch.bincount(y)
    starts = counts.cumsum(0) - counts
    rank = torch.empty_like(order)
    rank[order] = torch.arange(len(order))
    within = rank - starts[y]
    return within < (counts.double() * fraction).round().long()[y]


def train_probes(
    activations: torch.Tensor,
    labels: Any,
    groups: torch.Tensor,
    *,
    layers: Sequence[int],
    site: str,
    examples: list[str],
    source: str,
    task: str = "auto",
    test_fraction: float = 0.25,
    l2: float | str = "auto",
    seed: int = 0,
) -> ProbeResult:
    """Probes of ``activations [layer, n, d_model]`` for ``labels [n]``; see
    :func:`~mi_widgets.probe` for the arguments."""
    n = activations.shape[1]
    y, classes, task = encode_labels(labels, n, task)
    if not (isinstance(test_fraction, float) and 0 < test_fraction < 1):
        raise ValueError(f"test_fraction must be a float in (0, 1), got {test_fraction!r}")
    generator = torch.Generator().manual_seed(seed)
    stratify = task == "classification" and int(groups.max()) + 1 == n
    test = split(groups, test_fraction, generator, y if stratify else None)
    train = ~test
    _check_split(y, train, test, classes)
    # the control learns from the training labels shuffled among the training examples and
    # is scored on the true held-out labels: without real signal it lands at chance
    rows = train.nonzero()[:, 0]
    control = y.clone()
    control[rows] = y[rows[torch.randperm(len(rows), generator=generator)]]
    targets = torch.stack([y, control])  # [variant, n]: real labels, shuffled control
    x = activations.float()
    mean = x[:, train].mean(1, keepdim=True)
    scale = x[:, train].std(1, keepdim=True).clamp_min(1e-6)
    standard = (x - mean) / scale
    inner = split(groups[train], VALIDATION_FRACTION, generator) if l2 == "auto" else None
    if task == "classification":
        fitted = _classify(standard, targets, len(classes), train, test, inner, l2)
    else:
        fitted = _regress(standard, targets, train, test, inner, l2)
    weight, bias, chosen, metrics = fitted  # weight [layer, k, d] of the real labels
    coef = weight / scale.to(weight.dtype)
    intercept = bias - (coef * mean.to(coef.dtype)).sum(-1)
    direction = coef / coef.norm(dim=-1, keepdim=True).clamp_min(1e-30)
    projection, component = _plot_axes(x, coef)
    majority = torch.bincount(y[train]).argmax() if classes else None
    chance = float("nan") if majority is None else float((y[test] == majority).double().mean())
    return ProbeResult(
        task=task,
        site=site,
        layers=np.asarray(layers, dtype=np.int64),
        direction=direction.numpy(),
        coef=coef.numpy(),
        intercept=intercept.numpy(),
        l2=chosen.numpy(),
        projection=projection.float().numpy(),
        component=component.float().numpy(),
        labels=(y if classes else y.float()).numpy(),
        test=test.numpy(),
        chance=chance,
        classes=classes,
        examples=examples,
        source=source,
        **{name: value.numpy() for name, value in metrics.items()},
    )


def _check_split(y: torch.Tensor, train: torch.Tensor, test: torch.Tensor, classes: list) -> None:
    n_train, n_test = int(train.sum()), int(test.sum())
    if n_train < 2 or n_test < 1:
        raise ValueError(
            f"the split leaves {n_train} training and {n_test} held-out examples: give more "
            "examples (texts) or change test_fraction"
        )
    for name, mask in (("training", train), ("held-out", test)):
        present = torch.unique(y[mask]).tolist()
        if classes and len(present) < 2:
            raise ValueError(
                f"the {name} split has only class {classes[present[0]]!r}: give more examples of "
                "each class or change test_fraction / seed"
            )


def _classify(
    x: torch.Tensor,
    targets: torch.Tensor,
    n_classes: int,
    train: torch.Tensor,
    test: torch.Tensor,
    inner: torch.Tensor | None,
    l2: float | str,
):
    x_train, y_train = x[:, train], targets[:, train]
    if inner is None:
        chosen = torch.full((x.shape[0], 2), _strength(l2), dtype=x.dtype)
    else:
        # the strength is chosen on the real labels; the control gets the same one
        grid = torch.tensor(L2_GRID, dtype=x.dtype)
        fit_y = y_train[:1, ~inner].expand(len(grid), -1)
        weight, bias = fit_logistic(x_train[:, ~inner], fit_y, n_classes, grid)
        with torch.no_grad():
            val_y = y_train[:1, inner].expand(len(grid), -1)
            loss = log_loss(logistic_scores(x_train[:, inner], weight, bias), val_y)
        chosen = grid[loss.argmin(-1)][:, None].expand(-1, 2)  # [layer, variant]
    weight, bias = fit_logistic(x_train, y_train, n_classes, chosen)
    with torch.no_grad():
        scores = logistic_scores(x, weight, bias)  # [layer, variant, n, k]
    predicted = predicted_class(scores)
    acc_test = accuracy(predicted[..., test], targets[:, test])
    acc_train = accuracy(predicted[..., train], targets[:, train])
    if n_classes == 2:
        auc = binary_auc(scores[..., 0][..., test], targets[:, test])
    else:
        auc = torch.full_like(acc_test, float("nan"))
    nan = torch.full_like(acc_test[:, 0], float("nan"))
    metrics = {
        "accuracy": acc_test[:, 0],
        "train_accuracy": acc_train[:, 0],
        "auc": auc[:, 0],
        "control_accuracy": acc_test[:, 1],
        "control_train_accuracy": acc_train[:, 1],
        "control_auc": auc[:, 1],
        "r2": nan,
        "train_r2": nan,
        "control_r2": nan,
        "control_train_r2": nan,
    }
    return weight[:, 0].transpose(1, 2).double(), bias[:, 0].double(), chosen[:, 0], metrics


def _regress(
    x: torch.Tensor,
    targets: torch.Tensor,
    train: torch.Tensor,
    test: torch.Tensor,
    inner: torch.Tensor | None,
    l2: float | str,
):
    grid = torch.tensor(L2_GRID if inner is not None else (_strength(l2),), dtype=torch.float64)
    x_train, y_train = x[:, train], targets[:, train]
    pick = torch.zeros(x.shape[0], 2, dtype=torch.long)
    if inner is not None:
        weight, bias = fit_ridge(x_train[:, ~inner], y_train[:, ~inner], grid)
        predicted = torch.einsum("lnd,lvsd->lvsn", x_train[:, inner].double(), weight)
        error = (predicted + bias[..., None] - y_train[:, inner][None, :, None]).pow(2).mean(-1)
        pick = error[:, :1].argmin(-1).expand(-1, 2)  # [layer, variant]: the real labels' choice
    weight, bias = fit_ridge(x_train, y_train, grid)
    weight = weight.gather(2, pick[..., None, None].expand(-1, -1, 1, weight.shape[-1]))[:, :, 0]
    bias = bias.gather(2, pick[..., None])[..., 0]  # weight [layer, variant, d], bias [l, v]
    predicted = torch.einsum("lnd,lvd->lvn", x.double(), weight) + bias[..., None]
    r2_test = r2_score(predicted[..., test], targets[:, test])
    r2_train = r2_score(predicted[..., train], targets[:, train])
    nan = torch.full_like(r2_test[:, 0], float("nan"))
    metrics = {
        "r2": r2_test[:, 0],
        "train_r2": r2_train[:, 0],
        "control_r2": r2_test[:, 1],
        "control_train_r2": r2_train[:, 1],
        "accuracy": nan,
        "train_accuracy": nan,
        "auc": nan,
        "control_accuracy": nan,
        "control_train_accuracy": nan,
        "control_auc": nan,
    }
    return weight[:, 0, None], bias[:, 0, None], grid[pick[:, 0]], metrics


def _strength(l2: float | str) -> float:
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not l2 >= 0:
        raise ValueError(f"l2 must be 'auto' or a number >= 0, got {l2!r}")
    return float(l2)


def _plot_axes(x: torch.Tensor, coef: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each example along the probe's main direction and along the top principal component
    of the rest: two ``[layer, n]`` arrays (activations ``x [layer, n, d]``,
    ``coef [layer, k, d]``)."""
    x64 = x.double()
    if coef.shape[1] == 1:
        axis = coef[:, 0]
    else:  # softmax is unchanged by a shift shared by all classes: take the main difference
        axis = torch.linalg.svd(coef - coef.mean(1, keepdim=True), full_matrices=False)[2][:, 0]
    axis = axis / axis.norm(dim=-1, keepdim=True).clamp_min(1e-30)
    projection = torch.einsum("lnd,ld->ln", x64, axis)
    centred = x64 - x64.mean(1, keepdim=True)
    rest = centred - torch.einsum("lnd,ld->ln", centred, axis)[..., None] * axis[:, None]
    top = torch.linalg.eigh(rest.transpose(1, 2) @ rest)[1][..., -1]  # [layer, d]
    return projection, torch.einsum("lnd,ld->ln", rest, top)
