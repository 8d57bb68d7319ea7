"""Every attention head's query, key, value and output matrices, read from the model's weights.

:func:`attention_weights` returns them in TransformerLens' row-vector convention: a residual
vector ``x [d_model]`` gives the head's query ``x @ W_Q``, key ``x @ W_K`` and value
``x @ W_V`` (each ``[d_head]``), and the head writes ``v @ W_O`` back (``[d_model]``).

How each family stores them:

- GPT-2: one fused ``c_attn`` (``Conv1D``, ``[d_model, 3 * d_model]``: queries, keys, values
  of all heads side by side) and ``c_proj``.
- GPT-NeoX/Pythia: one fused ``query_key_value`` (``Linear``) whose output is, per head,
  that head's query, key and value side by side; ``dense``.
- Llama-style (Llama, Mistral, Qwen2): ``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``;
  with grouped-query attention every query head gets its key/value head's matrices.
- TransformerLens ``HookedTransformer``: ``W_Q``, ``W_K``, ``W_V``, ``W_O``.

The norm in front of the attention (LayerNorm or RMSNorm) is folded into ``W_Q``, ``W_K`` and
``W_V``: its weight ``γ`` (and, for a LayerNorm, the removal of the mean) is linear, so the
head really reads ``x @ P @ diag(γ) @ W_Q`` with ``P = I - 1 1ᵀ / d_model`` (identity for
RMSNorm). Its division by ``scale(x)`` (one number per token) and all biases are left out:
they do not change which directions a head reads or writes. Rotary position embeddings
(GPT-NeoX, Llama-style) rotate queries and keys by position and are left out too: ``W_Q``
and ``W_K`` are the matrices before the rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from . import tlens
from .families import detect
from .readout import norm_parameters
from .sites import head_shape

#: The separate query, key and value projections of Llama-style attention.
QKV_PROJECTIONS = ("q_proj", "k_proj", "v_proj")
#: Where a block keeps the norm in front of its attention (GPT-2; NeoX, Llama; TransformerLens).
_ATTENTION_NORMS = ("ln_1", "input_layernorm", "ln1")


@dataclass(frozen=True)
class AttentionWeights:
    """Every head's matrices, float32 on the CPU, norm weights folded in.

    Attributes:
        W_Q, W_K, W_V: ``[layer, head, d_model, d_head]`` what a head reads from the residual
            stream for its queries, keys and values (grouped-query key/value heads repeated
            for every query head that shares them).
        W_O: ``[layer, head, d_head, d_model]`` what a head writes to the residual stream.
    """

    W_Q: torch.Tensor
    W_K: torch.Tensor
    W_V: torch.Tensor
    W_O: torch.Tensor

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(n_layers, n_heads, d_model, d_head)``."""
        n_layers, n_heads, d_model, d_head = self.W_Q.shape
        return n_layers, n_heads, d_model, d_head


def attention_weights(model: Any) -> AttentionWeights:
    """The query, key, value and output matrices of every head of ``model``.

    Args:
        model: a Hugging Face GPT-2, GPT-NeoX/Pythia or Llama-style model (with or without
            its LM head) or a TransformerLens ``HookedTransformer``.

    Raises:
        ValueError: naming the model class for a family whose heads do not read a pre-norm
            residual stream (BERT's norms come after every sublayer) or whose attention
            stores its weights in another way.
    """
    name = type(model).__name__
    family = None if tlens.is_hooked_transformer(model) else detect(model)
    n_heads, d_head = head_shape(model)
    if family is None:
        blocks = list(model.blocks)
        fold = _fold_norms(blocks, int(model.cfg.d_model), name)
        w_q, w_k, w_v, w_o = (
            m.detach().float().cpu() for m in (model.W_Q, model.W_K, model.W_V, model.W_O)
        )
    else:
        blocks = list(family.block_list(model))
        fold = _fold_norms(blocks, int(model.config.hidden_size), name)
        read = [_read_block(block, family.attn, n_heads, d_head, name) for block in blocks]
        w_q, w_k, w_v, w_o = (torch.stack(parts) for parts in zip(*read, strict=True))
    w_q, w_k, w_v = (torch.einsum("lde,lhef->lhdf", fold, m) for m in (w_q, w_k, w_v))
    return AttentionWeights(W_Q=w_q, W_K=w_k, W_V=w_v, W_O=w_o)


