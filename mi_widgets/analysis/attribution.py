"""Direct logit attribution: how much each head, MLP and the embeddings write, directly, in
the direction of a logit difference.

In a pre-norm transformer the final residual stream is a sum: embeddings + every head's
output (through its slice of the output projection) + attention biases + every MLP's output.
With the final norm's scale frozen at its value on this input, the logits are linear in that
sum, so the logit difference splits exactly into one part per component plus a constant (the
norm's and unembedding's biases).

Where a norm sits between the attention output projection and the residual stream (Gemma 2/3
and OLMo-2 normalise each attention and MLP output before adding it), that norm's scale is
frozen too, so each head's part is its output through the frozen norm and the parts still sum
exactly. A model that soft-caps its final logits (Gemma 2/3: ``softcap * tanh(logit /
softcap)``) is explained before the cap: the cap is not linear, so ``total`` is the
difference of the logits before it (:attr:`Attribution.softcap` says when).
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture import tlens
from ..capture.families import detect
from ..capture.hooks import capture_mode
from ..capture.precision import in_float32, model_device
from ..capture.readout import NormParameters, head_weights, norm_parameters, readout
from ..capture.sites import n_layers, reading, site_width
from ..capture.trace import Trace
from ..checks import check_token_position
from ._archive import read_archive, write_archive
from .lens import source
from .metrics import token_id


@dataclass(frozen=True, eq=False)
class Attribution:
    """Each component's direct contribution to ``logit(target) - logit(other)``.

    ``heads.sum() + mlps.sum() + attn_bias.sum() + embed + constant == total``.

    Attributes:
        heads: ``[layer, head]`` contribution of each head's output.
        mlps: ``[layer]`` contribution of each MLP's output.
        attn_bias: ``[layer]`` contribution of each attention output projection's bias.
        embed: contribution of the token (and position) embeddings.
        constant: the final norm's bias and the unembedding's bias.
        total: the logit difference itself, from the model's own logits before any final
            soft-capping (the logits the unembedding writes).
        scale: what the final norm divided the residual by at ``position`` (frozen).
        tokens: the input token strings.
        position: the position whose logits are explained.
        target, other: the two tokens (``other`` ``""`` for the target's logit alone).
        model_name: the model's class name.
        softcap: the model's final-logit soft-cap (``0.0`` when it has none); when set,
            ``total`` and its parts are the logits before the cap, and the model's own logit
            is ``softcap * tanh(logit / softcap)``.
    """

    heads: np.ndarray
    mlps: np.ndarray
    attn_bias: np.ndarray
    embed: float
    constant: float
    total: float
    scale: float
    tokens: list[str]
    position: int
    target: str
    other: str
    model_name: str
    softcap: float = 0.0

    @property
    def n_layers(self) -> int:
        return self.heads.shape[0]

    @property
    def n_heads(self) -> int:
        return self.heads.shape[1]

    @property
    def labels(self) -> list[str]:
        """Component names in :meth:`values` order: ``embed``, ``L0H0`` …, ``L0 MLP`` …,
        ``L0 attn bias`` …"""
        layers = range(self.n_layers)
        heads = [f"L{layer}H{head}" for layer in layers for head in range(self.n_heads)]
        mlps = [f"L{layer} MLP" for layer in layers]
        biases = [f"L{layer} attn bias" for layer in layers]
        return ["embed", *heads, *mlps, *biases]

    def values(self) -> np.ndarray:
        """``[component]`` every contribution, in :attr:`labels` order."""
        return np.concatenate([[self.embed], self.heads.ravel(), self.mlps, self.attn_bias]).astype(
            np.float32
        )

    def top(self, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` largest contributions by absolute value, as ``(label, value)``."""
        values = self.values()
        order = np.argsort(-np.abs(values), kind="stable")[:n]
        return [(self.labels[i], float(values[i])) for i in order]

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write to ``path`` (``.npz``)."""
        arrays = {"heads": self.heads, "mlps": self.mlps, "attn_bias": self.attn_bias}
        meta = {name: getattr(self, name) for name in _META}
        return write_archive(path, "attribution", 1, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> Attribution:
        """Read an attribution written by :meth:`save`."""
        arrays, meta = read_archive(path, "attribution", 1)
        fields: dict[str, Any] = {**arrays, **{name: meta[name] for name in _META if name in meta}}
        return cls(**fields)

    def __repr__(self) -> str:
        what = repr(self.target) + (f" - {self.other!r}" if self.other else "")
        return (
            f"Attribution({self.model_name}: {what} at position {self.position}, total "
            f"{self.total:.4g}; {self.n_layers} layers x {self.n_heads} heads)"
        )


_META = (
    "embed",
    "constant",
    "total",
    "scale",
    "tokens",
    "position",
    "target",
    "other",
    "model_name",
    "softcap",
)


def direct_logit_attribution(
    trace: Trace,
    target: str | int,
    other: str | int | None = None,
    *,
    position: int = -1,
    model: Any = None,
    tokenizer: Any = None,
) -> Attribution:
    """Split ``logit(target) - logit(other)`` at ``position`` into each component's part.

    The model runs once more on the trace's tokens to read each head's output (the trace
    does not keep per-head outputs). The final norm's scale is frozen at its value on this
    input (as in TransformerLens' ``apply_ln_to_stack``): contributions are exact for this
    input and sum to the logit difference, but a component's part is not what the logit
    would lose without it. A float16 or bfloat16 model runs in float32 for this pass
    (:func:`~mi_widgets.capture.precision.in_float32`): the parts and ``total`` are those of
    its float32 recomputation, so they add up to float32 precision.

    Args:
        trace: a :class:`~mi_widgets.Trace` of a decoder with an additive residual stream
            (GPT-2, GPT-NeoX/Pythia, Llama-style, Gemma, OLMo-2, TransformerLens); not BERT,
            whose blocks normalise after adding. Norms of attention outputs before they are
            added (Gemma 2/3, OLMo-2) have their scale frozen like the final norm's; with
            final-logit soft-capping the logits before the cap are explained.
        target, other: token strings (one token each) or ids; ``other=None`` attributes
            the target's logit alone.
        position: the position whose next-token logits are explained (negative from the end).
        model, tokenizer: by default the ones the trace came from.

    Example:
        >>> trace = mw.trace(model, tokenizer, "key = value; key = value; key =")
        >>> dla = mw.direct_logit_attribution(trace, " value", " error")
        >>> [(label, round(value, 1)) for label, value in dla.top(3)]
        [('L1H1', 3.4), ('L1 MLP', 2.3), ('L1H2', 1.8)]
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a mi_widgets.Trace, got {type(trace).__name__}")
    model, tokenizer = source(trace, model, tokenizer)
    if not tlens.is_hooked_transformer(model) and not detect(model).causal:
        raise ValueError(
            f"direct logit attribution needs a residual stream that is a sum of parts; "
            f"{type(model).__name__} normalises inside every block after adding (post-norm)"
        )
    target_id = token_id(tokenizer, target, "target")
    other_id = None if other is None else token_id(tokenizer, other, "other")
    position = check_token_position(position, trace.n_tokens, "the trace")
    head = readout(model)
    linear = head.linear()
    with in_float32(model):
        parts = _components(model, trace.input_ids, position)
        final = parts["final"]
        with torch.no_grad():  # before any soft-cap: the logit explained
            logits = head.unembed(head.norm(final[None].to(next(model.parameters()))))[0].float()
    scale = linear.scale(final)
    direction = linear.unembed[:, target_id]
    offset = linear.unembed_bias[target_id]
    if other_id is not None:
        direction = direction - linear.unembed[:, other_id]
        offset = offset - linear.unembed_bias[other_id]

    def project(x: torch.Tensor) -> torch.Tensor:
        return linear.directions(x) @ direction / scale

    total = logits[target_id] - (0.0 if other_id is None else logits[other_id])
    return Attribution(
        heads=project(parts["heads"]).numpy(),
        mlps=project(parts["mlps"]).numpy(),
        attn_bias=project(parts["attn_bias"]).numpy(),
        embed=float(project(parts["embed"])),
        constant=float(linear.bias @ direction + offset),
        total=float(total),
        scale=float(scale),
        tokens=list(trace.tokens),
        position=position,
        target=tokenizer.decode([target_id]),
        other="" if other_id is None else tokenizer.decode([other_id]),
        model_name=type(model).__name__,
        softcap=float(head.softcap or 0.0),
    )


def _components(model: Any, input_ids: torch.Tensor, position: int) -> dict[str, torch.Tensor]:
    """float32 parts of the final residual stream at ``position``: ``embed [d]``, ``heads
    [layer, head, d]``, ``attn_bias [layer, d]``, ``mlps [layer, d]`` and ``final [d]``."""
    count = n_layers(model)
    sites = ["blocks.0.hook_resid_pre", f"blocks.{count - 1}.hook_resid_post"]
    sites += [f"blocks.{layer}.attn.hook_z" for layer in range(count)]
    sites += [f"blocks.{layer}.hook_mlp_out" for layer in range(count)]
    ids = input_ids[None].to(model_device(model))
    with capture_mode(model, eager=False), reading(model, sites) as records, torch.no_grad():
        model(ids)
    at = {name: value[0, position].float().cpu() for name, value in records.items()}
    weights = [head_weights(model, layer) for layer in range(count)]
    z = torch.stack([at[f"blocks.{layer}.attn.hook_z"] for layer in range(count)])
    heads = torch.einsum("lhd,lhdm->lhm", z, torch.stack([w for w, _ in weights]))
    bias = torch.stack([b for _, b in weights])
    post_norms = _attention_post_norms(model)
    if post_norms is not None:
        heads, bias = _through_post_norms(post_norms, heads, bias)
    return {
        "embed": at["blocks.0.hook_resid_pre"],
        "heads": heads,
        "attn_bias": bias,
        "mlps": torch.stack([at[f"blocks.{layer}.hook_mlp_out"] for layer in range(count)]),
        "final": at[f"blocks.{count - 1}.hook_resid_post"],
    }


def _attention_post_norms(model: Any) -> list[NormParameters] | None:
    """Per layer the norm between the attention output projection and the residual stream,
    or ``None`` when the projection writes to the stream directly."""
    if tlens.is_hooked_transformer(model):
        return None
    family = detect(model)
    if family.attn_post_norm is None:
        return None
    d_model = site_width(model, "blocks.0.hook_resid_pre")
    path = family.attn_post_norm
    return [
        norm_parameters(block.get_submodule(path), d_model, f"blocks.{layer}.{path}")
        for layer, block in enumerate(family.block_list(model))
    ]


def _through_post_norms(
    norms: list[NormParameters], heads: torch.Tensor, bias: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Heads ``[layer, head, d_model]`` and biases ``[layer, d_model]`` through each layer's
    post-attention norm with its scale frozen at the whole output's: the parts of what joins
    the residual stream (the norm's own bias joins the layer's bias part)."""
    scales = [norm.scale(h.sum(0) + b) for norm, h, b in zip(norms, heads, bias, strict=True)]
    parts = [
        (norm.linear_part(h, scale.expand(h.shape[0])), norm.frozen(b, scale))
        for norm, h, b, scale in zip(norms, heads, bias, scales, strict=True)
    ]
    return torch.stack([h for h, _ in parts]), torch.stack([b for _, b in parts])
