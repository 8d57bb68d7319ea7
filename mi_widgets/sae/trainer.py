"""The optimiser step shared by sparse autoencoders and transcoders, and the shuffled buffers
that feed it.

A *coder* maps inputs ``[..., rows, d_in]`` to sparse features ``[..., rows, n_features]`` and
decodes them to a prediction ``[..., rows, d_out]`` of a target (the input itself for an
autoencoder, the MLP's output for a transcoder). The leading ``...`` is empty for one coder
and ``[layer]`` for a stack of coders trained side by side: every weight then carries that
leading dimension and each matmul is batched over it, so one step trains every layer.
A coder provides ``pre_activations(x)``, ``activate(pre)``, ``activation``,
``b_enc`` ``[..., n_features]``, ``W_dec`` ``[..., n_features, d_out]``, ``b_dec``
``[..., d_out]`` and, with a linear skip connection, ``W_skip`` ``[..., d_in, d_out]``.

Training follows Gao et al. (2024), "Scaling and evaluating sparse autoencoders": decoder
rows kept at unit norm (the gradient's component along each row removed before a step, rows
renormalised after), ``b_dec`` started at the mean target, the loss a normalised MSE (squared
error over the target's variance), and an auxiliary loss against dead features: features that
have not fired for ``dead_after`` tokens predict the remaining error with their top ``aux_k``
pre-activations (weight 1/32). ReLU coders add an L1 penalty on feature activations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

#: Weight of the auxiliary dead-feature loss (Gao et al. 2024).
AUX_WEIGHT = 1 / 32


class SparseCoderTrainer:
    """Adam on one coder (or a stack), with unit-norm decoder rows and the auxiliary dead loss.

    Args:
        coder: the module trained (see the module docstring).
        lr: Adam learning rate.
        l1: ``"relu"`` only: weight of the mean summed feature activation over the mean target
            norm, next to the normalised MSE.
        aux_k: dead features used by the auxiliary loss.
        dead_after: tokens without firing after which a feature counts as dead.

    Attributes:
        steps, tokens: optimiser steps taken and rows trained on.
        last_loss: ``[...]`` the loss of the last step, per coder of the stack.
    """

    def __init__(self, coder: Any, lr: float, l1: float, aux_k: int, dead_after: int) -> None:
        self.coder, self.l1, self.aux_k, self.dead_after = coder, l1, aux_k, dead_after
        self.optimizer = torch.optim.Adam(coder.parameters(), lr=lr)
        self.since_fired = torch.zeros(coder.b_enc.shape, dtype=torch.long)  # tokens
        self.steps = self.tokens = 0
        self.last_loss = torch.full(coder.b_enc.shape[:-1], torch.nan)

    def step(self, x: torch.Tensor, target: torch.Tensor | None = None) -> None:
        """One optimiser step on input rows ``x`` ``[..., rows, d_in]`` predicting ``target``
        ``[..., rows, d_out]`` (``x`` itself by default, as an autoencoder does)."""
        coder = self.coder
        target = x if target is None else target
        if self.steps == 0:  # start the decoder bias at the mean target
            with torch.no_grad():
                coder.b_dec.copy_(target.mean(-2))
        pre = coder.pre_activations(x)
        features = coder.activate(pre)  # TopK: dense, zero but for k features per row
        decoded = features @ coder.W_dec  # a matmul beats gathering k rows per token on CPU
        fired = (features > 0).any(-2)
        error = target - decoded - coder.b_dec.unsqueeze(-2)
        if getattr(coder, "W_skip", None) is not None:
            error = error - x @ coder.W_skip
        loss = normalized_mse(error, target)
        if coder.activation == "relu":
            norm = target.norm(dim=-1).mean(-1).clamp(min=1e-12)
            loss = loss + self.l1 * features.sum(-1).mean(-1) / norm
        dead = self.since_fired >= self.dead_after
        if dead.any():
            loss = loss + AUX_WEIGHT * self._aux_loss(pre, dead, error.detach())
        self.optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()  # coders of a stack share no weight: each gets its own gradient
        with torch.no_grad():  # keep the decoder rows on the unit sphere
            grad, rows = coder.W_dec.grad, coder.W_dec
            assert grad is not None  # loss.backward() filled it
            grad -= (grad * rows).sum(-1, keepdim=True) * rows
        self.optimizer.step()
        with torch.no_grad():
            rows.div_(rows.norm(dim=-1, keepdim=True).clamp(min=1e-12))
        self.since_fired += x.shape[-2]
        self.since_fired[fired] = 0
        self.steps += 1
        self.tokens += x.shape[-2]
        self.last_loss = loss.detach()

    def _aux_loss(self, pre: torch.Tensor, dead: torch.Tensor, error: torch.Tensor) -> torch.Tensor:
        """``[...]`` normalised MSE of the error predicted by the top ``aux_k`` dead features
        (0 for a coder of the stack without dead features)."""
        k = min(self.aux_k, int(dead.sum(-1).max()))
        top = pre.masked_fill(~dead.unsqueeze(-2), -torch.inf).topk(k, dim=-1)
        dense = torch.zeros_like(pre).scatter_(-1, top.indices, torch.relu(top.values))
        estimate = dense @ self.coder.W_dec
        return normalized_mse(error - estimate, error) * dead.any(-1)


def normalized_mse(error: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``[...]`` mean squared error norm of ``error`` ``[..., rows, d]`` over the variance of
    ``target`` ``[..., rows, d]`` (its mean squared distance to its mean row)."""
    variance = (target - target.mean(-2, keepdim=True)).pow(2).sum(-1).mean(-1)
    return error.pow(2).sum(-1).mean(-1) / variance.clamp(min=1e-12)


def shuffled_buffers(
    rows: Iterator[torch.Tensor], size: int, generator: torch.Generator
) -> Iterator[torch.Tensor]:
    """Shuffled blocks of ``size`` rows (the last one smaller) from a stream of row blocks
    ``[rows, ...]``."""
    pending: list[torch.Tensor] = []
    count = 0
    for block in rows:
        pending.append(block)
        count += block.shape[0]
        if count >= size:
            joined = torch.cat(pending)
            yield joined[torch.randperm(count, generator=generator)]
            pending, count = [], 0
    if count:
        joined = torch.cat(pending)
        yield joined[torch.randperm(count, generator=generator)]
