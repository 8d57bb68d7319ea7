"""The generic decoder path: the module paths of a causal LM that is not in the family table,
inferred from its structure.

A model qualifies when it has the common decoder layout: a ``torch.nn.ModuleList`` of blocks
under ``model.base_model``, each block with an attention submodule (named one of
:data:`ATTENTION_NAMES`, causal, with an output projection named one of
:data:`ATTENTION_OUTPUTS`) and an MLP submodule (named one of :data:`MLP_NAMES`, with a down
projection named one of :data:`MLP_OUTPUTS`), a final norm beside the blocks and an LM head
(``model.get_output_embeddings()``). The MLP activation is recorded as the input of the down
projection: the post-nonlinearity activation of both plain and gated MLPs.

>>> paths = infer_paths(model)          # the demo model (GPT-NeoX, also in the table)
>>> paths["blocks"], paths["attn_proj"], paths["mlp"], paths["final_norm"], paths["parallel"]
('layers', 'attention.dense', 'mlp.dense_4h_to_h', 'final_layer_norm', True)

Tested on StableLM (gated MLP, ``mlp.down_proj``) and StarCoder2 (GELU MLP, ``mlp.c_proj``).
Model-specific scalings outside these modules (e.g. Granite's residual and logit multipliers)
are not seen: the warning :func:`~mi_widgets.capture.families.detect` gives asks to check.
"""

from __future__ import annotations

from typing import Any

import torch

#: Names of a block's attention submodule, tried in order.
ATTENTION_NAMES = ("self_attn", "attn", "attention", "self_attention")
#: Names of an attention module's output projection (input: every head's output side by side).
ATTENTION_OUTPUTS = ("o_proj", "out_proj", "c_proj", "dense", "wo")
#: Names of a block's MLP submodule.
MLP_NAMES = ("mlp", "feed_forward", "ffn")
#: Names of an MLP's down projection (input: the post-nonlinearity activation).
MLP_OUTPUTS = ("down_proj", "c_proj", "fc_out", "fc2", "dense_4h_to_h", "w2")
#: Names of a learned positional embedding beside the token embedding.
POSITION_EMBEDDINGS = ("wpe", "embed_positions", "position_embeddings")


class NotADecoderError(ValueError):
    """The model lacks part of the common decoder layout; the message names the part."""


def infer_paths(model: Any) -> dict[str, Any]:
    """The :class:`~mi_widgets.capture.families.Family` fields (all but ``name`` and
    ``model_types``) of a causal LM with the common decoder layout.

    Raises:
        NotADecoderError: naming what was not found (and what was, up to there), to follow
            "did not find".
    """
    base = getattr(model, "base_model", None)
    config: Any = getattr(model, "config", None)
    if not isinstance(model, torch.nn.Module) or not isinstance(base, torch.nn.Module):
        raise NotADecoderError("a base_model (it is not a Hugging Face transformers model)")
    if not isinstance(getattr(config, "hidden_size", None), int):
        raise NotADecoderError("config.hidden_size (the width of the residual stream)")
    blocks_path, blocks = _blocks(base)
    found = f"blocks at {blocks_path}"
    attn = _child(blocks[0], ATTENTION_NAMES, f"an attention submodule in each block ({found})")
    mlp = _child(blocks[0], MLP_NAMES, f"an MLP submodule in each block ({found})")
    attention = blocks[0].get_submodule(attn)
    if getattr(attention, "is_causal", False) is not True:
        raise NotADecoderError(f"causal attention ({found}.{attn}.is_causal is not True)")
    d_model = int(config.hidden_size)
    attn_proj = _projection(attention, ATTENTION_OUTPUTS, d_model, f"{found}.{attn}")
    down = _projection(blocks[0].get_submodule(mlp), MLP_OUTPUTS, d_model, f"{found}.{mlp}")
    return {
        "blocks": blocks_path,
        "final_norm": _final_norm(base, blocks_path),
        "unembed": _unembed(model),
        "attn": attn,
        "attn_out": attn,
        "attn_proj": f"{attn}.{attn_proj}",
        "mlp_in": mlp,
        "mlp_out": mlp,
        "mlp": f"{mlp}.{down}",
        "mlp_is_input": True,
        "causal": True,
        "pos_embed": _position_embedding(base),
        "parallel": bool(getattr(config, "use_parallel_residual", False)),
    }


def _blocks(base: torch.nn.Module) -> tuple[str, torch.nn.ModuleList]:
    """The first ModuleList under ``base`` whose first element has attention and an MLP."""
    for path, module in base.named_modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > 0:
            children = dict(module[0].named_children())
            if children.keys() & set(ATTENTION_NAMES) and children.keys() & set(MLP_NAMES):
                return path, module
    raise NotADecoderError(
        f"a ModuleList of blocks under {type(base).__name__}, each with an attention submodule "
        f"({' or '.join(ATTENTION_NAMES)}) and an MLP ({' or '.join(MLP_NAMES)})"
    )


def _child(module: torch.nn.Module, names: tuple[str, ...], what: str) -> str:
    children = dict(module.named_children())
    for name in names:
        if name in children:
            return name
    raise NotADecoderError(f"{what} named {' or '.join(names)}")


def _projection(module: torch.nn.Module, names: tuple[str, ...], d_model: int, where: str) -> str:
    """The name of ``module``'s linear child among ``names`` that writes ``d_model``."""
    children = dict(module.named_children())
    for name in names:
        child = children.get(name)
        if isinstance(child, torch.nn.Linear) and child.out_features == d_model:
            return name
    raise NotADecoderError(
        f"an output projection in {where}: a torch.nn.Linear to d_model = {d_model} named "
        f"{' or '.join(names)} (children: {', '.join(children)})"
    )


def _final_norm(base: torch.nn.Module, blocks_path: str) -> str:
    """The path of the norm beside the blocks (a direct child whose class names a norm)."""
    for name, child in base.named_children():
        if name != blocks_path and "norm" in type(child).__name__.lower():
            return name
    children = ", ".join(f"{n} ({type(c).__name__})" for n, c in base.named_children())
    raise NotADecoderError(f"a final norm beside the blocks in {type(base).__name__} ({children})")


def _unembed(model: torch.nn.Module) -> str:
    """The path of the LM head."""
    get_head = getattr(model, "get_output_embeddings", None)
    head = get_head() if callable(get_head) else None
    for path, module in model.named_modules():
        if head is not None and module is head:
            return path
    raise NotADecoderError(
        "an LM head (get_output_embeddings() is None: load the model with its head, e.g. "
        "AutoModelForCausalLM)"
    )


def _position_embedding(base: torch.nn.Module) -> str | None:
    for name, child in base.named_children():
        if name in POSITION_EMBEDDINGS and isinstance(child, torch.nn.Embedding):
            return name
    return None
