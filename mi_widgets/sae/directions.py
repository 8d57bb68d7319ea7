"""What a sparse coder's decoder directions say without any corpus: the tokens whose logits
each feature raises or lowers, and the features with the most similar directions."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import torch

from ..capture.readout import readout
from ..capture.sites import parse_site
from .sparse import SparseCoder


def logit_effects(
    model: Any, sae: SparseCoder, hook: str, n: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(top ids, values, bottom ids, values)`` ``[feature, n]`` of the decoder rows written
    at site ``hook`` (``[feature, 0]`` when unavailable: sites inside the MLP, models without
    a linear unembedding)."""
    linear = None
    if parse_site(model, hook)[1] != "mlp.hook_post":
        with suppress(ValueError):  # no LM head, or not a linear one (BERT)
            linear = readout(model).linear()
    if linear is None:
        ids = torch.full((sae.n_features, 0), -1, dtype=torch.long)
        return ids, torch.zeros(sae.n_features, 0), ids, torch.zeros(sae.n_features, 0)
    directions = linear.directions(sae.W_dec.detach().float().cpu())
    unembed = linear.unembed
    n = min(n, unembed.shape[1])
    parts = [chunk @ unembed for chunk in directions.split(1024)]  # [chunk, vocab] each
    top = [part.topk(n, dim=1) for part in parts]
    bottom = [part.topk(n, dim=1, largest=False) for part in parts]
    return (
        torch.cat([t.indices for t in top]),
        torch.cat([t.values for t in top]),
        torch.cat([b.indices for b in bottom]),
        torch.cat([b.values for b in bottom]),
    )


def nearest(sae: SparseCoder, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features [feature, n], cosine [feature, n])`` of the closest decoder directions."""
    directions = torch.nn.functional.normalize(sae.W_dec.detach().float(), dim=1)
    n = min(n, sae.n_features - 1)
    out_index, out_cosine = [], []
    for start, chunk in zip(
        range(0, sae.n_features, 1024), directions.split(1024), strict=True
    ):  # [chunk, feature] similarities at a time: memory bounded
        cosine = chunk @ directions.T
        cosine[torch.arange(chunk.shape[0]), torch.arange(start, start + chunk.shape[0])] = -2
        best = cosine.topk(n, dim=1)
        out_index.append(best.indices)
        out_cosine.append(best.values)
    return torch.cat(out_index), torch.cat(out_cosine)
