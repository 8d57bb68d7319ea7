"""Capture from Hugging Face ``transformers`` models of the supported families."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import torch

from .batch import Batch, pad_id, pad_right, split, tokenize
from .families import SUPPORTED_MODEL_TYPES, detect
from .hooks import capture_mode, eager_attention
from .options import Options, check_options
from .precision import model_device
from .sites import Edit, at_site
from .trace import RECORDED, Trace

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["SUPPORTED_MODEL_TYPES", "capture", "eager_attention"]


def capture(
    model: PreTrainedModel, tokenizer, texts: Sequence[str], *, batched: bool, **options
) -> list[Trace]:
    """Run ``model`` once on the right-padded ``texts``; one :class:`Trace` per text.

    ``options`` are those of :func:`mi_widgets.trace` (checked here against the model).
    """
    family = detect(model)
    if tokenizer is None:
        raise TypeError(f"tokenizer is None: {type(model).__name__} needs its tokenizer")
    name = type(model).__name__
    context = context_length(model)
    checked = check_options(
        n_layers=len(family.block_list(model)), model_name=name, context=context, **options
    )
    sequences = tokenize(
        tokenizer, texts, batched=batched, model_name=name, context=context, options=checked
    )
    input_ids, attention_mask = pad_right(sequences, pad_id(tokenizer))
    batch = _run(model, family, input_ids, attention_mask, checked)
    return split(
        batch,
        tokenizer=tokenizer,
        options=checked,
        causal=family.causal,
        model_name=name,
        family=family.name,
    )


def _run(model, family, input_ids, attention_mask, options: Options) -> Batch:
    """One forward pass with hooks; everything recorded, layers stacked first."""
    kinds, layers = options.kinds, options.layers
    device = model_device(model)
    extra = {"use_cache": False} if family.causal else {}
    with (
        capture_mode(model, eager="attention" in kinds),
        _recording(model, layers, kinds, options.dtype) as records,
        torch.no_grad(),
    ):
        output = model(
            input_ids=input_ids.to(device),
            attention_mask=attention_mask.to(device),
            output_attentions="attention" in kinds,
            **extra,
        )
    attention = None
    if "attention" in kinds:
        attention = torch.stack([output.attentions[i] for i in layers]).to("cpu", options.dtype)
    has_head = "logits" in kinds and family.unembed_module(model) is not None
    logits = _vocab_logits(output, input_ids.shape) if has_head else None
    return Batch(
        input_ids=input_ids,
        attention_mask=attention_mask,
        attention=attention,
        resid_pre=_stack(records.get("resid_pre"), layers),
        resid_post=_stack(records.get("resid_post"), layers),
        mlp_post=_stack(records.get("mlp_post"), layers),
        logits=logits,
    )


def _vocab_logits(output, shape: torch.Size) -> torch.Tensor | None:
    """``[batch, pos, d_vocab]`` LM logits of an output (``prediction_logits`` on pre-training
    heads); ``None`` when the output has none, e.g. a classification head's ``[batch, label]``.
    """
    for name in ("logits", "prediction_logits"):
        value = getattr(output, name, None)
        if isinstance(value, torch.Tensor) and value.ndim == 3 and value.shape[:2] == shape:
            return value.detach().cpu()
    return None


#: Recorded activations by :class:`~mi_widgets.Trace` field, then by layer, each
#: ``[batch, pos, d]`` on the CPU.
Records = dict[str, dict[int, torch.Tensor]]


@contextmanager
def _recording(
    model: PreTrainedModel, layers: Sequence[int], kinds: frozenset[str], dtype: torch.dtype
) -> Iterator[Records]:
    """Record the per-layer sites a trace holds (:data:`~mi_widgets.capture.trace.RECORDED`)
    whose kind is in ``kinds``, at ``layers``, during the forward pass run inside the block;
    attention comes from the model's output instead. Each tensor is copied to the CPU in
    ``dtype`` when the pass computes it."""
    records: Records = {
        field: {}
        for field, site in RECORDED.items()
        if site.trace_kind in kinds and site.trace_kind != "attention"
    }
    with ExitStack() as stack:
        for field, by_layer in records.items():
            for layer in layers:
                name = f"blocks.{layer}.{RECORDED[field].kind}"
                stack.enter_context(at_site(model, name, _keeper(by_layer, layer, dtype)))
        yield records


def _keeper(by_layer: dict[int, torch.Tensor], layer: int, dtype: torch.dtype) -> Edit:
    """An edit that keeps a CPU copy of the activation in ``dtype`` as ``by_layer[layer]``
    (a copy even when nothing changes: the pass may reuse the memory)."""

    def keep(activation: torch.Tensor) -> None:
        by_layer[layer] = activation.detach().to(device="cpu", dtype=dtype, copy=True)

    return keep


def _stack(by_layer: dict[int, torch.Tensor] | None, layers: Sequence[int]) -> torch.Tensor | None:
    """``[layer, batch, pos, d]`` from per-layer ``[batch, pos, d]``; None if nothing."""
    return torch.stack([by_layer[i] for i in layers]) if by_layer else None


def context_length(model: torch.nn.Module) -> int | None:
    """The longest input the model was built for, from its config."""
    config = model.config
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None
