"""Pad texts into one batch and split the batch's captures back into one Trace per text.

Texts are right-padded: each text keeps the positions (and position ids) it has when run
alone, and padding comes after its last real token where a causal mask already hides it;
the attention mask hides it from bidirectional models too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .options import Options
from .predictions import next_token_loss, top_k
from .trace import Trace


@dataclass
class Batch:
    """What one padded forward pass recorded; ``None`` for kinds not captured.

    Attributes:
        input_ids: ``[batch, pos]`` int64, right-padded.
        attention_mask: ``[batch, pos]`` 1 on real tokens, 0 on padding.
        attention: ``[layer, batch, head, query_pos, key_pos]``.
        resid_pre, resid_post: ``[layer, batch, pos, d_model]``.
        mlp_post: ``[layer, batch, pos, d_mlp]``.
        logits: ``[batch, pos, d_vocab]`` in the model's precision.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    attention: torch.Tensor | None = None
    resid_pre: torch.Tensor | None = None
    resid_post: torch.Tensor | None = None
    mlp_post: torch.Tensor | None = None
    logits: torch.Tensor | None = None


def pad_right(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(input_ids, attention_mask)``, both ``[batch, pos]``, padded on the right."""
    tensors = [torch.tensor(ids, dtype=torch.long) for ids in sequences]
    input_ids = torch.nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=pad_id)
    lengths = torch.tensor([len(ids) for ids in sequences])
    attention_mask = (torch.arange(input_ids.shape[1])[None] < lengths[:, None]).long()
    return input_ids, attention_mask


def pad_id(tokenizer) -> int:
    """An id to pad with (masked, so any valid id works): pad, else eos, else 0."""
    for name in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, name, None)
        if isinstance(value, int):
            return value
    return 0


def split(
    batch: Batch,
    *,
    tokenizer,
    options: Options,
    causal: bool,
    model_name: str,
    family: str,
) -> list[Trace]:
    """One :class:`Trace` per text, each cut to its own real tokens (no padding)."""
    lengths = batch.attention_mask.sum(-1).tolist()
    copy = len(lengths) > 1  # a slice of a batch would keep the whole batch in memory
    traces = []
    for b, n in enumerate(lengths):
        ids = batch.input_ids[b, :n].clone()
        logits = None if batch.logits is None else batch.logits[b, :n]
        traces.append(
            Trace(
                tokens=tokenizer.batch_decode(
                    ids[:, None].tolist(), clean_up_tokenization_spaces=False
                ),
                input_ids=ids,
                attention=_cut(batch.attention, b, n, copy, square=True),
                causal=causal,
                model_name=model_name,
                family=family,
                layers=options.layers,
                resid_pre=_cut(batch.resid_pre, b, n, copy),
                resid_post=_cut(batch.resid_post, b, n, copy),
                mlp_post=_cut(batch.mlp_post, b, n, copy),
                logits=None if logits is None else logits.to("cpu", options.dtype, copy=True),
                loss=next_token_loss(logits, ids) if logits is not None and causal else None,
                top_k=(
                    top_k(logits, options.top_k, tokenizer)
                    if logits is not None and options.top_k > 0
                    else None
                ),
            )
        )
    return traces


def _cut(
    values: torch.Tensor | None, b: int, n: int, copy: bool, *, square: bool = False
) -> torch.Tensor | None:
    """Item ``b`` of a ``[layer, batch, ...]`` capture, its first ``n`` positions."""
    if values is None:
        return None
    item = values[:, b, :, :n, :n] if square else values[:, b, :n]
    return item.clone() if copy else item


def tokenize(
    tokenizer,
    texts: Sequence[str],
    *,
    batched: bool,
    model_name: str,
    context: int | None,
    options: Options,
) -> list[list[int]]:
    """Token ids of each text, checked against ``max_length`` (else the model's context).

    A longer text is a ValueError naming both lengths, or is cut to its first tokens when
    ``options.truncate``.
    """
    limit = options.max_length if options.max_length is not None else context
    source = "" if options.max_length is None else " (max_length)"
    sequences = [list(ids) for ids in tokenizer(list(texts), verbose=False)["input_ids"]]
    for i, ids in enumerate(sequences):
        name = f"texts[{i}]" if batched else "text"
        if not ids:
            raise ValueError(f"{name} {texts[i][:40]!r} produced no tokens")
        if limit is not None and len(ids) > limit and not options.truncate:
            raise ValueError(
                f"{name} is {len(ids)} tokens long but {model_name} takes at most "
                f"{limit}{source}; shorten the text or pass truncate=True to keep its "
                f"first {limit} tokens"
            )
    return sequences if limit is None else [ids[:limit] for ids in sequences]
