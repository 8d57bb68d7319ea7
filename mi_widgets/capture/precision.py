"""Where and in which precision a model computes: its device, its weights' dtype.

Every analysis runs on the model's device: inputs go there, tensors the analysis makes are
made there, and results come back to the CPU once, at the end. Models in float16 or
bfloat16 run as they are; the analyses whose parts must add up exactly (direct logit
attribution, attribution graphs) run them in float32 inside :func:`in_float32`. Weights that
are not floating point (quantised models) are refused by :func:`check_weights`.

>>> model_device(model), check_weights(model)
(device(type='cpu'), torch.float32)
>>> half = mw.demo_model()[0].to(torch.bfloat16)
>>> with in_float32(half):
...     check_weights(half)
torch.float32
>>> check_weights(half)
torch.bfloat16
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any, TypeVar

import torch

ModuleT = TypeVar("ModuleT", bound=torch.nn.Module)

#: Weight dtypes every analysis accepts.
SUPPORTED_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)

#: Half-precision dtypes that :func:`in_float32` computes in float32.
HALF_DTYPES = (torch.float16, torch.bfloat16)


def model_device(model: Any) -> torch.device:
    """The device of ``model``'s first parameter (CPU for a model without parameters)."""
    first = next(iter(model.parameters()), None)
    return torch.device("cpu") if first is None else first.device


def on_device(module: ModuleT, device: torch.device) -> ModuleT:
    """``module`` itself when its weights are on ``device``, else a copy moved there (the
    original stays where it is)."""
    if model_device(module) == device:
        return module
    return copy.deepcopy(module).to(device)


def check_weights(model: Any) -> torch.dtype:
    """The dtype of ``model``'s weights (of its first parameter), checked.

    Raises:
        ValueError: naming the dtype when a weight is not float32, float16,
            bfloat16 or float64 (an int8 or 4-bit quantised model), or a module is one of
            torch's quantised modules.
    """
    name = type(model).__name__
    for module in model.modules():
        if ".quantized" in type(module).__module__:
            raise ValueError(
                f"{name} has a quantised {type(module).__name__} ({_quantised_dtype(module)}): "
                f"the analyses need weights in {_expected()}; use the model before quantisation"
            )
    dtypes = {p.dtype for p in model.parameters()}
    wrong = sorted(str(d) for d in dtypes if d not in SUPPORTED_DTYPES)
    if wrong:
        raise ValueError(
            f"{name} has weights in {', '.join(wrong)}: the analyses need weights in "
            f"{_expected()}; dequantise the model or load it without quantisation"
        )
    first = next(iter(model.parameters()), None)
    return torch.float32 if first is None else first.dtype


@contextmanager
def in_float32(model: Any) -> Iterator[None]:
    """Inside the block, ``model``'s float16 and bfloat16 weights and buffers are float32;
    after it, each is cast back to its own dtype (exact: float32 holds every half-precision
    value). The weights take twice their memory meanwhile."""
    originals = {
        tensor: tensor.dtype
        for tensor in chain(model.parameters(), model.buffers())
        if tensor.dtype in HALF_DTYPES
    }
    for tensor in originals:
        tensor.data = tensor.data.float()
    try:
        yield
    finally:
        for tensor, dtype in originals.items():
            tensor.data = tensor.data.to(dtype)


def _expected() -> str:
    return ", ".join(str(d).removeprefix("torch.") for d in SUPPORTED_DTYPES)


def _quantised_dtype(module: torch.nn.Module) -> str:
    weight = getattr(module, "weight", None)
    weight = weight() if callable(weight) else weight
    return str(weight.dtype) if isinstance(weight, torch.Tensor) else "packed weights"
