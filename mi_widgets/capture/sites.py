"""Hook points by TransformerLens-style name, read or replaced during a forward pass.

This is the one registry of site names: traces, ``patch``, ``steer``, SAE training and
statistics, probes and attribution all name activations this way, and the same names work
for every supported Hugging Face family and for TransformerLens models. Shapes are what an
edit sees in a forward pass over ``batch`` texts:

==================================  ==================================  ======================
name                                what                                shape
==================================  ==================================  ======================
``hook_embed``                      token embeddings (Gemma: times      batch pos d_model
                                    √d_model, as the model adds them)
``hook_pos_embed``                  learned positional embeddings       batch pos d_model
                                    (GPT-2, BERT, TransformerLens
                                    ``"standard"``; not rotary models)
``blocks.{i}.hook_resid_pre``       residual stream entering block i    batch pos d_model
``blocks.{i}.attn.hook_pattern``    attention probabilities (exactly    batch head query_pos
                                    0 outside a sliding window)         key_pos
``blocks.{i}.attn.hook_z``          each head's output, before the      batch pos head d_head
                                    output projection mixes the heads
``blocks.{i}.hook_attn_out``        attention output (after the         batch pos d_model
                                    output projection; Gemma 2/3,
                                    OLMo-2: after the norm that
                                    follows it, what joins the stream)
``blocks.{i}.ln2.hook_normalized``  the MLP's input, after its norm     batch pos d_model
                                    (what a transcoder reads; OLMo-2
                                    has no norm before the MLP: the
                                    residual stream)
``blocks.{i}.mlp.hook_post``        MLP activations after the           batch pos d_mlp
                                    non-linearity (gated MLPs: the
                                    input of the down projection)
``blocks.{i}.hook_mlp_out``         MLP output (Gemma 2/3, OLMo-2:      batch pos d_model
                                    after the norm that follows it,
                                    what joins the stream)
``blocks.{i}.hook_resid_post``      residual stream leaving block i     batch pos d_model
``ln_final.hook_normalized``        the final norm's output, what the   batch pos d_model
                                    unembedding reads (BERT normalises
                                    inside every block: the last
                                    block's output)
==================================  ==================================  ======================

A negative block index counts from the end. On Hugging Face models ``hook_pos_embed`` is
``[1, pos, d_model]`` (the model computes positions once for the batch), and
``attn.hook_pattern`` is read under eager attention but cannot be replaced (the attention
module computes its output from the pattern inside one function: replace ``attn.hook_z``);
on TransformerLens models both are its own hook points. Any other name is refused with the
list of valid ones.

>>> input_ids = tokenizer("def f(x):", return_tensors="pt").input_ids
>>> with at_site(model, "blocks.1.hook_resid_post", lambda x: x * 0):
...     logits = model(input_ids).logits                # the block's output zeroed
>>> logits.shape                                        # [batch, pos, d_vocab]
torch.Size([1, 6, 2048])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch

from .families import detect, is_hooked_transformer
from .hooks import eager_attention


@dataclass(frozen=True)
class SiteKind:
    """One kind of hook point.

    Attributes:
        kind: the name (``"hook_embed"``) or, per block, what follows ``blocks.{i}.``.
        what: what the activation is.
        shape: what an edit sees.
        width: the last dimension when the site is one vector per position (``"d_model"`` or
            ``"d_mlp"``), ``None`` for per-head sites.
        per_layer: one site per block (``blocks.{i}.kind``) or one for the model.
        trace_field: the :class:`~mi_widgets.Trace` attribute holding it layer by layer.
        trace_kind: the ``kinds=`` entry of ``trace`` that records it.
    """

    kind: str
    what: str
    shape: str
    width: str | None
    per_layer: bool = True
    trace_field: str | None = None
    trace_kind: str | None = None


_STREAM = "[batch, pos, d_model]"
#: Every kind of site, in the order a forward pass reaches them.
REGISTRY = (
    SiteKind("hook_embed", "token embeddings", _STREAM, "d_model", per_layer=False),
    SiteKind("hook_pos_embed", "learned positional embeddings", _STREAM, "d_model", False),
    SiteKind(
        "hook_resid_pre", "residual stream entering the block", _STREAM, "d_model", True,
        "resid_pre", "resid",
    ),
    SiteKind(
        "attn.hook_pattern", "attention probabilities",
        "[batch, head, query_pos, key_pos]", None, True, "attention", "attention",
    ),
    SiteKind(
        "attn.hook_z", "each head's output before the output projection",
        "[batch, pos, head, d_head]", None,
    ),
    SiteKind("hook_attn_out", "attention output", _STREAM, "d_model"),
    SiteKind("ln2.hook_normalized", "the MLP's input, after its norm", _STREAM, "d_model"),
    SiteKind(
        "mlp.hook_post", "MLP activations after the non-linearity", "[batch, pos, d_mlp]",
        "d_mlp", True, "mlp_post", "mlp",
    ),
    SiteKind("hook_mlp_out", "MLP output", _STREAM, "d_model"),
    SiteKind(
        "hook_resid_post", "residual stream leaving the block", _STREAM, "d_model", True,
        "resid_post", "resid",
    ),
    SiteKind("ln_final.hook_normalized", "the final norm's output", _STREAM, "d_model", False),
)  # fmt: skip
SITE_KINDS = {site.kind: site for site in REGISTRY}
#: Per-block kinds with one activation per position (every kind but the pattern).
ACTIVATION_KINDS = tuple(
    site.kind for site in REGISTRY if site.per_layer and site.kind != "attn.hook_pattern"
)
#: Per-block kinds of the residual stream's width, where a direction can be read or added.
STREAM_KINDS = tuple(site.kind for site in REGISTRY if site.per_layer and site.width == "d_model")
#: A per-block site name: ``blocks.{layer}.{kind}`` (the layer may be negative).
BLOCK_SITE = re.compile(r"blocks\.(-?\d+)\.(.+)")

#: ``edit(activation)``: ``None`` leaves it, a tensor replaces it.
Edit = Callable[[torch.Tensor], torch.Tensor | None]


def n_layers(model: Any) -> int:
    """The number of blocks of a supported model."""
    if is_hooked_transformer(model):
        return int(model.cfg.n_layers)
    return len(detect(model).block_list(model))


def site_names(model: Any) -> list[str]:
    """Every per-position activation site of every block of ``model``, layer by layer (the
    names :func:`valid_names` lists without the patterns and the model-level sites)."""
    return [
        f"blocks.{layer}.{kind}" for layer in range(n_layers(model)) for kind in ACTIVATION_KINDS
    ]


def valid_names(model: Any) -> list[str]:
    """Every site name ``model`` has, in the order a forward pass reaches them."""
    count = n_layers(model)
    names = [site.kind for site in REGISTRY[:2] if _missing(model, site.kind) is None]
    names += [f"blocks.{layer}.{site.kind}" for layer in range(count) for site in REGISTRY[2:-1]]
    return names + ([REGISTRY[-1].kind] if _missing(model, REGISTRY[-1].kind) is None else [])


def parse_site(model: Any, name: Any, argument: str = "hook") -> tuple[int | None, str]:
    """``(layer, kind)`` of a site name; ``layer`` is ``None`` for a model-level site and
    normalised to ``0 <= layer < n_layers`` for a block's (negative counts from the end).

    Raises:
        ValueError: naming ``argument`` and the site, and listing the valid names.
    """
    count = n_layers(model)
    model_name = type(model).__name__
    if isinstance(name, str) and name in SITE_KINDS and not SITE_KINDS[name].per_layer:
        reason = _missing(model, name)
        if reason is not None:
            raise ValueError(f"{argument} = {name!r} is not a hook point of {model_name}: {reason}")
        return None, name
    match = BLOCK_SITE.fullmatch(name) if isinstance(name, str) else None
    if match is not None:
        kind, layer = SITE_KINDS.get(match.group(2)), int(match.group(1))
        if kind is not None and kind.per_layer and -count <= layer < count:
            return layer % count, kind.kind
    global_names = ", ".join(n for n in valid_names(model) if not n.startswith("blocks."))
    kinds = ", ".join(site.kind for site in REGISTRY if site.per_layer)
    raise ValueError(
        f"{argument} = {name!r} is not a hook point of {model_name}: expected {global_names} "
        f"or 'blocks.{{layer}}.{{kind}}' with 0 <= layer < {count} and kind one of {kinds} "
        f"(e.g. 'blocks.{count - 1}.hook_resid_post')"
    )


def canonical_name(model: Any, name: Any, argument: str = "hook") -> str:
    """The site name with a non-negative block index (``blocks.-1.x`` -> ``blocks.1.x``)."""
    layer, kind = parse_site(model, name, argument)
    return kind if layer is None else f"blocks.{layer}.{kind}"


def check_stream_kind(kind: Any, argument: str = "site") -> str:
    """A per-block kind of the residual stream's width (``"hook_resid_post"``, ...), where a
    probe reads a direction and ``steer`` adds one."""
    if kind not in STREAM_KINDS:
        raise ValueError(
            f"{argument} must be one of {', '.join(map(repr, STREAM_KINDS))} (a site of the "
            f"residual stream's width, d_model), got {kind!r}"
        )
    return kind


def site_width(model: Any, name: str) -> int:
    """The last dimension of the activation at site ``name``, a vector per position (not
    ``attn.hook_z``, ``[head, d_head]`` per position: see :func:`head_shape`; not
    ``attn.hook_pattern``)."""
    _, kind = parse_site(model, name)
    if kind == "attn.hook_z":
        raise ValueError(
            f"{name} holds [head, d_head] = {list(head_shape(model))} per position, not one "
            "vector: use a site of the residual stream or the MLP here"
        )
    if kind == "attn.hook_pattern":
        raise ValueError(
            f"{name} holds attention probabilities [head, query_pos, key_pos], not one vector "
            "per position: use a site of the residual stream or the MLP here"
        )
    if is_hooked_transformer(model):
        return int(model.cfg.d_mlp if kind == "mlp.hook_post" else model.cfg.d_model)
    config = model.config
    d_model = config.hidden_size
    if kind != "mlp.hook_post":
        return int(d_model)
    width = getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None)
    return int(width or 4 * d_model)


def head_shape(model: Any) -> tuple[int, int]:
    """``(n_heads, d_head)`` of a supported model's attention."""
    if is_hooked_transformer(model):
        return int(model.cfg.n_heads), int(model.cfg.d_head)
    config = model.config
    n_heads = int(config.num_attention_heads)
    d_head = getattr(config, "head_dim", None) or config.hidden_size // n_heads
    return n_heads, int(d_head)


