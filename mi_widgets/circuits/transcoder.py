"""Transcoders: a sparse replacement of one MLP, reading the MLP's input and predicting its output.

A transcoder for block ``layer`` reads ``x = blocks.{layer}.ln2.hook_normalized`` (the MLP's
input, after its norm) ``[..., d_in]`` and predicts ``blocks.{layer}.hook_mlp_out``
``[..., d_out]``:

``encode(x) = act(x @ W_enc + b_enc)`` and ``decode(f, x) = f @ W_dec + b_dec (+ x @ W_skip)``,

with ``act`` one of the sparse activations of :class:`~mi_widgets.SparseAutoencoder` (TopK,
ReLU, JumpReLU) and an optional linear skip connection ``W_skip``. Feature ``i`` reads the
direction ``W_enc[:, i]`` and writes ``W_dec[i]``.

>>> tc = Transcoder(d_in=128, n_features=512, layer=1, k=8)
>>> x = torch.randn(5, 128)
>>> features = tc.encode(x)
>>> features.shape, int((features != 0).sum(-1).max())
(torch.Size([5, 512]), 8)
>>> tc(x).shape                                  # the predicted MLP output
torch.Size([5, 128])
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

import torch

from ..checks import positive_int
from ..sae.sparse import SparseCoder, as_float_tensors, check_shapes, load_tensors, save_tensors

_FORMAT = "mi_widgets.Transcoder"


class Transcoder(SparseCoder):
    """A sparse replacement of the MLP of block ``layer``.

    Args:
        d_in: width of the MLP's input (``d_model``).
        n_features: number of features.
        d_out: width of the MLP's output (``d_in`` by default).
        activation: ``"topk"``, ``"relu"`` or ``"jumprelu"``.
        k: features kept per token, for ``"topk"``.
        layer: the block whose MLP it replaces (``>= 0``).
        skip: add a linear skip connection ``x @ W_skip`` (initialised to zeros).
        seed: seed of the random initialisation (decoder rows uniform on the unit sphere,
            encoder columns likewise, biases 0).

    Attributes:
        W_enc: ``[d_in, n_features]``; b_enc: ``[n_features]``; W_dec: ``[n_features, d_out]``;
        b_dec: ``[d_out]``; W_skip: ``[d_in, d_out]`` or ``None``; threshold: ``[n_features]``
        (``"jumprelu"`` only, else zeros).
        info: a dict of facts about the transcoder (training metrics, origin), saved with it.
    """

    W_skip: torch.nn.Parameter | None
    layer: int

    def __init__(
        self,
        d_in: int,
        n_features: int,
        d_out: int | None = None,
        activation: str = "topk",
        k: int | None = 32,
        *,
        layer: int,
        skip: bool = False,
        seed: int = 0,
    ) -> None:
        d_in, n_features = positive_int(d_in, "d_in"), positive_int(n_features, "n_features")
        d_out = d_in if d_out is None else positive_int(d_out, "d_out")
        if isinstance(layer, bool) or not isinstance(layer, int) or layer < 0:
            raise ValueError(f"layer must be an int >= 0 (the block's index), got {layer!r}")
        super().__init__(n_features, activation, k)
        self.layer = layer
        generator = torch.Generator().manual_seed(seed)
        decoder = torch.randn(n_features, d_out, generator=generator)
        encoder = torch.randn(d_in, n_features, generator=generator)
        self.W_dec = torch.nn.Parameter(decoder / decoder.norm(dim=1, keepdim=True))
        self.W_enc = torch.nn.Parameter(encoder / encoder.norm(dim=0, keepdim=True))
        self.b_enc = torch.nn.Parameter(torch.zeros(n_features))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_out))
        self.W_skip = torch.nn.Parameter(torch.zeros(d_in, d_out)) if skip else None

    @property
    def kind(self) -> str:
        return f"the transcoder of layer {self.layer}"

    @property
    def hook_in(self) -> str:
        """The site it reads: ``blocks.{layer}.ln2.hook_normalized``."""
        return f"blocks.{self.layer}.ln2.hook_normalized"

    @property
    def hook_out(self) -> str:
        """The site it predicts: ``blocks.{layer}.hook_mlp_out``."""
        return f"blocks.{self.layer}.hook_mlp_out"

    @property
    def input_site(self) -> str:
        """:attr:`hook_in`."""
        return self.hook_in

    @property
    def output_site(self) -> str:
        """:attr:`hook_out`."""
        return self.hook_out

    def check_sites(self, model: Any, hook: str | None = None) -> tuple[str, str]:
        """``(hook_in, hook_out)`` in ``model``, checked: the model has block :attr:`layer` and
        its MLP reads ``d_in`` and writes ``d_out`` wide activations.

        Raises:
            ValueError: for a layer the model does not have, a ``hook`` other than
                :attr:`hook_in`, or widths that do not match.
        """
        from ..capture.sites import canonical_name, n_layers

        count = n_layers(model)
        if self.layer >= count:
            raise ValueError(
                f"the transcoder reads layer {self.layer} but {type(model).__name__} has {count} "
                f"blocks (layers 0..{count - 1}): it was made for another model"
            )
        if hook is not None and canonical_name(model, hook) != canonical_name(model, self.hook_in):
            raise ValueError(
                f"hook = {hook!r}, but {self.kind} reads {self.hook_in}: leave hook out"
            )
        return super().check_sites(model)

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., n_features]`` before the activation function, of ``x`` ``[..., d_in]``."""
        self._check_input(x)
        return x.to(self.W_enc.dtype) @ self.W_enc + self.b_enc

    def decode(self, features: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        """The predicted MLP output ``[..., d_out]`` of feature activations
        ``[..., n_features]``; with a skip connection, ``x`` (the input) is required."""
        out = features @ self.W_dec + self.b_dec
        if self.W_skip is None:
            return out
        if x is None:
            raise ValueError("this transcoder has a skip connection: decode(features, x) needs x")
        return out + x.to(self.W_skip.dtype) @ self.W_skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The predicted MLP output ``[..., d_out]`` of ``x`` ``[..., d_in]``."""
        return self.decode(self.encode(x), x)

    @classmethod
    def from_tensors(
        cls,
        W_enc: Any,
        b_enc: Any,
        W_dec: Any,
        b_dec: Any,
        *,
        layer: int,
        W_skip: Any = None,
        activation: str = "relu",
        k: int | None = None,
        threshold: Any = None,
    ) -> Transcoder:
        """A transcoder with given weights (copied as float32).

        Args:
            W_enc: ``[d_in, n_features]``; b_enc: ``[n_features]``; W_dec:
                ``[n_features, d_out]``; b_dec: ``[d_out]``; W_skip: ``[d_in, d_out]`` or None
                (tensors, arrays or lists).
            threshold: ``[n_features]`` for ``"jumprelu"``.
        """
        W_enc, b_enc, W_dec, b_dec = as_float_tensors(
            W_enc=W_enc, b_enc=b_enc, W_dec=W_dec, b_dec=b_dec
        ).values()
        if W_enc.ndim != 2 or W_dec.ndim != 2:
            raise ValueError(
                f"W_enc must be [d_in, n_features] and W_dec [n_features, d_out], got shapes "
                f"{tuple(W_enc.shape)} and {tuple(W_dec.shape)}"
            )
        (d_in, n_features), d_out = W_enc.shape, W_dec.shape[1]
        expected = {
            "b_enc": (b_enc, (n_features,)),
            "W_dec": (W_dec, (n_features, d_out)),
            "b_dec": (b_dec, (d_out,)),
        }
        extra = {"W_skip": W_skip, "threshold": threshold if activation == "jumprelu" else None}
        given = {name: t for name, t in extra.items() if t is not None}
        tensors = as_float_tensors(**given)
        shapes = {"W_skip": (d_in, d_out), "threshold": (n_features,)}
        expected.update({name: (t, shapes[name]) for name, t in tensors.items()})
        check_shapes(expected, f"W_enc of shape {(d_in, n_features)} and d_out = {d_out}")
        if activation == "jumprelu" and "threshold" not in tensors:
            raise ValueError("threshold is required for activation='jumprelu'")
        tc = cls(
            d_in,
            n_features,
            d_out,
            activation,
            k if activation == "topk" else None,
            layer=layer,
            skip=W_skip is not None,
        )
        weights = {"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec, **tensors}
        with torch.no_grad():
            for name, tensor in weights.items():
                getattr(tc, name).copy_(tensor)
        return tc

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the weights and settings to one ``.safetensors`` file."""
        settings: dict[str, Any] = {"activation": self.activation, "k": self.k}
        settings.update(layer=self.layer, info=self.info)
        return save_tensors(path, _FORMAT, settings, self.state_dict())

    @classmethod
    def load(cls, path: str | pathlib.Path) -> Transcoder:
        """Read a file written by :meth:`save`."""
        settings, tensors = load_tensors(path, _FORMAT, "Transcoder.save")
        tc = cls.from_tensors(
            tensors["W_enc"],
            tensors["b_enc"],
            tensors["W_dec"],
            tensors["b_dec"],
            layer=settings["layer"],
            W_skip=tensors.get("W_skip"),
            activation=settings["activation"],
            k=settings["k"],
            threshold=tensors["threshold"],
        )
        tc.info = settings.get("info", {})
        return tc

    @classmethod
    def load_circuit_tracer(cls, path: str | pathlib.Path, layer: int) -> Transcoder:
        """Read circuit-tracer's file of one layer (see :mod:`mi_widgets.circuits.formats`)."""
        from .formats import circuit_tracer_weights

        return cls._with_info(**circuit_tracer_weights(path), layer=layer)

    @classmethod
    def from_saelens(cls, source: Any, layer: int | None = None) -> Transcoder:
        """A SAELens transcoder, or the folder it was saved to (see
        :mod:`mi_widgets.circuits.formats`); ``layer`` defaults to its hook's block."""
        from .formats import saelens_weights

        return cls._with_info(**saelens_weights(source, layer))

    @classmethod
    def _with_info(cls, info: dict[str, Any], **weights: Any) -> Transcoder:
        tc = cls.from_tensors(**weights)
        tc.info.update(info)
        return tc

    def extra_repr(self) -> str:
        k = f", k={self.k}" if self.k is not None else ""
        skip = ", skip" if self.W_skip is not None else ""
        return (
            f"layer={self.layer}, d_in={self.d_in}, n_features={self.n_features}, "
            f"d_out={self.d_out}, {self.activation}{k}{skip}"
        )


class TranscoderSet(torch.nn.Module):
    """One transcoder per layer of a model, in layer order: ``tcs[layer]``, ``len(tcs)``.

    Args:
        transcoders: transcoders of layers ``0, 1, ..., n - 1`` in any order, one each.

    >>> tcs = TranscoderSet([Transcoder(128, 256, layer=i, k=8) for i in range(2)])
    >>> tcs.layers, tcs[1].layer
    ([0, 1], 1)
    """

    def __init__(self, transcoders: Iterable[Transcoder]) -> None:
        super().__init__()
        given = list(transcoders)
        for index, tc in enumerate(given):
            if not isinstance(tc, Transcoder):
                raise TypeError(
                    f"transcoders[{index}] must be a mi_widgets.Transcoder, got {type(tc).__name__}"
                )
        layers = sorted(tc.layer for tc in given)
        if layers != list(range(len(given))):
            raise ValueError(
                f"transcoders must have one transcoder per layer 0..{len(given) - 1}, got "
                f"layers {layers}"
            )
        ordered = sorted(given, key=lambda tc: tc.layer)
        self.transcoders = torch.nn.ModuleList(ordered)

    @classmethod
    def of(cls, transcoders: Any) -> TranscoderSet:
        """``transcoders`` as a set: a TranscoderSet, or a list/tuple/dict of transcoders."""
        if isinstance(transcoders, TranscoderSet):
            return transcoders
        if isinstance(transcoders, dict):
            transcoders = list(transcoders.values())
        if not isinstance(transcoders, (list, tuple)):
            raise TypeError(
                "transcoders must be a TranscoderSet or a list of mi_widgets.Transcoder (one per "
                f"layer), got {type(transcoders).__name__}"
            )
        return cls(transcoders)

    @property
    def layers(self) -> list[int]:
        return list(range(len(self.transcoders)))

    def __len__(self) -> int:
        return len(self.transcoders)

    def __getitem__(self, layer: int) -> Transcoder:
        if not -len(self) <= layer < len(self):
            raise IndexError(
                f"layer {layer} has no transcoder: this set has layers 0..{len(self) - 1}"
            )
        return self.transcoders[layer]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[Transcoder]:
        return iter(self.transcoders)  # type: ignore[arg-type]

    def check_model(self, model: Any, argument: str = "transcoders") -> None:
        """Raise a ValueError naming ``argument`` unless there is one transcoder per block of
        ``model``, each reading and writing its residual stream's width."""
        from ..capture.sites import n_layers, site_width

        count = n_layers(model)
        name = type(model).__name__
        if len(self) != count:
            raise ValueError(
                f"{argument} has transcoders for {len(self)} layers but {name} has {count} "
                f"blocks: expected one transcoder per layer 0..{count - 1}"
            )
        d_model = site_width(model, "blocks.0.hook_mlp_out")
        for tc in self:
            if (tc.d_in, tc.d_out) != (d_model, d_model):
                raise ValueError(
                    f"{argument}[{tc.layer}] reads d_in = {tc.d_in} and writes d_out = "
                    f"{tc.d_out}, but {name}'s MLPs read and write d_model = {d_model}"
                )

    def save(self, directory: str | pathlib.Path) -> pathlib.Path:
        """Write ``layer_{i}.safetensors`` per layer into ``directory`` (created)."""
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for tc in self:
            tc.save(directory / f"layer_{tc.layer}.safetensors")
        return directory

    @classmethod
    def load(cls, directory: str | pathlib.Path) -> TranscoderSet:
        """Read the files :meth:`save` wrote."""
        directory = pathlib.Path(directory)
        files = sorted(directory.glob("layer_*.safetensors"))
        if not files:
            raise ValueError(
                f"{directory} holds no layer_*.safetensors written by TranscoderSet.save"
            )
        return cls([Transcoder.load(file) for file in files])

    @classmethod
    def load_circuit_tracer(cls, directory: str | pathlib.Path) -> TranscoderSet:
        """Read circuit-tracer's folder of ``layer_{i}.safetensors`` files (see
        :mod:`mi_widgets.circuits.formats`)."""
        from .formats import circuit_tracer_files

        files = circuit_tracer_files(directory)
        return cls([Transcoder.load_circuit_tracer(file, i) for i, file in enumerate(files)])

    def extra_repr(self) -> str:
        return f"{len(self)} layers"
