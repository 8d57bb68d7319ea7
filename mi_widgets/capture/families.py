"""Where each Hugging Face architecture family keeps what a trace records.

One :class:`Family` per architecture family names, relative to the model, its blocks, its final
norm, its unembedding and the module whose input or output is the MLP's post-nonlinearity
activation. Both the LM-head class (``GPT2LMHeadModel``, ``LlamaForCausalLM``,
``BertForMaskedLM``) and the base model (``GPT2Model``, ``BertModel``) are found through
``model.base_model``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from transformers import PreTrainedModel

#: How a trace names TransformerLens models in errors and ``Trace.family``.
TRANSFORMER_LENS = "TransformerLens (HookedTransformer or ActivationCache)"


@dataclass(frozen=True)
class Family:
    """The module paths of one architecture family.

    Attributes:
        name: human-readable family name.
        model_types: the ``config.model_type`` values of the family.
        blocks: path from ``model.base_model`` to the list of blocks (one per layer).
        final_norm: path from ``model.base_model`` to the norm applied after the last block;
            ``None`` when there is none (BERT normalises inside every block).
        unembed: path from the model to the module mapping the final residual stream (after
            ``final_norm``) to vocabulary logits; absent on base models.
        attn: path from a block to the attention module that returns ``(output, pattern)``,
            the pattern ``[batch, head, query_pos, key_pos]`` under eager attention.
        attn_out: path from a block to the attention module whose output (the first of a
            tuple) is the attention output, before it joins the residual stream.
        attn_proj: path from a block to the attention's output projection, whose input is
            every head's output side by side ``[batch, pos, head * d_head]``.
        mlp_in: path from a block to the MLP module, whose first input is the MLP's input
            (after its norm).
        mlp_out: path from a block to the module whose output is the MLP output.
        mlp: path from a block to the module recorded as MLP activations ``[batch, pos, d_mlp]``.
        mlp_is_input: record the module's first input (a forward pre-hook) instead of its
            output: the input of ``down_proj`` in gated MLPs.
        causal: whether attention masks future positions.
        pos_embed: path from ``model.base_model`` to the learned positional embedding;
            ``None`` for rotary positions (GPT-NeoX, Llama-style).
        attn_post_norm: path from a block to the norm between the attention output
            projection and the residual stream (Gemma 2/3, OLMo-2: ``attn_out`` is that norm,
            so ``hook_attn_out`` is what joins the stream); ``None`` when the projection
            writes to the stream directly.
    """

    name: str
    model_types: tuple[str, ...]
    blocks: str
    final_norm: str | None
    unembed: str
    attn: str
    attn_out: str
    attn_proj: str
    mlp_in: str
    mlp_out: str
    mlp: str
    mlp_is_input: bool
    causal: bool
    pos_embed: str | None
    attn_post_norm: str | None = None

    def block_list(self, model: PreTrainedModel) -> torch.nn.ModuleList:
        """The blocks of ``model``, one per layer."""
        blocks = model.base_model.get_submodule(self.blocks)
        if not isinstance(blocks, torch.nn.ModuleList):
            raise TypeError(
                f"{type(model).__name__}.{self.blocks} is a {type(blocks).__name__}, "
                f"not the ModuleList of blocks a {self.name} model has"
            )
        return blocks

    def final_norm_module(self, model: PreTrainedModel) -> torch.nn.Module:
        """The final norm of ``model`` (identity for families without one)."""
        if self.final_norm is None:
            return torch.nn.Identity()
        return model.base_model.get_submodule(self.final_norm)

    def unembed_module(self, model: PreTrainedModel) -> torch.nn.Module | None:
        """The LM head ``[..., d_model] -> [..., d_vocab]``, or ``None`` on a base model."""
        try:
            return model.get_submodule(self.unembed)
        except AttributeError:
            return None


#: Llama-style blocks: pre-norms, rotary positions, a gated MLP read at ``down_proj``'s input.
_GATED = Family(
    name="Llama-style gated MLP (Llama, Mistral, Qwen2)",
    model_types=("llama", "mistral", "qwen2"),
    blocks="layers",
    final_norm="norm",
    unembed="lm_head",
    attn="self_attn",
    attn_out="self_attn",
    attn_proj="self_attn.o_proj",
    mlp_in="mlp",
    mlp_out="mlp",
    mlp="mlp.down_proj",
    mlp_is_input=True,
    causal=True,
    pos_embed=None,
)
#: Gated blocks that normalise the attention and MLP outputs before adding them to the stream.
_POST_NORM = replace(
    _GATED,
    name="Gemma 2/3 (norms before and after attention and MLP)",
    model_types=("gemma2", "gemma3_text"),
    attn_out="post_attention_layernorm",
    mlp_out="post_feedforward_layernorm",
    attn_post_norm="post_attention_layernorm",
)

FAMILIES = (
    Family(
        name="GPT-2",
        model_types=("gpt2",),
        blocks="h",
        final_norm="ln_f",
        unembed="lm_head",
        attn="attn",
        attn_out="attn",
        attn_proj="attn.c_proj",
        mlp_in="mlp",
        mlp_out="mlp",
        mlp="mlp.act",
        mlp_is_input=False,
        causal=True,
        pos_embed="wpe",
    ),
    Family(
        name="GPT-NeoX/Pythia",
        model_types=("gpt_neox",),
        blocks="layers",
        final_norm="final_layer_norm",
        unembed="lm_head",
        attn="attention",
        attn_out="attention",
        attn_proj="attention.dense",
        mlp_in="mlp",
        mlp_out="mlp",
        mlp="mlp.act",
        mlp_is_input=False,
        causal=True,
        pos_embed=None,
    ),
    _GATED,
    Family(
        name="BERT (encoder)",
        model_types=("bert",),
        blocks="encoder.layer",
        final_norm=None,
        unembed="cls.predictions",
        attn="attention.self",
        attn_out="attention.output.dense",
        attn_proj="attention.output.dense",
        mlp_in="intermediate",
        mlp_out="output.dense",
        # BertIntermediate returns intermediate_act_fn(dense(x)): its output is the activation,
        # also when hidden_act is a plain function rather than a module.
        mlp="intermediate",
        mlp_is_input=False,
        causal=False,
        pos_embed="embeddings.position_embeddings",
    ),
    replace(_GATED, name="Gemma", model_types=("gemma",)),
    _POST_NORM,
    replace(_POST_NORM, name="OLMo-2 (norms after attention and MLP)", model_types=("olmo2",)),
)

#: ``config.model_type`` values whose capture is implemented and tested, with their family.
SUPPORTED_MODEL_TYPES = {
    model_type: family.name for family in FAMILIES for model_type in family.model_types
}


def supported_families() -> str:
    """One line naming every supported family, for error messages."""
    families = [
        f"{family.name} (model_type {', '.join(map(repr, family.model_types))})"
        for family in FAMILIES
    ]
    return "; ".join([*families, TRANSFORMER_LENS])


def detect(model: object) -> Family:
    """The family of a Hugging Face model, from ``model.config.model_type``.

    Raises:
        ValueError: naming the class, its ``model_type`` and every supported family.
    """
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    for family in FAMILIES:
        if model_type in family.model_types:
            return family
    raise ValueError(
        f"cannot trace {type(model).__name__} (model_type {model_type!r}): "
        f"supported families are {supported_families()}"
    )


def _is_instance(obj: Any, name: str) -> bool:
    return any(
        cls.__name__ == name and cls.__module__.startswith("transformer_lens")
        for cls in type(obj).__mro__
    )


def is_hooked_transformer(obj: Any) -> bool:
    """Whether ``obj`` is a TransformerLens ``HookedTransformer``."""
    return _is_instance(obj, "HookedTransformer")


def is_activation_cache(obj: Any) -> bool:
    """Whether ``obj`` is a TransformerLens ``ActivationCache``."""
    return _is_instance(obj, "ActivationCache")
