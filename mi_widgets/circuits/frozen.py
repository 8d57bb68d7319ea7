"""Attention patterns and norm scales frozen at one prompt.

:class:`FrozenState` records, in one ordinary forward pass over a prompt, every attention
pattern and every norm's scale; replayed in later passes, they make each block affine in its
input: attention becomes ``pattern @ values`` with a constant pattern, and each LayerNorm or
RMSNorm ``(x - mean(x) if centred) / scale * weight + bias`` with a constant scale. The replayed
passes may run ``batch`` copies of the prompt; the recorded pattern ``[1, head, query_pos,
key_pos]`` and scales ``[1, pos]`` broadcast over them.

Hugging Face models are switched to an attention function registered with transformers'
``AttentionInterface`` (it records through the model's own eager attention, then replays the
recorded pattern); every norm module gets a forward hook. TransformerLens models are hooked at
``blocks.{i}.attn.hook_pattern`` and every ``...hook_scale``.

The recorded pattern is the model's own, so whatever shaped it is kept as it was: attention-
logit soft-capping (Gemma 2), sliding windows (zero outside the window) and query/key norms
(Gemma 3, OLMo-2; those norms only reach the pattern, so they are not frozen). Every other
norm is frozen wherever it sits: before attention and MLP, and after them (Gemma 2/3,
OLMo-2), where it stands between a head's or a feature's output and the residual stream;
Gemma's RMSNorm multiplies by ``1 + weight``
(:data:`~mi_widgets.capture.readout.UNIT_OFFSET_NORMS`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from ..capture import tlens
from ..capture.families import detect
from ..capture.readout import NORM_CLASSES, NormParameters, norm_parameters
from ..capture.sites import site_width

#: The attention implementation name under which the frozen attention is registered.
ATTENTION_NAME = "mi_widgets_frozen"
#: The frozen states in use, innermost last (the registered attention function reads it).
_ACTIVE: list[FrozenState] = []


class FrozenState:
    """Attention patterns and norm scales of one model at one prompt.

    Use :meth:`recording` around the prompt's forward pass, then :meth:`replaying` around
    passes that should see the recorded patterns and scales.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.hooked = tlens.is_hooked_transformer(model)
        #: The recorded tensors, by attention/norm module (Hugging Face) or hook name.
        self.frozen: dict[Any, torch.Tensor] = {}
        self.norms = {} if self.hooked else _norm_modules(model)
        self.replay = False
        self.length: int | None = None

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Record patterns and scales during the forward pass inside the block (the model's
        outputs stay its own)."""
        self.frozen.clear()
        with self._hooks(replay=False):
            yield

    @contextmanager
    def replaying(self, length: int | None = None) -> Iterator[None]:
        """Forward passes inside the block use the recorded patterns and scales; of only the
        first ``length`` positions of the prompt when given (a causal model's prefix)."""
        if not self.frozen:
            raise RuntimeError("nothing recorded: run the prompt inside recording() first")
        self.length = length
        try:
            with self._hooks(replay=True):
                yield
        finally:
            self.length = None

    def _prefix(self, recorded: torch.Tensor, *, pattern: bool) -> torch.Tensor:
        """A recorded pattern ``[1, head, query_pos, key_pos]`` or scale ``[1, pos, ...]`` cut
        to the replayed positions."""
        end = self.length
        if end is None:
            return recorded
        return recorded[..., :end, :end] if pattern else recorded[:, :end]

    @contextmanager
    def _hooks(self, *, replay: bool) -> Iterator[None]:
        if self.hooked:
            hooks = [(name, self._tlens_hook(replay)) for name in _tlens_names(self.model)]
            with self.model.hooks(fwd_hooks=hooks):
                yield
            return
        handles = [
            module.register_forward_hook(self._norm_hook(norm, replay))
            for module, norm in self.norms.items()
        ]
        previous = self.model.config._attn_implementation
        _ACTIVE.append(self)
        self.replay = replay
        try:
            self.model.set_attn_implementation(ATTENTION_NAME)
            yield
        finally:
            self.model.set_attn_implementation(previous)
            _ACTIVE.remove(self)
            for handle in handles:
                handle.remove()

    def _tlens_hook(self, replay: bool) -> Any:
        def hook(x: torch.Tensor, hook: Any) -> torch.Tensor | None:
            if replay:
                pattern = hook.name.endswith("hook_pattern")
                return self._prefix(self.frozen[hook.name], pattern=pattern).expand_as(x)
            self.frozen[hook.name] = x.detach()
            return None

        return hook

    def _norm_hook(self, norm: NormParameters, replay: bool) -> Any:
        def hook(module: torch.nn.Module, args: tuple, output: torch.Tensor) -> Any:
            x = args[0]
            if replay:
                return norm.frozen(x, self._prefix(self.frozen[module], pattern=False))
            self.frozen[module] = norm.scale(x.detach()).to(x.device)
            return None

        return hook

    def attention(
        self, module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor,
        value: torch.Tensor, attention_mask: torch.Tensor | None, *args: Any, **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """The attention function: the model's eager attention (recording its pattern), or
        the recorded pattern times ``value`` ``[batch, kv_head, key_pos, d_head]``."""
        if not self.replay:
            eager = importlib.import_module(type(module).__module__).eager_attention_forward
            output, pattern = eager(module, query, key, value, attention_mask, *args, **kwargs)
            self.frozen[module] = pattern.detach()
            return output, pattern
        pattern = self._prefix(self.frozen[module], pattern=True)
        groups = pattern.shape[1] // value.shape[1]  # grouped-query attention
        value = value.repeat_interleave(groups, dim=1) if groups > 1 else value
        output = torch.matmul(pattern.to(value.dtype), value).transpose(1, 2).contiguous()
        return output, pattern


def _frozen_attention(*args: Any, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The function registered as :data:`ATTENTION_NAME`."""
    if not _ACTIVE:
        raise RuntimeError(
            f"the attention implementation {ATTENTION_NAME!r} works only inside "
            "FrozenState.recording() or replaying()"
        )
    return _ACTIVE[-1].attention(*args, **kwargs)


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(ATTENTION_NAME, _frozen_attention)
    AttentionMaskInterface.register(ATTENTION_NAME, eager_mask)


def _norm_modules(model: Any) -> dict[torch.nn.Module, NormParameters]:
    """Every norm module of a Hugging Face model with its parameters, except the query/key
    norms inside attention (they only shape the pattern, which is frozen whole).

    Raises:
        ValueError: for a module whose class looks like a norm but is not a known one.
    """
    _register()
    d_model = site_width(model, "blocks.0.hook_resid_pre")
    name = type(model).__name__
    family = detect(model)
    in_attention = {
        module
        for block in family.block_list(model)
        for module in block.get_submodule(family.attn).modules()
    }
    return {
        module: norm_parameters(module, d_model, f"{name}.{path}")
        for path, module in model.named_modules()
        if (type(module).__name__ in NORM_CLASSES or "Norm" in type(module).__name__)
        and module not in in_attention
    }


def _tlens_names(model: Any) -> list[str]:
    """The hook points a TransformerLens model's patterns and scales pass through."""
    return [name for name in model.hook_dict if name.endswith(("attn.hook_pattern", "hook_scale"))]
