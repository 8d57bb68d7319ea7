"""Capture from Hugging Face ``transformers`` models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from .trace import Trace

#: ``config.model_type`` values whose capture is implemented and tested, with their family.
SUPPORTED_MODEL_TYPES = {"gpt2": "GPT-2"}


def trace(model: torch.nn.Module, tokenizer, text: str) -> Trace:
    """Run ``model`` once on ``text`` and record tokens and attention patterns.

    Args:
        model: a Hugging Face causal LM of a supported family (see ``SUPPORTED_MODEL_TYPES``).
        tokenizer: its tokenizer (a ``PreTrainedTokenizer`` or ``PreTrainedTokenizerFast``).
        text: the prompt; must be non-empty and fit the model's context.

    Returns:
        A :class:`Trace` with ``attention`` of shape ``[layer, head, query_pos, key_pos]``.

    The model runs with eager attention for the capture (the default ``sdpa`` kernel returns
    no attention probabilities) and gets its previous setting back afterwards.

    Example:
        >>> trace = mw.trace(model, tokenizer, "When Mary and John went to the store")
        >>> trace.attention.shape    # doctest: +SKIP
        torch.Size([2, 4, 9, 9])
    """
    _check_supported(model)
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError("text is empty: give at least one character to trace")
    encoded = tokenizer(text, return_tensors="pt")
    input_ids = encoded["input_ids"]
    n_tokens = input_ids.shape[1]
    if n_tokens == 0:
        raise ValueError(f"text {text[:40]!r} produced no tokens")
    context = _context_length(model)
    if context is not None and n_tokens > context:
        raise ValueError(
            f"text is {n_tokens} tokens long but {type(model).__name__} takes at most "
            f"{context}; shorten the text"
        )
    device = next(model.parameters()).device
    with _eager_attention(model), torch.no_grad():
        output = model(
            input_ids=input_ids.to(device),
            attention_mask=encoded["attention_mask"].to(device),
            output_attentions=True,
        )
    attention = torch.stack([layer[0] for layer in output.attentions]).float().cpu()
    ids = input_ids[0].cpu()
    tokens = tokenizer.batch_decode(ids[:, None].tolist(), clean_up_tokenization_spaces=False)
    return Trace(
        tokens=tokens,
        input_ids=ids,
        attention=attention,
        causal=True,
        model_name=type(model).__name__,
    )


def _check_supported(model: torch.nn.Module) -> None:
    config = getattr(model, "config", None)
    model_type = getattr(config, "model_type", None)
    if model_type not in SUPPORTED_MODEL_TYPES:
        families = ", ".join(
            f"{family} (model_type {key!r})" for key, family in SUPPORTED_MODEL_TYPES.items()
        )
        raise ValueError(
            f"cannot trace {type(model).__name__} (model_type {model_type!r}): "
            f"supported families are {families}"
        )


def _context_length(model: torch.nn.Module) -> int | None:
    config = model.config
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


@contextmanager
def _eager_attention(model: torch.nn.Module) -> Iterator[None]:
    """Switch ``model`` to eager attention inside the block; restore its setting after."""
    previous = model.config._attn_implementation
    if previous == "eager":
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(previous)
