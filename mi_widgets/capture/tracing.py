"""``trace``: run a model once and record what the views need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from . import huggingface, tlens
from .families import detect
from .options import check_texts
from .trace import Trace


def trace(
    model: Any,
    tokenizer: Any,
    text: str | list[str] | torch.Tensor,
    *,
    layers: int | Iterable[int] | None = None,
    kinds: str | Iterable[str] | None = None,
    dtype: torch.dtype = torch.float32,
    top_k: int = 5,
    max_length: int | None = None,
    truncate: bool = False,
) -> Trace | list[Trace]:
    """Run ``model`` once on ``text`` and record tokens, attention, activations and logits.

    Args:
        model: a Hugging Face model of a supported family (GPT-2, GPT-NeoX/Pythia, Llama /
            Mistral / Qwen2, Gemma, Gemma 2, Gemma 3 text, OLMo-2, BERT; the LM-head class or
            the base model, see ``SUPPORTED_MODEL_TYPES``), a TransformerLens
            ``HookedTransformer``, or a TransformerLens ``ActivationCache`` of one text.
            Attention of sliding-window layers (Gemma 2/3) is exactly zero outside the window.
        tokenizer: the model's tokenizer; for TransformerLens ``None`` uses ``model.tokenizer``.
            Texts are tokenized as they are (special tokens only if the tokenizer adds them).
        text: a non-empty string, or a list of them (one padded pass, one trace each). For an
            ``ActivationCache``: the text it was made from, or its token ids.
        layers: model layers to record (negative counts from the end); ``None`` for all.
        kinds: what to record, a subset of ``{"attention", "resid", "mlp", "logits"}``;
            ``None`` for everything. ``"logits"`` also gives ``loss`` and ``top_k``. Kinds a
            model has not (logits of a base model, MLPs of an attention-only TransformerLens
            model, hooks missing from a cache) are ``None``.
        dtype: storage dtype of the recorded tensors: ``torch.float32`` (default),
            ``torch.float16`` or ``torch.bfloat16``. Loss and top-k are computed in float32.
        top_k: how many top next-token predictions to keep per position (0 for none).
        max_length: the most tokens a text may have; ``None`` for the model's context.
        truncate: cut longer texts to their first ``max_length`` (or context) tokens instead
            of raising ``ValueError``. Neither applies to an ``ActivationCache``.

    Returns:
        A :class:`Trace` for a string, a list of them (in order) for a list of texts. Each
        holds only its own tokens: ``attention`` ``[layer, head, query_pos, key_pos]``,
        ``resid_pre`` / ``resid_post`` ``[layer, pos, d_model]``, ``mlp_post``
        ``[layer, pos, d_mlp]``, ``logits`` ``[pos, d_vocab]``, ``loss`` ``[pos]`` on the CPU.

    The pass runs without gradients, in eval mode (no dropout) and with eager attention
    (transformers' default ``sdpa`` returns no attention probabilities); the model's training
    flags and attention implementation are restored afterwards, and every hook is removed,
    also when the pass fails. A batch is right-padded whatever ``tokenizer.padding_side``
    says, so every text keeps the positions it has alone; padding is masked and dropped.

    Example:
        >>> trace = mw.trace(model, tokenizer, "When Mary and John went to the store")
        >>> trace.attention.shape
        torch.Size([2, 4, 15, 15])
        >>> trace["blocks.1.hook_resid_post"].shape
        torch.Size([15, 128])
        >>> traces = mw.trace(model, tokenizer, ["def f(x):", "return x"])
        >>> [one.n_tokens for one in traces]
        [6, 3]
    """
    options = {
        "layers": layers,
        "kinds": kinds,
        "dtype": dtype,
        "top_k": top_k,
        "max_length": max_length,
        "truncate": truncate,
    }
    if tlens.is_activation_cache(model):
        captured = tlens.capture_cache(model, tokenizer, text, **options)
        return _with_source(captured, getattr(model, "model", None), tokenizer)
    if not tlens.is_hooked_transformer(model):
        detect(model)
    texts, batched = check_texts(text)
    if tlens.is_hooked_transformer(model):
        traces = tlens.capture_model(model, tokenizer, texts, batched=batched, **options)
    else:
        traces = huggingface.capture(model, tokenizer, texts, batched=batched, **options)
    traces = [_with_source(one, model, tokenizer) for one in traces]
    return traces if batched else traces[0]


def _with_source(captured: Trace, model: Any, tokenizer: Any) -> Trace:
    """``captured`` remembering the model and tokenizer it came from."""
    if tokenizer is None:
        tokenizer = getattr(model, "tokenizer", None)
    object.__setattr__(captured, "model", model)
    object.__setattr__(captured, "tokenizer", tokenizer)
    return captured
