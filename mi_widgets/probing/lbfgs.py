"""Two-class logistic regressions of many problems at once by L-BFGS with a state per problem:
its own history, its own step length, its own convergence test.

The objective of each problem is the one of :func:`~mi_widgets.probing.fit.fit_logistic`:
mean binary cross-entropy plus ``l2 / 2 * ||w||^2`` (bias not penalised). Every evaluation
computes the logits of all of a layer's problems with one matrix product (``[n, d] @ [d,
variant]``), which is what makes the batch faster than one problem at a time (a
matrix-vector product each). A problem stops when its largest gradient entry is below
:data:`TOLERANCE_GRAD` or an iteration lowers its loss by less than :data:`TOLERANCE_CHANGE`;
a layer whose problems have all stopped leaves the batch.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: Largest gradient entry below which a problem has converged (as ``torch.optim.LBFGS``).
TOLERANCE_GRAD = 1e-6
#: Loss decrease of one iteration below which a problem has converged (as
#: ``torch.optim.LBFGS``; float32 losses resolve about 1e-7 nats).
TOLERANCE_CHANGE = 1e-9
#: Pairs of (step, gradient change) each problem remembers.
HISTORY = 10

Objective = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def fit_binary_lbfgs(
    x: torch.Tensor, y: torch.Tensor, l2: torch.Tensor, max_iter: int = 200
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """L-BFGS with Armijo backtracking on every layer x labelling problem at once.

    Args:
        x: float ``[layer, n, d]`` standardised activations.
        y: int64 ``[variant, n]`` classes in {0, 1}.
        l2: ``[layer, variant]`` penalty strengths.
        max_iter: iterations at most.

    Returns:
        ``weight [layer, variant, d, 1]``, ``bias [layer, variant, 1]`` and ``steps
        [layer, variant]``: the iterations each problem took.
    """
    layers, n, d = x.shape
    variants = y.shape[0]
    xb = torch.cat([x, torch.ones(layers, n, 1, dtype=x.dtype)], dim=-1)  # [layer, n, d + 1]
    penalty = torch.zeros(layers, variants, d + 1, dtype=x.dtype)
    penalty[..., :d] = l2[..., None].to(x.dtype)  # no penalty on the bias
    target = y.to(x.dtype)

    # the layers in the batch: all at first, gathered again (a copy) only once at most half
    # of them still have a problem running, so the copies cost at most one more pass
    batch = {"rows": torch.arange(layers), "inputs": xb, "weights": penalty}

    def objective(theta: torch.Tensor, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss ``[layer, variant]`` and gradient ``[layer, variant, d + 1]`` of the layers
        ``rows`` (the batch's)."""
        if not torch.equal(batch["rows"], rows):
            batch.update(rows=rows, inputs=xb[rows], weights=penalty[rows])
        inputs, weights = batch["inputs"], batch["weights"]
        logits = torch.bmm(theta, inputs.transpose(1, 2))  # [layer, variant, n]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, target.expand_as(logits), reduction="none"
        ).mean(-1)
        residual = (torch.sigmoid(logits) - target) / n
        grad = torch.bmm(residual, inputs) + weights * theta
        return loss + 0.5 * (weights * theta.pow(2)).sum(-1), grad

    theta = torch.zeros(layers, variants, d + 1, dtype=x.dtype)
    steps = torch.zeros(layers, variants, dtype=torch.long)
    active = torch.ones(layers, variants, dtype=torch.bool)
    every = torch.arange(layers)
    loss, grad = objective(theta, every)
    history_s: list[torch.Tensor] = []
    history_y: list[torch.Tensor] = []
    history_rho: list[torch.Tensor] = []
    rows = torch.arange(layers)
    for _ in range(max_iter):
        running = active.any(1)
        if not running.any():
            break
        if 2 * int(running[rows].sum()) <= len(rows):  # compact the batch
            rows = running.nonzero()[:, 0]
        moving = active[rows]
        direction = -_two_loop(
            grad[rows],
            [h[rows] for h in history_s],
            [h[rows] for h in history_y],
            [h[rows] for h in history_rho],
        )
        slope = (direction * grad[rows]).sum(-1)
        uphill = slope >= 0  # not a descent direction: fall back to the gradient
        direction[uphill] = -grad[rows][uphill]
        slope = torch.where(uphill, -grad[rows].pow(2).sum(-1), slope)
        if not history_s:  # first step: a unit-length move
            direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            slope = (direction * grad[rows]).sum(-1)
        new_theta, new_loss, new_grad = _backtrack(
            objective, rows, theta[rows], loss[rows], grad[rows], direction, slope, moving
        )
        decrease = loss[rows] - new_loss
        s, change = new_theta - theta[rows], new_grad - grad[rows]
        curvature = (s * change).sum(-1)
        rho = torch.where(curvature > 1e-10, 1 / curvature.clamp_min(1e-10), 0.0) * moving
        _remember(history_s, history_y, history_rho, rows, s, change, rho, theta.shape)
        theta[rows], grad[rows] = new_theta, new_grad
        loss[rows] = new_loss
        steps[rows] += moving.long()
        still = (new_grad.abs().amax(-1) > TOLERANCE_GRAD) & (decrease > TOLERANCE_CHANGE)
        active[rows] = moving & still
    return theta[..., :d, None].contiguous(), theta[..., d:].contiguous(), steps


