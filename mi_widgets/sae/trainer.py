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

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from ..checks import positive_int

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
        device = coder.b_enc.device
        self.since_fired = torch.zeros(coder.b_enc.shape, dtype=torch.long, device=device)
        self.steps = self.tokens = 0
        self.last_loss = torch.full(coder.b_enc.shape[:-1], torch.nan, device=device)

    def step(self, x: torch.Tensor, target: torch.Tensor | None = None) -> None:
        """One optimiser step on input rows ``x`` ``[..., rows, d_in]`` predicting ``target``
        ``[..., rows, d_out]`` (``x`` itself by default, as an autoencoder does), moved to
        the coder's device."""
        coder = self.coder
        x = x.to(coder.b_enc.device)
        target = x if target is None else target.to(x.device)
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


def check_settings(
    function: str,
    corpus: Iterable[str],
    activation: str,
    *,
    epochs: int,
    batch_size: int,
    buffer_size: int,
    aux_k: int,
) -> None:
    """Raise a ValueError naming the first training setting of ``function`` that cannot work."""
    if activation not in ("topk", "relu"):
        raise ValueError(f"activation = {activation!r}: {function} trains 'topk' or 'relu'")
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("aux_k", aux_k)):
        positive_int(value, name)
    if buffer_size < batch_size:
        raise ValueError(f"buffer_size = {buffer_size} must be at least batch_size = {batch_size}")
    if epochs > 1 and iter(corpus) is corpus:
        raise ValueError(
            "epochs > 1 needs a corpus that can be read again (a list), not an iterator"
        )


def run_epochs(
    rows: Callable[[int], Iterator[torch.Tensor]],
    step: Callable[[torch.Tensor], None],
    *,
    epochs: int,
    batch_size: int,
    buffer_size: int,
    seed: int,
) -> None:
    """Call ``step`` on batches of ``batch_size`` rows of ``rows(epoch)``, shuffled in buffers
    of ``buffer_size`` rows, for every epoch; a smaller last batch of a buffer is trained on in
    the last epoch only.

    Raises:
        ValueError: when the rows gave no batch at all.
    """
    shuffle = torch.Generator().manual_seed(seed)
    steps = 0
    for epoch in range(epochs):
        for buffer in shuffled_buffers(rows(epoch), buffer_size, shuffle):
            for batch in buffer.split(batch_size):
                if batch.shape[0] == batch_size or epoch == epochs - 1:
                    step(batch)
                    steps += 1
    if steps == 0:
        raise ValueError("corpus gave no tokens to train on")
