"""Linear probes fitted on many problems at once: logistic (classes) and ridge (scalars).

Every function fits a batch of independent problems at once: each probed layer's
activations ``x [layer, n, d]`` (standardised by the caller) against each labelling of the
same ``n`` examples ``[variant, n]`` (the real labels and the shuffled control), and while
the regularisation is chosen, each strength of :data:`L2_GRID`.

Regularisation: an L2 penalty ``l2 / 2 * ||w||^2`` on the weights of standardised features
(not on the bias), added to the mean loss over examples. With standardised features the same
strength means the same thing at every layer and in every model, so one grid serves all.
"""

from __future__ import annotations

import torch

from .lbfgs import fit_binary_lbfgs

#: Bytes of activations one batch of two-class problems reads per evaluation.
CACHE_BYTES = 16 << 20

#: The L2 strengths tried when ``l2="auto"``: chosen per layer on a validation split.
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


def fit_logistic(
    x: torch.Tensor, y: torch.Tensor, n_classes: int, l2: torch.Tensor, max_iter: int = 100
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit L2-regularised logistic regressions, all at once.

    Every layer's activations are fitted to every labelling (the real labels, the control, and
    while choosing the strength, each strength); the problems are independent. Two classes go
    to :func:`~mi_widgets.probing.lbfgs.fit_binary_lbfgs` (L-BFGS with a history, a step
    length and a convergence test per problem: each stops when it has converged); more
    classes to full-batch L-BFGS on the sum of the losses (:func:`fit_logistic_lbfgs`).

    Args:
        x: float ``[layer, n, d]`` standardised activations.
        y: int64 ``[variant, n]`` class indices in ``range(n_classes)``.
        n_classes: 2 gives one logit per example (sigmoid); more, one per class (softmax).
        l2: penalty strengths, broadcastable to ``[layer, variant]``.
        max_iter: L-BFGS iterations at most (each a few evaluations of the loss); two
            classes may take twice as many, as each problem stops on its own.

    Returns:
        ``weight [layer, variant, d, k]`` and ``bias [layer, variant, k]`` with ``k = 1`` for
        two classes, else ``n_classes``.
    """
    if n_classes == 2:
        strengths = torch.as_tensor(l2, dtype=x.dtype).expand(x.shape[0], y.shape[0])
        # a few layers at a time: each evaluation reads all of a chunk's activations, and a
        # chunk that stays in the CPU cache is read much faster (measured: a 12-layer batch of
        # 10 MB layers ran 1.5x slower than one layer at a time)
        per_chunk = max(1, CACHE_BYTES // max(1, x[0].numel() * x.element_size()))
        fits = [
            fit_binary_lbfgs(x[i : i + per_chunk], y, strengths[i : i + per_chunk], 2 * max_iter)
            for i in range(0, x.shape[0], per_chunk)
        ]
        return torch.cat([f[0] for f in fits]), torch.cat([f[1] for f in fits])
    return fit_logistic_lbfgs(x, y, n_classes, l2, max_iter)


def fit_logistic_lbfgs(
    x: torch.Tensor, y: torch.Tensor, n_classes: int, l2: torch.Tensor, max_iter: int = 100
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`fit_logistic` by full-batch L-BFGS on the sum of every problem's loss (one
    batched matrix product per evaluation computes every problem's logits); the arguments
    and results are :func:`fit_logistic`'s."""
    layers, _, d = x.shape
    variants = y.shape[0]
    k = 1 if n_classes == 2 else n_classes
    l2 = torch.as_tensor(l2, dtype=x.dtype).expand(layers, variants)
    # [layer, d + 1, variant * k]: the last row is the bias
    params = torch.zeros(layers, d + 1, variants * k, dtype=x.dtype, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [params],
        lr=1,
        max_iter=max_iter,
        tolerance_grad=1e-6,
        tolerance_change=1e-9,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = torch.baddbmm(params[:, d : d + 1], x, params[:, :d])  # [layer, n, v * k]
        logits = logits.view(layers, -1, variants, k).transpose(1, 2)  # [layer, v, n, k]
        penalty = 0.5 * l2 * params[:, :d].pow(2).view(layers, d, variants, k).sum((1, 3))
        loss = (log_loss(logits, y) + penalty).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    params = params.detach()
    weight = params[:, :d].view(layers, d, variants, k).transpose(1, 2)
    return weight.contiguous(), params[:, d].view(layers, variants, k)


def logistic_scores(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Logits ``[layer, variant, n, k]`` of probes ``weight [layer, variant, d, k]`` and
    ``bias [layer, variant, k]`` on ``x [layer, n, d]``."""
    return torch.einsum("lnd,lvdk->lvnk", x, weight) + bias[:, :, None]


def log_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy ``[layer, variant]`` of ``logits [layer, variant, n, k]`` for the
    classes ``y [variant, n]`` (``k = 1``: sigmoid)."""
    target = y.expand(logits.shape[0], *y.shape)
    if logits.shape[-1] == 1:
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits[..., 0], target.to(logits.dtype), reduction="none"
        )
    else:
        loss = torch.nn.functional.cross_entropy(
            logits.permute(0, 3, 1, 2), target, reduction="none"
        )
    return loss.mean(-1)


def predicted_class(scores: torch.Tensor) -> torch.Tensor:
    """Class index ``[..., n]`` from logits ``[..., n, k]`` (``k = 1``: sigmoid > 0.5)."""
    if scores.shape[-1] == 1:
        return (scores[..., 0] > 0).long()
    return scores.argmax(-1)


def accuracy(predicted: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Fraction correct ``[...]`` of ``predicted [..., n]`` against ``y`` (broadcast)."""
    return (predicted == y).to(torch.float64).mean(-1)


def binary_auc(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Area under the ROC curve ``[...]`` of ``scores [..., n]`` for ``y`` in {0, 1} (broadcast).

    The Mann-Whitney statistic with tied scores counted half; NaN where one class is absent.
    """
    ranks = _average_ranks(scores)
    positive = y.to(torch.float64).expand(scores.shape)
    n_pos = positive.sum(-1)
    n_neg = scores.shape[-1] - n_pos
    rank_sum = (ranks * positive).sum(-1)
    auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return torch.where((n_pos > 0) & (n_neg > 0), auc, torch.full_like(auc, float("nan")))


def _average_ranks(scores: torch.Tensor) -> torch.Tensor:
    """1-based ranks along the last axis, ties given their average rank."""
    order = scores.argsort(dim=-1, stable=True)
    sorted_scores = scores.gather(-1, order)
    n = scores.shape[-1]
    position = torch.arange(1, n + 1, dtype=torch.float64).expand(scores.shape)
    new_run = torch.ones_like(sorted_scores, dtype=torch.bool)
    new_run[..., 1:] = sorted_scores[..., 1:] != sorted_scores[..., :-1]
    run_id = new_run.cumsum(-1) - 1  # [problem, n]: which run of ties each sorted value is in
    first = torch.zeros(scores.shape, dtype=torch.float64).scatter_reduce(
        -1, run_id, position, "amin", include_self=False
    )
    last = torch.zeros(scores.shape, dtype=torch.float64).scatter_reduce(
        -1, run_id, position, "amax", include_self=False
    )
    mean_rank = (first + last).gather(-1, run_id) / 2
    return torch.empty_like(mean_rank).scatter_(-1, order, mean_rank)


def fit_ridge(
    x: torch.Tensor, y: torch.Tensor, l2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Closed-form ridge regressions of every layer, labelling and strength at once.

    Minimises ``mean((x w + b - y)^2) + l2 * ||w||^2`` (no penalty on ``b``) through one
    eigendecomposition of each layer's covariance.

    Args:
        x: float ``[layer, n, d]`` standardised activations.
        y: float ``[variant, n]`` targets.
        l2: ``[strength]`` penalties.

    Returns:
        ``weight [layer, variant, strength, d]`` and ``bias [layer, variant, strength]``.
    """
    n = x.shape[1]
    x64, y64 = x.to(torch.float64), y.to(torch.float64)
    x_mean, y_mean = x64.mean(1), y64.mean(1)  # [layer, d], [variant]
    xc, yc = x64 - x_mean[:, None], y64 - y_mean[:, None]
    eigenvalues, vectors = torch.linalg.eigh(xc.transpose(1, 2) @ xc / n)  # [l, d], [l, d, d]
    covariance = torch.einsum("lnd,vn->lvd", xc, yc) / n
    projected = torch.einsum("lde,lvd->lve", vectors, covariance)  # in the eigenbasis
    shrink = 1.0 / (eigenvalues[:, None, None, :] + l2.to(torch.float64)[None, None, :, None])
    weight = torch.einsum("lde,lvse->lvsd", vectors, shrink * projected[:, :, None])
    bias = y_mean[None, :, None] - torch.einsum("ld,lvsd->lvs", x_mean, weight)
    return weight, bias


def r2_score(predicted: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Coefficient of determination ``[...]`` of predictions ``[..., n]`` for ``y [..., n]``."""
    y64 = y.to(torch.float64)
    residual = (y64 - predicted.to(torch.float64)).pow(2).sum(-1)
    total = (y64 - y64.mean(-1, keepdim=True)).pow(2).sum(-1)
    return 1 - residual / total
