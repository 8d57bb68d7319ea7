"""How a model turns its residual stream into logits, and the weights linear attribution needs.

:func:`readout` finds a model's final norm and unembedding (Hugging Face families and
TransformerLens); :meth:`Readout.linear` gives them as matrices, with the final norm's scale
frozen so that logits become a linear function of the residual stream — the basis of direct
logit attribution and of feature logit effects. :func:`head_weights` gives each head's slice
of an attention output projection.
"""

from __future__ import annotations

from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import torch

from . import tlens
from .families import detect
from .sites import head_shape


@dataclass(frozen=True)
class Readout:
    """A model's final norm (identity when it has none), its unembedding module and its
    final-logit soft-cap (Gemma 2/3: ``logits = softcap * tanh(unembedded / softcap)``;
    ``None`` when the model does not cap)."""

    norm: torch.nn.Module
    unembed: torch.nn.Module
    model_name: str
    softcap: float | None = None

    def logits(self, resid: torch.Tensor) -> torch.Tensor:
        """``[..., d_vocab]`` the model's logits of residual-stream vectors ``[..., d_model]``
        (soft-capped when the model caps)."""
        with torch.no_grad():
            return self.cap(self.unembed(self.norm(resid)))

    def cap(self, logits: torch.Tensor) -> torch.Tensor:
        """The model's final-logit soft-capping of unembedded ``logits`` (unchanged when the
        model has none)."""
        if self.softcap is None:
            return logits
        return torch.tanh(logits / self.softcap) * self.softcap

    def linear(self) -> LinearReadout:
        """The norm and unembedding as matrices.

        Raises:
            ValueError: when the unembedding is not one linear map (BERT's prediction head
                has a dense layer, an activation and a norm of its own).
        """
        tlens_matrix = _parameter(self.unembed, "W_U")
        if tlens_matrix is not None:  # TransformerLens
            matrix, offset = tlens_matrix, _parameter(self.unembed, "b_U")
        elif isinstance(self.unembed, torch.nn.Linear):
            matrix, offset = self.unembed.weight.T, self.unembed.bias
        else:
            raise ValueError(
                f"the unembedding of {self.model_name} ({type(self.unembed).__name__}) is not "
                "one linear map, so logits are not a sum of per-component parts"
            )
        norm = norm_parameters(self.norm, matrix.shape[0], f"the final norm of {self.model_name}")
        return LinearReadout(
            unembed=matrix.detach().float().cpu(),
            unembed_bias=_or_zeros(offset, matrix.shape[1]),
            **vars(norm),
        )


#: Norm classes whose output is ``(x - mean(x) if centred) / scale(x) * weight + bias``, by
#: class name, with whether they centre: torch's and TransformerLens' LayerNorm, the RMSNorms
#: of the supported Llama-style families, OLMo-2 and Gemma, and TransformerLens' (``...Pre``: no
#: weight). Gemma's RMSNorms (:data:`UNIT_OFFSET_NORMS`) multiply by ``1 + weight``. Other
#: classes are refused rather than misread.
NORM_CLASSES = {
    "LayerNorm": True,
    "LayerNormPre": True,
    "LlamaRMSNorm": False,
    "MistralRMSNorm": False,
    "Qwen2RMSNorm": False,
    "RMSNorm": False,
    "RMSNormPre": False,
    "Olmo2RMSNorm": False,
    "GemmaRMSNorm": False,
    "Gemma2RMSNorm": False,
    "Gemma3RMSNorm": False,
}
#: The norm classes whose gain is ``1 + weight`` (Gemma's RMSNorms store the offset from 1).
UNIT_OFFSET_NORMS = frozenset({"GemmaRMSNorm", "Gemma2RMSNorm", "Gemma3RMSNorm"})


