"""The model's mode during a capture: :func:`capture_mode` checks the model's weights
(:func:`~mi_widgets.capture.precision.check_weights`), puts it in eval mode (dropout off) and,
when attention is wanted, eager attention for the pass, and restores both afterwards. The
hooks that read activations are in :mod:`mi_widgets.capture.sites`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from .precision import check_weights


@contextmanager
def capture_mode(model: torch.nn.Module, *, eager: bool) -> Iterator[None]:
    """Eval mode (and eager attention if ``eager``) inside the block; restored after.

    Raises:
        ValueError: for weights no analysis can use (quantised), naming their dtype.
    """
    check_weights(model)
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
