"""Hook points by TransformerLens-style name, read or replaced during a forward pass.

A site is ``blocks.{layer}.{kind}``; the same names work for every supported Hugging Face
family and for TransformerLens models:

=====================  ==============================================  ===============
kind                   what                                            width
=====================  ==============================================  ===============
``hook_resid_pre``     residual stream entering the block              ``d_model``
``hook_resid_post``    residual stream leaving the block               ``d_model``
``hook_attn_out``      attention output (after the output projection)  ``d_model``
``hook_mlp_out``       MLP output                                      ``d_model``
``mlp.hook_post``      MLP activations (after the non-linearity)       ``d_mlp``
``attn.hook_z``        each head's output, before the output           ``head, d_head``
                       projection mixes the heads
=====================  ==============================================  ===============

An edit sees ``[batch, pos, width]``, or ``[batch, pos, head, d_head]`` at ``attn.hook_z``.

>>> input_ids = tokenizer("def f(x):", return_tensors="pt").input_ids
>>> with at_site(model, "blocks.1.hook_resid_post", lambda x: x * 0):
...     logits = model(input_ids).logits                # the block's output zeroed
>>> logits.shape                                        # [batch, pos, d_vocab]
torch.Size([1, 6, 2048])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import torch

from . import tlens
from .families import detect
from .hooks import _first

#: The kinds of site, and what each holds.
KINDS = {
    "hook_resid_pre": "residual stream entering the block",
    "hook_resid_post": "residual stream leaving the block",
    "hook_attn_out": "attention output",
    "hook_mlp_out": "MLP output",
    "mlp.hook_post": "MLP activations after the non-linearity",
    "attn.hook_z": "each head's output before the output projection",
}
_NAME = re.compile(r"blocks\.(-?\d+)\.(.+)")

#: ``edit(activation [batch, pos, width])``: ``None`` leaves it, a tensor replaces it.
Edit = Callable[[torch.Tensor], torch.Tensor | None]


def n_layers(model: Any) -> int:
    """The number of blocks of a supported model."""
    if tlens.is_hooked_transformer(model):
        return int(model.cfg.n_layers)
    return len(detect(model).block_list(model))


def site_names(model: Any) -> list[str]:
    """Every site name of ``model``, layer by layer."""
    return [f"blocks.{layer}.{kind}" for layer in range(n_layers(model)) for kind in KINDS]


def parse_site(model: Any, name: Any) -> tuple[int, str]:
    """``(layer, kind)`` of a site name (a negative layer counts from the end).

    Raises:
        ValueError: naming the site and listing the valid ones.
    """
    count = n_layers(model)
    match = _NAME.fullmatch(name) if isinstance(name, str) else None
    if match is not None and match.group(2) in KINDS and -count <= int(match.group(1)) < count:
        return int(match.group(1)) % count, match.group(2)
    kinds = ", ".join(KINDS)
    raise ValueError(
        f"hook = {name!r} is not a hook point of {type(model).__name__}: expected "
        f"'blocks.{{layer}}.{{kind}}' with 0 <= layer < {count} and kind one of {kinds} "
        f"(e.g. 'blocks.{count - 1}.hook_resid_post')"
    )


def site_width(model: Any, name: str) -> int:
    """The last dimension of the activation at site ``name`` (not ``attn.hook_z``, whose
    activation is ``[head, d_head]`` per position: see :func:`head_shape`)."""
    _, kind = parse_site(model, name)
    if kind == "attn.hook_z":
        raise ValueError(
            f"{name} holds [head, d_head] = {list(head_shape(model))} per position, not one "
            "vector: use a site of the residual stream or the MLP here"
        )
    if tlens.is_hooked_transformer(model):
        return int(model.cfg.d_mlp if kind == "mlp.hook_post" else model.cfg.d_model)
    config = model.config
    d_model = config.hidden_size
    if kind != "mlp.hook_post":
        return int(d_model)
    width = getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None)
    return int(width or 4 * d_model)


def head_shape(model: Any) -> tuple[int, int]:
    """``(n_heads, d_head)`` of a supported model's attention."""
    if tlens.is_hooked_transformer(model):
        return int(model.cfg.n_heads), int(model.cfg.d_head)
    config = model.config
    n_heads = int(config.num_attention_heads)
    d_head = getattr(config, "head_dim", None) or config.hidden_size // n_heads
    return n_heads, int(d_head)


@contextmanager
def at_site(model: Any, name: str, edit: Edit) -> Iterator[None]:
    """Call ``edit`` on the activation at site ``name`` in every forward pass inside the
    block; where it returns a tensor, the model goes on with that tensor instead.

    The hook is removed on the way out, also when the forward pass raises.
    """
    layer, kind = parse_site(model, name)
    if tlens.is_hooked_transformer(model):
        with model.hooks(fwd_hooks=[(f"blocks.{layer}.{kind}", lambda x, hook: edit(x))]):
            yield
        return
    family = detect(model)
    block = family.block_list(model)[layer]
    module, on_input = {
        "hook_resid_pre": (block, True),
        "hook_resid_post": (block, False),
        "hook_attn_out": (block.get_submodule(family.attn_out), False),
        "hook_mlp_out": (block.get_submodule(family.mlp_out), False),
        "mlp.hook_post": (block.get_submodule(family.mlp), family.mlp_is_input),
        "attn.hook_z": (block.get_submodule(family.attn_proj), True),
    }[kind]
    if kind == "attn.hook_z":
        edit = _per_head(edit, head_shape(model))
    if on_input:
        handle = module.register_forward_pre_hook(_input_hook(edit), with_kwargs=True)
    else:
        handle = module.register_forward_hook(_output_hook(edit))
    try:
        yield
    finally:
        handle.remove()


def _per_head(edit: Edit, shape: tuple[int, int]) -> Edit:
    """``edit`` of ``[batch, pos, head, d_head]`` applied to ``[batch, pos, head * d_head]``."""

    def split_heads(x: torch.Tensor) -> torch.Tensor | None:
        new = edit(x.reshape(*x.shape[:-1], *shape))
        return None if new is None else new.reshape(x.shape)

    return split_heads


def _input_hook(edit: Edit) -> Callable:
    """A forward pre-hook (``with_kwargs``) applying ``edit`` to the module's first input."""

    def hook(module: torch.nn.Module, args: tuple, kwargs: dict) -> tuple | None:
        if args:
            new = edit(args[0])
            return None if new is None else ((new, *args[1:]), kwargs)
        new = edit(kwargs["hidden_states"])
        return None if new is None else (args, {**kwargs, "hidden_states": new})

    return hook


def _output_hook(edit: Edit) -> Callable:
    """A forward hook applying ``edit`` to the module's output (the first of a tuple)."""

    def hook(module: torch.nn.Module, args: tuple, output: Any) -> Any:
        new = edit(_first(output))
        if new is None:
            return None
        return (new, *output[1:]) if isinstance(output, (tuple, list)) else new

    return hook


@contextmanager
def reading(model: Any, names: list[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Record the activation at each of ``names`` (detached, as computed) into the yielded
    dict during forward passes inside the block; a later pass overwrites."""
    records: dict[str, torch.Tensor] = {}
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(at_site(model, name, _recorder(records, name)))
        yield records


def _recorder(records: dict[str, torch.Tensor], name: str) -> Edit:
    def record(x: torch.Tensor) -> None:
        records[name] = x.detach().clone()  # the pass may reuse the memory

    return record
