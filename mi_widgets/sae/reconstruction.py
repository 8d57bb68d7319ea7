"""Running sums for measuring how well a sparse coder stands in for what it predicts, over
batches of a corpus: reconstruction error, sparsity, dead features, and the model's loss clean,
spliced and ablated. Sparse autoencoders and transcoders are measured alike.

>>> sums = ReconstructionSums(n_features=3)
>>> target = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
>>> sums.add(target, prediction=target + 0.5, features=torch.tensor([[1.0, 0, 0], [0, 2, 0]]))
>>> sums.fraction_variance_explained, sums.l0, round(sums.dead_fraction, 3)
(0.5, 1.0, 0.333)
>>> recovered_fraction(clean=2.0, spliced=2.5, ablated=4.0)
0.75
"""

from __future__ import annotations

from typing import Any

import torch

from ..capture.reader import TextBatch


class ReconstructionSums:
    """Sums over the tokens seen so far, for a coder of ``n_features`` features.

    Attributes:
        n_tokens: tokens added.
    """

    def __init__(self, n_features: int) -> None:
        self.n_tokens = 0
        self._squared_error = self._squared = self._l0 = 0.0
        self._total: torch.Tensor | None = None  # float64 [d]: the targets' sum
        self._fired = torch.zeros(n_features, dtype=torch.bool)

    def add(self, target: torch.Tensor, prediction: torch.Tensor, features: torch.Tensor) -> None:
        """Count ``target`` and ``prediction`` ``[tokens, d]`` and ``features``
        ``[tokens, n_features]``."""
        self._squared_error += float((target - prediction).double().pow(2).sum())
        self._squared += float(target.double().pow(2).sum())
        total = target.double().sum(0)
        self._total = total if self._total is None else self._total + total
        self._l0 += float((features != 0).sum())
        self._fired |= (features != 0).any(0).cpu()
        self.n_tokens += target.shape[0]

    @property
    def mse(self) -> float:
        """Mean squared error per element."""
        width = 0 if self._total is None else self._total.numel()
        return self._squared_error / max(self.n_tokens * width, 1)

    @property
    def fraction_variance_explained(self) -> float:
        """``1 - sum |target - prediction|² / sum |target - mean(target)|²``."""
        total = 0.0 if self._total is None else float(self._total.pow(2).sum())
        variance = self._squared - total / max(self.n_tokens, 1)
        return 1 - self._squared_error / max(variance, 1e-12)

    @property
    def l0(self) -> float:
        """Mean number of non-zero features per token."""
        return self._l0 / max(self.n_tokens, 1)

    @property
    def dead_fraction(self) -> float:
        """Fraction of features never non-zero."""
        return float((~self._fired).float().mean())


class SplicedLosses:
    """Next-token loss sums of the clean model, with a coder spliced in and with what it
    replaces ablated, over the batches added."""

    def __init__(self) -> None:
        self._sums = {"clean": 0.0, "spliced": 0.0, "ablated": 0.0}
        self._count = 0

    def add(self, batch: TextBatch, **logits: torch.Tensor) -> None:
        """Add the logits ``[batch, pos, vocab]`` of ``clean``, ``spliced`` and ``ablated``
        runs on ``batch``."""
        for name, values in logits.items():
            loss, count = next_token_loss(values, batch)
            self._sums[name] += loss
        self._count += count

    def means(self) -> dict[str, Any]:
        """``loss_clean``, ``loss_spliced``, ``loss_zero_ablated`` in nats/token (``None``
        when no batch was added)."""
        names = {"clean": "loss_clean", "spliced": "loss_spliced", "ablated": "loss_zero_ablated"}
        return {
            field: self._sums[name] / self._count if self._count else None
            for name, field in names.items()
        }


def next_token_loss(logits: torch.Tensor, batch: TextBatch) -> tuple[float, int]:
    """Summed next-token cross-entropy over real positions with a real next token, and how
    many there are."""
    targets = batch.input_ids[:, 1:].to(logits.device)
    valid = batch.mask[:, 1:].bool().to(logits.device)
    loss = torch.nn.functional.cross_entropy(
        logits[:, :-1].float().transpose(1, 2), targets, reduction="none"
    )
    return float(loss[valid].sum()), int(valid.sum())


def recovered_fraction(
    clean: float | None, spliced: float | None, ablated: float | None
) -> float | None:
    """``(ablated - spliced) / (ablated - clean)``: 1 when splicing a coder in costs nothing,
    0 when it is as bad as ablating what it replaces; ``None`` when unknown or undefined."""
    if clean is None or spliced is None or ablated is None or ablated == clean:
        return None
    return (ablated - spliced) / (ablated - clean)
