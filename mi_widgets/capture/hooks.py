"""Forward hooks that record block inputs, outputs and MLP activations for one pass.

Hooks live only inside :func:`recording` and are removed on the way out, also when the
forward pass raises. :func:`capture_mode` puts the model in eval mode (dropout off) and,
when attention is wanted, eager attention for the pass, and restores both afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import torch

from .families import Family

if TYPE_CHECKING:
    from transformers import PreTrainedModel

#: Recorded tensors by kind (``resid_pre``, ``resid_post``, ``mlp_post``), then by layer,
#: each ``[batch, pos, d]`` on the CPU.
Records = dict[str, dict[int, torch.Tensor]]


def _keep(tensor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A CPU copy in ``dtype`` (a copy even when nothing changes: the pass may reuse memory)."""
    return tensor.detach().to(device="cpu", dtype=dtype, copy=True)


def _first(value: Any) -> torch.Tensor:
    """Blocks return a Tensor in transformers 5 and a tuple ``(hidden, ...)`` before."""
    return value[0] if isinstance(value, (tuple, list)) else value


def _save_input(
    store: dict[int, torch.Tensor],
    layer: int,
    dtype: torch.dtype,
    module: torch.nn.Module,
    args: tuple,
    kwargs: dict,
) -> None:
    store[layer] = _keep(args[0] if args else kwargs["hidden_states"], dtype)


def _save_output(
    store: dict[int, torch.Tensor],
    layer: int,
    dtype: torch.dtype,
    module: torch.nn.Module,
    args: tuple,
    output: Any,
) -> None:
    store[layer] = _keep(_first(output), dtype)


def _hook(
    module: torch.nn.Module,
    store: dict[int, torch.Tensor],
    layer: int,
    dtype: torch.dtype,
    *,
    on_input: bool,
) -> torch.utils.hooks.RemovableHandle:
    """Save ``module``'s first input (a pre-hook) or its output into ``store[layer]``."""
    if on_input:
        return module.register_forward_pre_hook(
            partial(_save_input, store, layer, dtype), with_kwargs=True
        )
    return module.register_forward_hook(partial(_save_output, store, layer, dtype))


@contextmanager
def recording(
    model: PreTrainedModel,
    family: Family,
    layers: Sequence[int],
    *,
    resid: bool,
    mlp: bool,
    dtype: torch.dtype,
) -> Iterator[Records]:
    """Record ``resid_pre``/``resid_post`` (block input/output) and ``mlp_post`` of ``layers``.

    Yields a dict filled during the forward pass run inside the block; each tensor is
    ``[batch, pos, d_model]`` (resid) or ``[batch, pos, d_mlp]`` (mlp).
    """
    records: Records = {"resid_pre": {}, "resid_post": {}, "mlp_post": {}}
    blocks = family.block_list(model)
    handles = []
    try:
        for layer in layers:
            block = blocks[layer]
            if resid:
                handles.append(_hook(block, records["resid_pre"], layer, dtype, on_input=True))
                handles.append(_hook(block, records["resid_post"], layer, dtype, on_input=False))
            if mlp:
                site = block.get_submodule(family.mlp)
                handles.append(
                    _hook(site, records["mlp_post"], layer, dtype, on_input=family.mlp_is_input)
                )
        yield records
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def capture_mode(model: torch.nn.Module, *, eager: bool) -> Iterator[None]:
    """Eval mode (and eager attention if ``eager``) inside the block; restored after."""
    training = {module: module.training for module in model.modules()}
    model.eval()
    try:
        if eager and hasattr(model, "set_attn_implementation"):
            with eager_attention(model):
                yield
        else:
            yield
    finally:
        for module, mode in training.items():
            module.training = mode


@contextmanager
def eager_attention(model: Any) -> Iterator[None]:
    """Switch ``model`` (a transformers ``PreTrainedModel``) to eager attention inside the
    block; restore its setting after.

    transformers 5 defaults to ``sdpa``, which returns no attention probabilities.
    """
    previous = model.config._attn_implementation
    if previous == "eager":
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(previous)