@contextmanager
def at_site(model: Any, name: str, edit: Edit) -> Iterator[None]:
    """Call ``edit`` on the activation at site ``name`` in every forward pass inside the
    block; where it returns a tensor, the model goes on with that tensor instead.

    The hook is removed on the way out, also when the forward pass raises. Reading
    ``attn.hook_pattern`` of a Hugging Face model switches it to eager attention inside the
    block (restored after).
    """
    layer, kind = parse_site(model, name)
    if is_hooked_transformer(model):
        hook_name = kind if layer is None else f"blocks.{layer}.{kind}"
        with model.hooks(fwd_hooks=[(hook_name, lambda x, hook: edit(x))]):
            yield
        return
    module, where = _hf_module(model, layer, kind)
    if kind == "attn.hook_z":
        edit = _per_head(edit, head_shape(model))
    with eager_attention(model) if where == "pattern" else nullcontext():
        if where == "input":
            handle = module.register_forward_pre_hook(_input_hook(edit), with_kwargs=True)
        elif where == "output":
            handle = module.register_forward_hook(_output_hook(edit))
        else:
            handle = module.register_forward_hook(_pattern_hook(edit, name, type(model).__name__))
        try:
            yield
        finally:
            handle.remove()


def _hf_module(model: Any, layer: int | None, kind: str) -> tuple[torch.nn.Module, str]:
    """The module of a Hugging Face model that holds site ``kind``, and where: its first
    ``"input"``, its ``"output"`` (the first of a tuple) or its ``"pattern"`` (the second)."""
    family = detect(model)
    base = model.base_model
    blocks = family.block_list(model)
    if kind == "hook_embed":
        return base.get_input_embeddings(), "output"
    if kind == "hook_pos_embed":
        return base.get_submodule(family.pos_embed), "output"
    if kind == "ln_final.hook_normalized":
        if family.final_norm is None:  # normalised inside the last block
            return blocks[len(blocks) - 1], "output"
        return base.get_submodule(family.final_norm), "output"
    assert layer is not None  # every kind left is one per block
    block = blocks[layer]
    return {
        "hook_resid_pre": (block, "input"),
        "attn.hook_pattern": (block.get_submodule(family.attn), "pattern"),
        "attn.hook_z": (block.get_submodule(family.attn_proj), "input"),
        "hook_attn_out": (block.get_submodule(family.attn_out), "output"),
        "ln2.hook_normalized": (block.get_submodule(family.mlp_in), "input"),
        "mlp.hook_post": (
            block.get_submodule(family.mlp),
            "input" if family.mlp_is_input else "output",
        ),
        "hook_mlp_out": (block.get_submodule(family.mlp_out), "output"),
        "hook_resid_post": (block, "output"),
    }[kind]


