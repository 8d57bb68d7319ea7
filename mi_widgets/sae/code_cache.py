"""The non-zero features of the first batches of a pass, kept within a memory budget so that
a second pass over the same texts need not run the model on them again."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from ..capture.reader import TextBatch


class CodeCache:
    """Kept batches and their non-zero features, as long as the budget (bytes) allows."""

    def __init__(self, budget: int, n_features: int) -> None:
        self.budget, self.n_features, self.used, self.n_docs = budget, n_features, 0, 0
        self.entries: list[tuple[TextBatch, torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self.full = False

    def keep(self, batch: TextBatch, codes: torch.Tensor, n_docs: int) -> None:
        """Keep ``codes`` ``[tokens, feature]`` of ``batch`` unless the budget is spent;
        ``n_docs``: the texts read so far (the cache covers them)."""
        if self.full:
            return
        rows, columns = codes.nonzero(as_tuple=True)
        size = rows.numel() * 12 + batch.input_ids.numel() * 16
        if self.used + size > self.budget:
            self.full = True
            return
        self.entries.append((batch, rows.int(), columns.int(), codes[rows, columns]))
        self.used += size
        self.n_docs = n_docs

    def batches(self) -> Iterator[tuple[TextBatch, torch.Tensor]]:
        """The kept batches and their features ``[tokens, feature]``, rebuilt."""
        for batch, rows, columns, values in self.entries:
            codes = torch.zeros(int(batch.mask.sum()), self.n_features)
            codes[rows.long(), columns.long()] = values
            yield batch, codes
