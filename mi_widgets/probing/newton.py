"""Two-class logistic regressions of many problems at once by Newton's method (IRLS), each
problem stopping when it has converged.

The objective of each problem is the one of :func:`~mi_widgets.probing.fit.fit_logistic`:
mean binary cross-entropy plus ``l2 / 2 * ||w||^2`` (bias not penalised). Newton's method
converges in a handful of steps (quadratically near the optimum), so most problems are done
after 5 to 10 steps; a problem whose Newton decrement falls below the tolerance is left out of
the next steps' Hessians, the only costly part (``n * (d + 1)^2`` per problem and step).
"""

from __future__ import annotations

import torch

#: Half the Newton decrement (the predicted loss decrease, in nats) below which a problem
#: has converged: far below what changes a prediction, above float32 rounding.
TOLERANCE = 1e-9
#: Bytes of one chunk of gathered, weighted activations when Hessians are formed.
CHUNK_BYTES = 1 << 28


def fit_binary_newton(
    x: torch.Tensor, y: torch.Tensor, l2: torch.Tensor, max_iter: int = 50
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Newton's method on every layer x labelling problem, with a backtracking line search.

    Args:
        x: float ``[layer, n, d]`` standardised activations.
        y: int64 ``[variant, n]`` classes in {0, 1}.
        l2: ``[layer, variant]`` penalty strengths.
        max_iter: Newton steps at most.

    Returns:
        ``weight [layer, variant, d, 1]``, ``bias [layer, variant, 1]`` and ``steps
        [layer, variant]``: the Newton steps each problem took.
    """
    layers, n, d = x.shape
    variants = y.shape[0]
    xb = torch.cat([x, torch.ones(layers, n, 1, dtype=x.dtype)], dim=-1)  # [layer, n, d + 1]
    penalty = torch.cat(  # [layer, variant, d + 1]: no penalty on the bias
        [l2[..., None].expand(layers, variants, d), torch.zeros(layers, variants, 1)], dim=-1
    ).to(x.dtype)
    target = y.to(x.dtype)[None]  # [1, variant, n]

    def objective(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = torch.einsum("lnd,lvd->lvn", xb, theta)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, target.expand_as(logits), reduction="none"
        ).mean(-1)
        return loss + 0.5 * (penalty * theta.pow(2)).sum(-1), logits

    theta = torch.zeros(layers, variants, d + 1, dtype=x.dtype)
    steps = torch.zeros(layers, variants, dtype=torch.long)
    active = torch.ones(layers, variants, dtype=torch.bool)
    loss, logits = objective(theta)
    for _ in range(max_iter):
        probability = torch.sigmoid(logits)
        grad = torch.einsum("lnd,lvn->lvd", xb, probability - target) / n + penalty * theta
        curvature = probability * (1 - probability) / n  # [layer, variant, n]
        step = _newton_steps(xb, curvature, penalty, grad, active)
        decrement = (grad * step).sum(-1)  # [layer, variant]: g^T H^-1 g
        theta, loss, logits = _line_search(objective, theta, step, loss, decrement, active)
        steps += active.long()
        active &= decrement / 2 > TOLERANCE
        if not active.any():
            break
    weight = theta[..., :d, None].contiguous()
    return weight, theta[..., d:].contiguous(), steps


def _newton_steps(
    xb: torch.Tensor,
    curvature: torch.Tensor,
    penalty: torch.Tensor,
    grad: torch.Tensor,
    active: torch.Tensor,
) -> torch.Tensor:
    """``H^-1 g`` ``[layer, variant, d + 1]`` for the active problems (zeros elsewhere), the
    Hessians ``xbᵀ diag(curvature) xb + diag(penalty)`` formed a chunk of problems at a time."""
    step = torch.zeros_like(grad)
    n, width = xb.shape[1:]
    chunk = max(1, CHUNK_BYTES // (2 * n * width * xb.element_size()))
    for problems in active.nonzero().split(chunk):
        layer, variant = problems.T
        rows = xb[layer]  # [problem, n, d + 1]
        hessian = (rows * curvature[layer, variant, :, None]).transpose(1, 2) @ rows
        hessian = hessian.double() + torch.diag_embed(penalty[layer, variant].double())
        solved = torch.linalg.solve(hessian, grad[layer, variant].double())
        step[layer, variant] = solved.to(step.dtype)
    return step


def _line_search(objective, theta, step, loss, decrement, active, halvings: int = 30):
    """Backtrack each active problem's step until its loss drops enough (Armijo); converged
    problems stay where they are."""
    size = active.to(theta.dtype)
    for _ in range(halvings):
        candidate = theta - size[..., None] * step
        new_loss, logits = objective(candidate)
        enough = new_loss <= loss - 1e-4 * size * decrement + 1e-7 * loss.abs()
        if enough.all():
            break
        size = torch.where(enough, size, size / 2)
    return candidate, new_loss, logits
