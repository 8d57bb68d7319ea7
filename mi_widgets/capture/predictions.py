"""Top-k next-token predictions and per-token loss from logits."""

from __future__ import annotations

import torch

from .trace import TopK


def top_k(logits: torch.Tensor, k: int, tokenizer) -> TopK:
    """The ``k`` most likely tokens at every position of ``logits`` ``[pos, d_vocab]``.

    ``k`` is capped at ``d_vocab``; probabilities are a float32 softmax over the vocabulary.
    """
    probs = logits.float().softmax(-1)
    values, ids = probs.topk(min(k, probs.shape[-1]), dim=-1)
    k = ids.shape[1]
    flat = tokenizer.batch_decode(ids.reshape(-1, 1).tolist(), clean_up_tokenization_spaces=False)
    tokens = [flat[start : start + k] for start in range(0, len(flat), k)]
    return TopK(ids=ids, probs=values, tokens=tokens)


def next_token_loss(logits: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of each next token: ``[pos]`` float32, NaN at the last position.

    ``loss[i] = -log softmax(logits[i])[input_ids[i + 1]]``.
    """
    log_probs = logits.float().log_softmax(-1)
    loss = torch.full((logits.shape[0],), float("nan"))
    targets = input_ids[1:, None].to(log_probs.device)
    loss[:-1] = -log_probs[:-1].gather(-1, targets)[:, 0].cpu()
    return loss