def _read_block(
    block: torch.nn.Module, attn_path: str, n_heads: int, d_head: int, model_name: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(W_Q, W_K, W_V [head, d_model, d_head], W_O [head, d_head, d_model])`` of a block."""
    attn = block.get_submodule(attn_path)
    if hasattr(attn, "c_attn"):  # GPT-2: Conv1D stores [in, out]
        fused = _weight(attn, "c_attn")
        d_model = fused.shape[0]
        w_q, w_k, w_v = fused.reshape(d_model, 3, n_heads, d_head).permute(1, 2, 0, 3)
        return w_q, w_k, w_v, _weight(attn, "c_proj").reshape(n_heads, d_head, -1)
    if hasattr(attn, "query_key_value"):  # GPT-NeoX: Linear stores [out, in]
        fused = _weight(attn, "query_key_value").T
        d_model = fused.shape[0]
        w_q, w_k, w_v = fused.reshape(d_model, n_heads, 3, d_head).permute(2, 1, 0, 3)
        return w_q, w_k, w_v, _weight(attn, "dense").T.reshape(n_heads, d_head, -1)
    if all(hasattr(attn, name) for name in (*QKV_PROJECTIONS, "o_proj")):
        w_q, w_k, w_v = (_split_heads(_weight(attn, name).T, d_head) for name in QKV_PROJECTIONS)
        repeat = n_heads // w_k.shape[0]
        w_k, w_v = (m.repeat_interleave(repeat, dim=0) for m in (w_k, w_v))
        return w_q, w_k, w_v, _weight(attn, "o_proj").T.reshape(n_heads, d_head, -1)
    raise ValueError(
        f"cannot read the head weights of {model_name}: its attention "
        f"({type(attn).__name__}) has none of c_attn (GPT-2), query_key_value (GPT-NeoX) or "
        "q_proj/k_proj/v_proj/o_proj (Llama-style)"
    )


def _split_heads(weight: torch.Tensor, d_head: int) -> torch.Tensor:
    """``[d_model, head * d_head]`` -> ``[head, d_model, d_head]``."""
    return weight.reshape(weight.shape[0], -1, d_head).transpose(0, 1)


def _weight(attn: torch.nn.Module, name: str) -> torch.Tensor:
    """The weight of the projection ``name`` of ``attn``, float32 on the CPU."""
    return attn.get_submodule(name).get_parameter("weight").detach().float().cpu()


def _fold_norms(blocks: list[torch.nn.Module], d_model: int, model_name: str) -> torch.Tensor:
    """``[layer, d_model, d_model]`` ``P @ diag(γ)`` of every block's attention norm."""
    return torch.stack([_norm_matrix(block, d_model, model_name) for block in blocks])


def _norm_matrix(block: torch.nn.Module, d_model: int, model_name: str) -> torch.Tensor:
    """``[d_model, d_model]`` ``P @ diag(γ)``: the linear part of the norm before attention."""
    norm = next((getattr(block, name) for name in _ATTENTION_NORMS if hasattr(block, name)), None)
    if norm is None:
        raise ValueError(
            f"{model_name} has no norm in front of its attention (looked for "
            f"{', '.join(_ATTENTION_NORMS)} on {type(block).__name__}): composition scores "
            "need heads that read a pre-norm residual stream (GPT-2, GPT-NeoX, Llama-style, "
            "TransformerLens); post-norm models such as BERT are not supported"
        )
    what = f"the attention norm of {model_name}"
    parameters = norm_parameters(norm, d_model, what)
    matrix = parameters.centre(torch.eye(d_model)) if parameters.centred else torch.eye(d_model)
    return matrix * parameters.weight
