"""What one forward pass leaves behind for the views: tokens, attention, activations, logits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from .sites import BLOCK_SITE, REGISTRY, SITE_KINDS, SiteKind

#: The kinds of site a trace records layer by layer, by the field that holds each (see
#: :mod:`mi_widgets.capture.sites`).
RECORDED = {site.trace_field: site for site in REGISTRY if site.trace_field is not None}


@dataclass(frozen=True, eq=False)
class TopK:
    """The ``k`` most likely next tokens at every position.

    Attributes:
        ids: ``[pos, k]`` int64 token ids, most likely first.
        probs: ``[pos, k]`` float32 probabilities (softmax over the whole vocabulary).
        tokens: ``pos`` lists of ``k`` strings, each id decoded as the tokenizer decodes it.
    """

    ids: torch.Tensor
    probs: torch.Tensor
    tokens: list[list[str]]

    @property
    def k(self) -> int:
        return self.ids.shape[1]

    def at(self, pos: int) -> list[tuple[str, float]]:
        """``(token, probability)`` pairs predicted at position ``pos``, most likely first."""
        return list(zip(self.tokens[pos], self.probs[pos].tolist(), strict=True))


@dataclass(frozen=True, eq=False)
class Trace:
    """A captured forward pass over one text.

    Every tensor is on the CPU, float32 unless the capture asked for another ``dtype``. Kinds
    that were not captured are ``None``. Layer axes cover only the captured ``layers``: index
    ``j`` along them is model layer ``layers[j]``.

    Attributes:
        tokens: the ``N`` token strings, each exactly as the tokenizer decodes that token
            (padding never appears).
        input_ids: ``[pos]`` int64 token ids.
        attention: ``[layer, head, query_pos, key_pos]`` attention probabilities; row ``q`` of
            a head is what query position ``q`` attends to.
        causal: whether the model masks future positions (decoder models).
        model_name: the model's class name, for titles.
        family: the architecture family the capture used (``"GPT-2"``, ``"BERT"``, ...).
        layers: the model layers captured, ascending.
        resid_pre: ``[layer, pos, d_model]`` residual stream entering each block.
        resid_post: ``[layer, pos, d_model]`` residual stream leaving each block (for
            decoders the last one is before the final norm).
        mlp_post: ``[layer, pos, d_mlp]`` MLP neuron activations after the nonlinearity (for
            gated MLPs the input of the down projection).
        logits: ``[pos, d_vocab]`` output logits; ``None`` for a model without an LM head.
        loss: ``[pos]`` next-token cross-entropy of causal LMs: ``loss[i]`` is the loss of
            predicting token ``i + 1`` from position ``i``; the last position has no next
            token and holds NaN. ``None`` for encoders.
        top_k: the most likely predictions at every position (see :class:`TopK`).
        model, tokenizer: what the trace came from (kept by reference, not copied), for
            analyses that need the weights or the vocabulary (logit lens, attribution);
            ``None`` when unknown.
    """

    tokens: list[str]
    input_ids: torch.Tensor
    attention: torch.Tensor | None
    causal: bool
    model_name: str
    family: str = ""
    layers: tuple[int, ...] = ()
    resid_pre: torch.Tensor | None = None
    resid_post: torch.Tensor | None = None
    mlp_post: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    loss: torch.Tensor | None = None
    top_k: TopK | None = None
    model: Any = field(default=None, repr=False)
    tokenizer: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.layers:
            stacked = next(
                (
                    t
                    for t in (self.attention, self.resid_pre, self.resid_post, self.mlp_post)
                    if t is not None
                ),
                None,
            )
            n_layers = 0 if stacked is None else stacked.shape[0]
            object.__setattr__(self, "layers", tuple(range(n_layers)))

    @property
    def n_layers(self) -> int:
        """Number of captured layers (``len(layers)``)."""
        return len(self.layers)

    @property
    def n_heads(self) -> int | None:
        """Heads per layer, or ``None`` when attention was not captured."""
        return None if self.attention is None else self.attention.shape[1]

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    @property
    def names(self) -> list[str]:
        """The site names this trace holds, e.g. ``blocks.0.hook_resid_pre``."""
        return [
            f"blocks.{layer}.{site.kind}"
            for field, site in RECORDED.items()
            if getattr(self, field) is not None
            for layer in self.layers
        ]

    def __getitem__(self, name: str) -> torch.Tensor:
        """One layer's activations by TransformerLens-style name.

        ``trace["blocks.1.attn.hook_pattern"]`` is ``[head, query_pos, key_pos]``;
        ``hook_resid_pre`` / ``hook_resid_post`` are ``[pos, d_model]``; ``mlp.hook_post`` is
        ``[pos, d_mlp]``.

        Raises:
            KeyError: for a name that is no site (listing the valid names), a site a trace
                does not record (saying how to read it), or one this trace did not capture
                (saying how to capture it).
        """
        match = BLOCK_SITE.fullmatch(name) if isinstance(name, str) else None
        site = SITE_KINDS.get(match.group(2) if match else name) if isinstance(name, str) else None
        if site is None or (match is None) == site.per_layer:
            raise KeyError(
                f"{name!r} is not a site name; valid names are "
                f"{', '.join(self.names) or 'none (nothing per layer was captured)'} in this "
                f"trace, and {', '.join(s.kind for s in REGISTRY)} in general "
                "(see mi_widgets.capture.sites)"
            )
        layer = int(match.group(1)) if match else None
        if site.trace_field is None:
            raise KeyError(
                f"{name!r} is a valid site but a Trace does not record it; read it during a "
                f"forward pass with mi_widgets.capture.sites.reading(model, [{name!r}])"
            )
        if getattr(self, site.trace_field) is None or layer not in self.layers:
            raise KeyError(_not_captured(name, site, layer, self))
        return getattr(self, site.trace_field)[self.layers.index(layer)]

    def __repr__(self) -> str:
        kinds = [
            kind
            for kind, value in (
                ("attention", self.attention),
                ("resid", self.resid_post),
                ("mlp", self.mlp_post),
                ("logits", self.logits),
            )
            if value is not None
        ]
        heads = "" if self.n_heads is None else f" x {self.n_heads} heads"
        return (
            f"Trace({self.model_name}: {self.n_tokens} tokens, {self.n_layers} layers"
            f"{heads}, causal={self.causal}, kinds={'+'.join(kinds) or 'none'})"
        )


def _not_captured(name: str, site: SiteKind, layer: int | None, trace: Trace) -> str:
    """Why ``trace`` has no ``name`` and how to capture it."""
    captured = ", ".join(trace.names) or "none (nothing per layer was captured)"
    return (
        f"{name!r} was not captured in this trace (valid names are {captured}): trace with "
        f"kinds including {site.trace_kind!r} and layers including {layer}"
    )
