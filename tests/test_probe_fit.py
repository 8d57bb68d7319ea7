"""The batched two-class logistic fit: every problem converges on its own, to the optimum the
previous fit (L-BFGS on the summed losses) approaches, with unchanged accuracy."""

from __future__ import annotations

import torch

from mi_widgets.probing.fit import (
    L2_GRID,
    accuracy,
    fit_logistic,
    fit_logistic_lbfgs,
    log_loss,
    logistic_scores,
    predicted_class,
)
from mi_widgets.probing.lbfgs import fit_binary_lbfgs


def planted(layers: int = 3, n: int = 400, d: int = 24, seed: int = 0):
    """Standardised activations with a label along 4 dimensions of layer 1, and the labels."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(layers, n, d, generator=generator)
    y = torch.randint(0, 2, (n,), generator=generator)
    x[1, :, :4] += (2 * y - 1)[:, None].float() * 0.8
    x = (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)
    return x, y


def objective(x, y, l2, weight, bias):
    return log_loss(logistic_scores(x, weight, bias), y) + 0.5 * l2 * weight.pow(2).sum((2, 3))


def newton_optimum(x, labels, l2, steps: int = 40) -> torch.Tensor:
    """Each problem's optimum by Newton's method in float64, one problem at a time."""
    layers, n, d = x.shape
    xb = torch.cat([x.double(), torch.ones(layers, n, 1, dtype=torch.float64)], -1)
    out = torch.zeros(layers, len(l2), d + 1, dtype=torch.float64)
    for layer in range(layers):
        for v, strength in enumerate(l2.tolist()):
            penalty = torch.full((d + 1,), strength, dtype=torch.float64)
            penalty[-1] = 0
            theta = torch.zeros(d + 1, dtype=torch.float64)
            target = labels[v].double()
            for _ in range(steps):
                p = torch.sigmoid(xb[layer] @ theta)
                grad = xb[layer].T @ (p - target) / n + penalty * theta
                hessian = (xb[layer].T * (p * (1 - p))) @ xb[layer] / n + torch.diag(penalty)
                theta = theta - torch.linalg.solve(hessian, grad)
            out[layer, v] = theta
    return out


def test_every_problem_reaches_the_optimum():
    x, y = planted()
    grid = torch.tensor(L2_GRID)
    labels = y[None].expand(len(grid), -1)
    weight, bias, steps = fit_binary_lbfgs(x, labels, grid.expand(3, -1))
    # optimality: the gradient of each problem's objective vanishes (to float32 resolution)
    theta = torch.cat([weight[..., 0], bias], -1).requires_grad_(True)
    loss = objective(x, labels, grid, theta[..., :-1, None], theta[..., -1:]).sum()
    (grad,) = torch.autograd.grad(loss, theta)
    assert grad.abs().max() < 1e-4
    # and no worse than the previous fit, which ran every problem for all its iterations
    old_weight, old_bias = fit_logistic_lbfgs(x, labels, 2, grid, max_iter=300)
    new = objective(x, labels, grid, weight, bias)
    old = objective(x, labels, grid, old_weight, old_bias)
    assert (new <= old + 1e-6).all()
    exact = newton_optimum(x, labels, grid)  # float64 reference [layer, variant, d + 1]
    torch.testing.assert_close(weight[..., 0].double(), exact[..., :-1], atol=1e-3, rtol=0)
    torch.testing.assert_close(bias.double(), exact[..., -1:], atol=1e-3, rtol=0)
    # each problem stopped on its own: the planted layer's weakest penalty takes the longest
    assert steps.min() >= 1 and steps[1, 0] == steps.max() > steps.min()


def test_accuracy_equals_the_previous_fit():
    x, y = planted(n=600, seed=1)
    train, test = slice(0, 450), slice(450, None)
    labels = torch.stack([y, y[torch.randperm(len(y), generator=torch.Generator().manual_seed(2))]])
    l2 = torch.full((3, 2), 1e-2)
    new = fit_logistic(x[:, train], labels[:, train], 2, l2)
    old = fit_logistic_lbfgs(x[:, train], labels[:, train], 2, l2)
    for weight, bias in (new, old):
        assert weight.shape == (3, 2, 24, 1) and bias.shape == (3, 2, 1)
    predicted = [predicted_class(logistic_scores(x[:, test], *fit)) for fit in (new, old)]
    acc_new, acc_old = (accuracy(p, labels[:, test]) for p in predicted)
    torch.testing.assert_close(acc_new, acc_old, atol=1 / 150, rtol=0)
    assert acc_new[1, 0] > 0.8 and acc_new[0, 0] < 0.65  # the planted layer, a plain one


def test_a_converged_problem_stops_while_others_go_on():
    x, y = planted()
    labels = y[None].expand(2, -1)
    _, _, steps = fit_binary_lbfgs(x, labels, torch.tensor([[1e-4, 10.0]]).expand(3, -1))
    assert steps[1, 0] > steps[1, 1] + 5