@dataclass(frozen=True)
class NormParameters:
    """A LayerNorm or RMSNorm as ``(x - mean(x) if centred) / scale(x) * weight + bias``,
    ``scale(x) = sqrt(mean((x - mean(x) if centred)^2) + eps)``; freezing the scale makes it
    affine in ``x``.

    Attributes:
        weight, bias: ``[d_model]`` the norm's gain and bias (ones and zeros without).
        centred: the norm subtracts the mean first (LayerNorm; not RMSNorm).
        normalises: there is a norm at all (otherwise the scale is 1).
        eps: the norm's epsilon.
    """

    weight: torch.Tensor
    bias: torch.Tensor
    centred: bool
    normalises: bool
    eps: float

    def scale(self, resid: torch.Tensor) -> torch.Tensor:
        """``[...]`` what the norm divides residual vectors ``[..., d_model]`` by."""
        if not self.normalises:
            return torch.ones(resid.shape[:-1])
        x = self.centre(resid.float())
        return (x.pow(2).mean(-1) + self.eps).sqrt()

    def centre(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` minus its mean over the last axis when the norm centres, else ``x``."""
        return x - x.mean(-1, keepdim=True) if self.centred else x

    def frozen(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """The norm of ``x`` ``[..., d_model]`` with its scale fixed to ``scale`` ``[...]``
        (broadcast): affine in ``x``, in ``x``'s dtype."""
        out = self.linear_part(x, scale) + self.bias.to(x.device)
        return out.to(x.dtype)

    def linear_part(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """float32 ``[..., d_model]`` the frozen norm of ``x`` without its bias: linear in
        ``x``, so the parts of a sum map to parts of the norm's output."""
        weight = self.weight.to(x.device)
        return self.centre(x.float()) / scale[..., None].to(x.device) * weight


def norm_parameters(norm: torch.nn.Module, d_model: int, what: str) -> NormParameters:
    """The parameters of a LayerNorm or RMSNorm module of width ``d_model``
    (``torch.nn.Identity``: no norm).

    Raises:
        ValueError: naming ``what`` and the class when it is not one of :data:`NORM_CLASSES`.
    """
    kind = type(norm).__name__
    if not isinstance(norm, torch.nn.Identity) and kind not in NORM_CLASSES:
        raise ValueError(
            f"{what} ({kind}) is not a known LayerNorm or RMSNorm (known: "
            f"{', '.join(NORM_CLASSES)}): its scale cannot be frozen"
        )
    eps = getattr(norm, "eps", 0.0) or getattr(norm, "variance_epsilon", 0.0)
    weight = _or_ones(_parameter(norm, "weight", "w"), d_model)
    return NormParameters(
        weight=1 + weight if kind in UNIT_OFFSET_NORMS else weight,
        bias=_or_zeros(_parameter(norm, "bias", "b"), d_model),
        centred=NORM_CLASSES.get(kind, False),
        normalises=not isinstance(norm, torch.nn.Identity),
        eps=float(eps),
    )


@dataclass(frozen=True)
class LinearReadout(NormParameters):
    """``logits = ((x - mean(x) if centred) / scale(x) * weight + bias) @ unembed +
    unembed_bias``: the final norm (:class:`NormParameters`) and the unembedding.

    Attributes:
        unembed: ``[d_model, d_vocab]`` unembedding matrix.
        unembed_bias: ``[d_vocab]`` its bias (zeros when there is none).
    """

    unembed: torch.Tensor
    unembed_bias: torch.Tensor

    def directions(self, parts: torch.Tensor) -> torch.Tensor:
        """``[..., d_model]`` parts as the norm (without its scale and bias) maps them."""
        return self.centre(parts.float()) * self.weight


def readout(model: Any) -> Readout:
    """The final norm and unembedding of a supported model.

    Raises:
        ValueError: for a model without an LM head (e.g. ``GPT2Model``, ``BertModel``).
    """
    name = type(model).__name__
    if tlens.is_hooked_transformer(model):
        norm = getattr(model, "ln_final", None) or torch.nn.Identity()
        cap = float(getattr(model.cfg, "output_logits_soft_cap", -1.0))
        return Readout(norm, model.unembed, name, softcap=cap if cap > 0 else None)
    family = detect(model)
    unembed = family.unembed_module(model)
    if unembed is None:
        raise ValueError(
            f"{name} has no LM head (no unembedding): load the model with its head, e.g. "
            "AutoModelForCausalLM or AutoModelForMaskedLM"
        )
    return Readout(
        norm=family.final_norm_module(model),
        unembed=unembed,
        model_name=name,
        softcap=getattr(model.config, "final_logit_softcapping", None),
    )


def head_weights(model: Any, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W_O [head, d_head, d_model], b_O [d_model])`` of the attention output projection of
    ``layer`` (float32, CPU; ``b_O`` zeros when the projection has no bias)."""
    n_heads, d_head = head_shape(model)
    if tlens.is_hooked_transformer(model):
        return model.W_O[layer].detach().float().cpu(), model.b_O[layer].detach().float().cpu()
    family = detect(model)
    projection = family.block_list(model)[layer].get_submodule(family.attn_proj)
    weight = projection.get_parameter("weight").detach().float().cpu()
    if type(projection).__name__ != "Conv1D":  # nn.Linear stores [out, in]
        weight = weight.T
    d_model = weight.shape[1]
    bias = _or_zeros(_parameter(projection, "bias"), d_model)
    return weight.reshape(n_heads, d_head, d_model), bias


class _StopForwardError(Exception):
    """Raised at the unembedding once its input is read."""


@contextmanager
def final_residual(model: Any, position: int, *, keep_graph: bool = False):
    """Inside the block, a forward pass stops at the unembedding and leaves the normalised
    final residual at ``position`` ``[batch, d_model]`` in the yielded list (still in the
    autograd graph with ``keep_graph``); catch :class:`_StopForwardError` around the pass
    (:func:`logits_at`)."""
    found: list[torch.Tensor] = []

    def stop(module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        x = args[0] if args else next(iter(kwargs.values()))
        found.append(x[:, position] if keep_graph else x[:, position].detach())
        raise _StopForwardError

    handle = readout(model).unembed.register_forward_pre_hook(stop, with_kwargs=True)
    try:
        yield found
    finally:
        handle.remove()


def logits_at(model: Any, run: Any, position: int) -> torch.Tensor:
    """``[batch, d_vocab]`` float32 logits at ``position`` of the pass ``run()`` makes (the
    model's own, soft-capped when it caps); the unembedding is applied to that position only."""
    with final_residual(model, position) as found, suppress(_StopForwardError):
        run()
    if not found:
        raise RuntimeError(f"the forward pass of {type(model).__name__} never reached its head")
    head = readout(model)
    with torch.no_grad():
        return head.cap(head.unembed(found[0][:, None]))[:, 0].float()


def _parameter(module: torch.nn.Module, *names: str) -> torch.Tensor | None:
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, torch.Tensor):
            return value
    return None


def _or_zeros(value: torch.Tensor | None, size: int) -> torch.Tensor:
    return torch.zeros(size) if value is None else value.detach().float().cpu()


def _or_ones(value: torch.Tensor | None, size: int) -> torch.Tensor:
    return torch.ones(size) if value is None else value.detach().float().cpu()
