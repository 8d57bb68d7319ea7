"""A sparse autoencoder: activations ``[..., d_in]`` → sparse features ``[..., n_features]`` →
reconstruction ``[..., d_in]``.

>>> sae = SparseAutoencoder(d_in=128, n_features=2048, activation="topk", k=32)
>>> x = trace["blocks.1.hook_resid_post"]   # [pos, d_model]
>>> features = sae.encode(x)
>>> features.shape, int((features != 0).sum(-1).max())
(torch.Size([11, 2048]), 32)
>>> reconstruction = sae.decode(features)
>>> reconstruction.shape == x.shape
True

``encode(x) = act((x - b_dec) @ W_enc + b_enc)`` (``b_dec`` subtracted first unless
``apply_b_dec_to_input`` is False) and ``decode(f) = f @ W_dec + b_dec``, where ``act`` is

* ``"topk"``: the ``k`` largest pre-activations of each token kept (ReLU'd), others 0;
* ``"relu"``: ReLU (trained with an L1 penalty);
* ``"jumprelu"``: ReLU of the pre-activation where it exceeds a per-feature ``threshold``,
  else 0.

Autoencoders trained here keep every decoder row (``W_dec[i]``, feature ``i``'s direction) at
unit norm.
"""

from __future__ import annotations

import pathlib
from typing import Any

import torch

from ..checks import positive_int
from .gemma_scope import gemma_scope_weights
from .sparse import SparseCoder, as_float_tensors, check_shapes, load_tensors, save_tensors

_FORMAT = "mi_widgets.SparseAutoencoder"