def _two_loop(
    grad: torch.Tensor, s: list[torch.Tensor], y: list[torch.Tensor], rho: list[torch.Tensor]
) -> torch.Tensor:
    """``H grad`` ``[..., d + 1]`` with the inverse-Hessian estimate of the history (oldest
    first; ``rho`` 0 marks an entry a problem skipped)."""
    q = grad.clone()
    alphas = []
    for s_i, y_i, rho_i in zip(reversed(s), reversed(y), reversed(rho), strict=True):
        alpha = rho_i * (s_i * q).sum(-1)
        q -= alpha[..., None] * y_i
        alphas.append(alpha)
    if s:  # the newest pair scales the first guess
        sy, yy = (s[-1] * y[-1]).sum(-1), (y[-1] * y[-1]).sum(-1)
        gamma = torch.where((rho[-1] > 0) & (yy > 0), sy / yy.clamp_min(1e-30), 1.0)
        q *= gamma[..., None]
    for s_i, y_i, rho_i, alpha in zip(s, y, rho, reversed(alphas), strict=True):
        beta = rho_i * (y_i * q).sum(-1)
        q += (alpha - beta)[..., None] * s_i
    return q


def _backtrack(
    objective: Objective,
    rows: torch.Tensor,
    theta: torch.Tensor,
    loss: torch.Tensor,
    grad: torch.Tensor,
    direction: torch.Tensor,
    slope: torch.Tensor,
    moving: torch.Tensor,
    halvings: int = 30,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Halve each moving problem's step until its loss drops enough (Armijo); a problem
    without a decrease after ``halvings`` stays where it is, as do stopped problems."""
    size = moving.to(theta.dtype)
    for _ in range(halvings):
        candidate = theta + size[..., None] * direction
        new_loss, new_grad = objective(candidate, rows)
        enough = ~moving | (new_loss <= loss + 1e-4 * size * slope)
        if enough.all():
            return candidate, new_loss, new_grad
        size = torch.where(enough, size, size / 2)
    candidate[~enough], new_loss[~enough], new_grad[~enough] = (
        theta[~enough],
        loss[~enough],
        grad[~enough],
    )
    return candidate, new_loss, new_grad


def _remember(
    history_s: list[torch.Tensor],
    history_y: list[torch.Tensor],
    history_rho: list[torch.Tensor],
    rows: torch.Tensor,
    s: torch.Tensor,
    change: torch.Tensor,
    rho: torch.Tensor,
    shape: torch.Size,
) -> None:
    """Append one (step, gradient change, 1 / curvature) pair for the layers ``rows`` (zeros,
    i.e. skipped, for the other layers), keeping the last :data:`HISTORY`."""
    full_s, full_y = torch.zeros(shape, dtype=s.dtype), torch.zeros(shape, dtype=s.dtype)
    full_rho = torch.zeros(shape[:2], dtype=s.dtype)
    full_s[rows], full_y[rows], full_rho[rows] = s, change, rho
    history_s.append(full_s)
    history_y.append(full_y)
    history_rho.append(full_rho)
    if len(history_s) > HISTORY:
        del history_s[0], history_y[0], history_rho[0]
