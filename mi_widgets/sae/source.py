"""The live source of feature statistics: computes a sparse coder's features of new text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.reader import CorpusReader
from .sparse import SparseCoder


@dataclass(frozen=True)
class FeatureSource:
    """The model, tokenizer, sparse coder (autoencoder or transcoder) and the hook it reads
    that made some :class:`~mi_widgets.sae.FeatureStats`: computes features of new text for a
    live dashboard."""

    model: Any
    tokenizer: Any
    sae: SparseCoder
    hook: str

    @torch.no_grad()
    def activations(self, text: str) -> tuple[list[str], np.ndarray]:
        """``(tokens, acts)``: the token strings of ``text`` and float32 ``[pos, n_features]``
        feature activations at each (the text is cut to the model's context)."""
        reader = CorpusReader(self.model, self.tokenizer)
        for batch in reader.stream([text], 1, truncate=True, progress=None):
            x = reader.read(batch.input_ids, batch.mask, [self.hook])[0, 0]
            tokens = reader.decode(batch.input_ids[0].numpy())
            return tokens, self.sae.encode(x).numpy().astype(np.float32)
        return [], np.zeros((0, self.sae.n_features), dtype=np.float32)  # no tokens