class SparseAutoencoder(SparseCoder):
    """A sparse autoencoder over the activations at one hook point.

    Args:
        d_in: width of the activations it reads.
        n_features: number of features (dictionary size).
        activation: ``"topk"``, ``"relu"`` or ``"jumprelu"`` (see the module docstring).
        k: features kept per token, for ``"topk"``.
        hook: the hook point it reads, e.g. ``"blocks.1.hook_resid_post"`` (informative;
            :func:`~mi_widgets.feature_stats` uses it by default).
        apply_b_dec_to_input: subtract ``b_dec`` from the input before encoding.
        seed: seed of the random initialisation (decoder rows uniform on the unit sphere,
            encoder = decoder transposed, biases 0).

    Attributes:
        W_enc: ``[d_in, n_features]``; b_enc: ``[n_features]``; W_dec: ``[n_features, d_in]``;
        b_dec: ``[d_in]``; threshold: ``[n_features]`` (``"jumprelu"`` only, else zeros).
        info: a dict of facts about the autoencoder (training metrics, origin), saved with it.
    """

    def __init__(
        self,
        d_in: int,
        n_features: int,
        activation: str = "topk",
        k: int | None = 32,
        *,
        hook: str | None = None,
        apply_b_dec_to_input: bool = True,
        seed: int = 0,
    ) -> None:
        d_in, n_features = positive_int(d_in, "d_in"), positive_int(n_features, "n_features")
        super().__init__(n_features, activation, k)
        self.hook = hook
        self.apply_b_dec_to_input = bool(apply_b_dec_to_input)
        generator = torch.Generator().manual_seed(seed)
        directions = torch.randn(n_features, d_in, generator=generator)
        directions /= directions.norm(dim=1, keepdim=True)
        self.W_dec = torch.nn.Parameter(directions)
        self.W_enc = torch.nn.Parameter(directions.T.clone())
        self.b_enc = torch.nn.Parameter(torch.zeros(n_features))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))

    @property
    def kind(self) -> str:
        return "this autoencoder"

    @property
    def input_site(self) -> str | None:
        """:attr:`hook`: the site it reads."""
        return self.hook

    @property
    def output_site(self) -> str | None:
        """:attr:`hook`: the site it reconstructs."""
        return self.hook

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., n_features]`` before the activation function."""
        self._check_input(x)
        x = x.to(self.W_enc.dtype)
        if self.apply_b_dec_to_input:
            x = x - self.b_dec
        return x @ self.W_enc + self.b_enc

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """Reconstruction ``[..., d_in]`` of feature activations ``[..., n_features]``."""
        return features @ self.W_dec + self.b_dec

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction of ``x``."""
        return self.decode(self.encode(x))

    @torch.no_grad()
    def normalize_decoder(self) -> None:
        """Scale every decoder row to unit norm (rows of zeros stay zero)."""
        self.W_dec.div_(self.W_dec.norm(dim=1, keepdim=True).clamp(min=1e-12))

    @classmethod
    def from_tensors(
        cls,
        W_enc: Any,
        b_enc: Any,
        W_dec: Any,
        b_dec: Any,
        *,
        activation: str = "relu",
        k: int | None = None,
        threshold: Any = None,
        hook: str | None = None,
        apply_b_dec_to_input: bool = True,
    ) -> SparseAutoencoder:
        """An autoencoder with given weights (copied as float32, decoder left as given).

        Args:
            W_enc: ``[d_in, n_features]``; b_enc: ``[n_features]``; W_dec:
                ``[n_features, d_in]``; b_dec: ``[d_in]`` (tensors, arrays or lists).
            threshold: ``[n_features]`` for ``"jumprelu"``.
        """
        W_enc, b_enc, W_dec, b_dec = as_float_tensors(
            W_enc=W_enc, b_enc=b_enc, W_dec=W_dec, b_dec=b_dec
        ).values()
        if W_enc.ndim != 2:
            raise ValueError(f"W_enc must be [d_in, n_features], got shape {tuple(W_enc.shape)}")
        d_in, n_features = W_enc.shape
        expected = {
            "b_enc": (b_enc, (n_features,)),
            "W_dec": (W_dec, (n_features, d_in)),
            "b_dec": (b_dec, (d_in,)),
        }
        check_shapes(expected, f"W_enc of shape {(d_in, n_features)}")
        sae = cls(
            d_in,
            n_features,
            activation,
            k if activation == "topk" else None,
            hook=hook,
            apply_b_dec_to_input=apply_b_dec_to_input,
        )
        with torch.no_grad():
            for name, tensor in (("W_enc", W_enc), ("b_enc", b_enc), ("W_dec", W_dec)):
                getattr(sae, name).copy_(tensor)
            sae.b_dec.copy_(b_dec)
            if activation == "jumprelu":
                if threshold is None:
                    raise ValueError("threshold is required for activation='jumprelu'")
                threshold = torch.as_tensor(threshold).detach().float().cpu()
                if tuple(threshold.shape) != (n_features,):
                    raise ValueError(
                        f"threshold has shape {tuple(threshold.shape)}; expected ({n_features},)"
                    )
                sae.threshold.copy_(threshold)
        return sae

    @classmethod
    def from_saelens(cls, sae: Any) -> SparseAutoencoder:
        """The same autoencoder as a SAELens ``SAE`` (standard/ReLU, TopK or JumpReLU)."""
        cfg = getattr(sae, "cfg", None)
        architecture = cfg.architecture() if cfg is not None else None
        kinds = {"standard": "relu", "topk": "topk", "jumprelu": "jumprelu"}
        if cfg is None or architecture not in kinds:
            raise ValueError(
                f"cannot read a SAELens {type(sae).__name__} (architecture {architecture!r}): "
                f"supported are {', '.join(kinds)}"
            )
        check_saelens_config(cfg.to_dict())
        metadata = getattr(cfg, "metadata", None)
        hook = getattr(metadata, "hook_name", None)
        out = cls.from_tensors(
            sae.W_enc,
            sae.b_enc,
            sae.W_dec,
            sae.b_dec,
            activation=kinds[architecture],
            k=getattr(cfg, "k", None),
            threshold=getattr(sae, "threshold", None),
            hook=hook,
            apply_b_dec_to_input=cfg.apply_b_dec_to_input,
        )
        out.info["source"] = f"SAELens {type(sae).__name__}"
        return out

    @classmethod
    def from_gemma_scope(
        cls, path: str | pathlib.Path, hook: str, model: Any = None
    ) -> SparseAutoencoder:
        """The JumpReLU autoencoder of a Gemma Scope ``params.npz`` (or the folder holding
        it) reading site ``hook``, e.g. ``"blocks.5.hook_resid_post"`` for a
        ``gemma-scope-2b-pt-res/layer_5/...`` folder (the mapping of every folder is in
        :mod:`mi_widgets.sae.gemma_scope`); with ``model``, the hook and the width are checked
        against it."""
        weights = gemma_scope_weights(path, hook, model)
        sae = cls.from_tensors(**weights, activation="jumprelu", apply_b_dec_to_input=False)
        sae.info["source"] = f"Gemma Scope {pathlib.Path(path).name}"
        return sae

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the weights and settings to one ``.safetensors`` file."""
        settings = {
            "activation": self.activation,
            "k": self.k,
            "hook": self.hook,
            "apply_b_dec_to_input": self.apply_b_dec_to_input,
            "info": self.info,
        }
        return save_tensors(path, _FORMAT, settings, self.state_dict())

    @classmethod
    def load(cls, path: str | pathlib.Path) -> SparseAutoencoder:
        """Read a file written by :meth:`save`."""
        settings, tensors = load_tensors(path, _FORMAT, "SparseAutoencoder.save")
        sae = cls.from_tensors(
            tensors["W_enc"],
            tensors["b_enc"],
            tensors["W_dec"],
            tensors["b_dec"],
            activation=settings["activation"],
            k=settings["k"],
            threshold=tensors["threshold"],
            hook=settings["hook"],
            apply_b_dec_to_input=settings["apply_b_dec_to_input"],
        )
        sae.info = settings.get("info", {})
        return sae

    def extra_repr(self) -> str:
        k = f", k={self.k}" if self.k is not None else ""
        hook = f", hook={self.hook!r}" if self.hook else ""
        return f"d_in={self.d_in}, n_features={self.n_features}, {self.activation}{k}{hook}"


def check_saelens_config(config: dict[str, Any]) -> None:
    """Raise a ValueError naming the first setting of a SAELens config (``cfg.to_dict()`` or
    ``cfg.json``) that rescales or reshapes activations, which our coders do not do."""
    plain = {
        "normalize_activations": "none",
        "rescale_acts_by_decoder_norm": False,
        "reshape_activations": "none",
    }
    for name, value in plain.items():
        if config.get(name, value) != value:
            raise ValueError(f"cannot read a SAELens SAE with {name} = {config[name]!r}")