def _missing(model: Any, kind: str) -> str | None:
    """Why ``model`` has no model-level site ``kind``, or ``None`` when it has it."""
    if kind == "hook_pos_embed":
        if is_hooked_transformer(model):
            has = model.cfg.positional_embedding_type == "standard"
        else:
            has = detect(model).pos_embed is not None
        if not has:
            return (
                "it has no learned positional embeddings (its positions act inside attention, "
                "e.g. rotary); hook_embed is the whole input of the first block"
            )
    hooked = is_hooked_transformer(model)
    if kind == "ln_final.hook_normalized" and hooked and getattr(model, "ln_final", None) is None:
        return (
            "it has no final norm (normalization_type None): read "
            f"blocks.{n_layers(model) - 1}.hook_resid_post"
        )
    return None


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


def _first(value: Any) -> torch.Tensor:
    """Blocks return a Tensor in transformers 5 and a tuple ``(hidden, ...)`` before."""
    return value[0] if isinstance(value, (tuple, list)) else value


def _output_hook(edit: Edit) -> Callable:
    """A forward hook applying ``edit`` to the module's output (the first of a tuple)."""

    def hook(module: torch.nn.Module, args: tuple, output: Any) -> Any:
        new = edit(_first(output))
        if new is None:
            return None
        return (new, *output[1:]) if isinstance(output, (tuple, list)) else new

    return hook


def _pattern_hook(edit: Edit, name: str, model_name: str) -> Callable:
    """A forward hook passing an attention module's pattern (its second output) to ``edit``,
    which may read it only."""

    def hook(module: torch.nn.Module, args: tuple, output: Any) -> None:
        if edit(output[1]) is not None:
            raise ValueError(
                f"{name} can be read but not replaced on {model_name}: its attention computes "
                "the output from the pattern inside one function; replace "
                f"{name.replace('hook_pattern', 'hook_z')} (each head's output) instead, or "
                "use a TransformerLens HookedTransformer"
            )

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
