"""What sparse autoencoders and transcoders share: the activation function that makes their
features sparse, and their one-file storage.

>>> check_activation("topk", 4, n_features=16)
4
>>> pre = torch.tensor([[3.0, -1.0, 2.0, 0.5]])
>>> sparse_activation(pre, "topk", k=2, threshold=torch.zeros(4))
tensor([[3., 0., 2., 0.]])
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import torch

from ..checks import positive_int

#: The activation functions: ``"topk"`` keeps the ``k`` largest pre-activations of each token
#: (ReLU'd), ``"relu"`` is a ReLU, ``"jumprelu"`` a ReLU where the pre-activation exceeds a
#: per-feature threshold.
ACTIVATIONS = ("topk", "relu", "jumprelu")


def check_activation(activation: Any, k: Any, n_features: int) -> int | None:
    """The ``k`` to keep for ``activation`` (``None`` unless ``"topk"``).

    Raises:
        ValueError: for an unknown activation, or a ``k`` that is not in ``1..n_features``.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation = {activation!r} is not supported: expected one of {ACTIVATIONS}"
        )
    if activation != "topk":
        return None
    k = positive_int(k, "k")
    if k > n_features:
        raise ValueError(f"k = {k} is more than n_features = {n_features}")
    return k


def sparse_activation(
    pre: torch.Tensor, activation: str, k: int | None, threshold: torch.Tensor
) -> torch.Tensor:
    """Feature activations ``[..., n_features]`` of pre-activations ``[..., n_features]``."""
    if activation == "relu":
        return torch.relu(pre)
    if activation == "jumprelu":
        return torch.relu(pre) * (pre > threshold)
    assert k is not None  # set whenever activation is "topk"
    top = pre.topk(k, dim=-1)
    return torch.zeros_like(pre).scatter_(-1, top.indices, torch.relu(top.values))


def save_tensors(
    path: str | pathlib.Path, kind: str, settings: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> pathlib.Path:
    """Write ``tensors`` and JSON ``settings`` to one ``.safetensors`` file marked as ``kind``."""
    from safetensors.torch import save_file

    path = pathlib.Path(path)
    metadata = {"settings": json.dumps({"format": kind, **settings})}
    save_file({name: t.detach().contiguous() for name, t in tensors.items()}, str(path), metadata)
    return path


def load_tensors(
    path: str | pathlib.Path, kind: str, writer: str
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(settings, tensors)`` of a file written by :func:`save_tensors` as ``kind``.

    Raises:
        ValueError: when the file was not written as ``kind`` (``writer`` names what writes it).
    """
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as file:
        settings = json.loads((file.metadata() or {}).get("settings", "{}"))
        if settings.get("format") != kind:
            raise ValueError(f"{path} is not a file written by {writer}")
        tensors = {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118
    return settings, tensors


def as_float_tensors(**tensors: Any) -> dict[str, torch.Tensor]:
    """Each value as a detached float32 CPU tensor (tensors, arrays or lists)."""
    return {name: torch.as_tensor(t).detach().float().cpu() for name, t in tensors.items()}


def check_shapes(expected: dict[str, tuple[torch.Tensor, tuple[int, ...]]], given: str) -> None:
    """Raise a ValueError naming the first tensor whose shape is not the expected one.

    Args:
        expected: name → (tensor, expected shape).
        given: what the expected shapes follow from, e.g. ``"W_enc of shape (128, 512)"``.
    """
    for name, (tensor, shape) in expected.items():
        if tuple(tensor.shape) != shape:
            raise ValueError(
                f"{name} has shape {tuple(tensor.shape)}; with {given} expected {shape}"
            )
