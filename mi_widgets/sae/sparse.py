"""What sparse autoencoders and transcoders share: the base class of both (:class:`SparseCoder`:
an encoder with a sparse activation and a decoder), the activation function that makes their
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


class SparseCoder(torch.nn.Module):
    """An encoder ``W_enc`` ``[d_in, n_features]``, ``b_enc`` ``[n_features]`` followed by a
    sparse activation, and a decoder ``W_dec`` ``[n_features, d_out]``, ``b_dec`` ``[d_out]``.

    The base of :class:`~mi_widgets.SparseAutoencoder` (reads and writes one site) and
    :class:`~mi_widgets.Transcoder` (reads an MLP's input, writes its output). Subclasses set
    the four weights and define :meth:`pre_activations`, :attr:`input_site` and
    :attr:`output_site`.

    Attributes:
        activation, k: the activation function (see :data:`ACTIVATIONS`) and, for
            ``"topk"``, the features kept per token.
        threshold: ``[n_features]`` (``"jumprelu"`` only, else zeros).
        info: a dict of facts about the coder (training metrics, origin), saved with it.
    """

    W_enc: torch.nn.Parameter
    b_enc: torch.nn.Parameter
    W_dec: torch.nn.Parameter
    b_dec: torch.nn.Parameter
    threshold: torch.Tensor  # a registered buffer

    def __init__(self, n_features: int, activation: str, k: int | None) -> None:
        super().__init__()
        self.k = check_activation(activation, k, n_features)
        self.activation = activation
        self.info: dict[str, Any] = {}
        self.register_buffer("threshold", torch.zeros(n_features))

    @property
    def d_in(self) -> int:
        return int(self.W_enc.shape[0])

    @property
    def d_out(self) -> int:
        return int(self.W_dec.shape[1])

    @property
    def n_features(self) -> int:
        return int(self.W_dec.shape[0])

    @property
    def kind(self) -> str:
        """What the coder is called in error messages."""
        return "this sparse coder"

    @property
    def input_site(self) -> str | None:
        """The site whose activations the encoder reads (``None``: not known)."""
        raise NotImplementedError

    @property
    def output_site(self) -> str | None:
        """The site the decoder writes to (``None``: not known)."""
        raise NotImplementedError

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., n_features]`` before the activation function, of ``x`` ``[..., d_in]``."""
        raise NotImplementedError

    def activate(self, pre: torch.Tensor) -> torch.Tensor:
        """The activation function on pre-activations ``[..., n_features]``."""
        return sparse_activation(pre, self.activation, self.k, self.threshold)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Feature activations ``[..., n_features]`` of activations ``x`` ``[..., d_in]``."""
        return self.activate(self.pre_activations(x))

    def _check_input(self, x: Any) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim == 0 or x.shape[-1] != self.d_in:
            raise ValueError(
                f"x has shape {tuple(x.shape)} but {self.kind} reads d_in = {self.d_in} "
                f"(expected [..., {self.d_in}])"
                + (f"; it was made for {self.input_site}" if self.input_site else "")
            )

    def check_sites(self, model: Any, hook: str | None = None) -> tuple[str, str]:
        """``(input site, output site)``: the canonical names of the sites of ``model`` the
        coder reads and writes, checked against its widths.

        Args:
            hook: the site it reads and writes instead of :attr:`input_site` and
                :attr:`output_site` (for an autoencoder that does not say, or another site).

        Raises:
            ValueError: when no site is known, or when the activations there are not as wide as
                the coder reads (``d_in``) or writes (``d_out``).
        """
        from ..capture.sites import canonical_name, site_width

        given = (hook, hook) if hook is not None else (self.input_site, self.output_site)
        if given[0] is None or given[1] is None:
            raise ValueError(f"hook is required: {self.kind} does not say which site it reads")
        sites = canonical_name(model, given[0]), canonical_name(model, given[1])
        for site, width, what in zip(
            sites, (self.d_in, self.d_out), ("reads d_in", "writes d_out"), strict=True
        ):
            actual = site_width(model, site)
            if actual != width:
                raise ValueError(
                    f"the activations at {site} are {actual} wide but {self.kind} {what} = "
                    f"{width}: it was made for another site or model"
                )
        return sites


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
