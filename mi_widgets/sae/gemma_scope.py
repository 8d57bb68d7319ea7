"""Gemma Scope sparse autoencoders, read from a local ``params.npz`` (offline).

Gemma Scope (Google DeepMind, 2024) publishes JumpReLU SAEs for Gemma 2 as one
``params.npz`` per SAE with ``W_enc [d_model, d_sae]``, ``W_dec [d_sae, d_model]``, ``b_enc
[d_sae]``, ``b_dec [d_model]`` and ``threshold [d_sae]``, encoding without subtracting
``b_dec`` first: ``f = relu(pre) * (pre > threshold)``, ``pre = x @ W_enc + b_enc``;
``x_hat = f @ W_dec + b_dec``. :meth:`SparseAutoencoder.from_gemma_scope
<mi_widgets.SparseAutoencoder.from_gemma_scope>` builds the same autoencoder.

Its repositories are named by the site the SAEs read, its folders by layer, width and
sparsity: ``gemma-scope-2b-pt-{site}/layer_{N}/width_{16k,65k,1m}/average_l0_{L0}/params.npz``
(``9b``, and ``it`` for the instruction-tuned model, likewise). The site maps to ours:

==============================  ================================  =========================
Gemma Scope folder              what it reads                     ``hook``
==============================  ================================  =========================
``...-res/layer_N/...``         the residual stream after block   ``blocks.N.hook_resid_post``
                                N
``...-mlp/layer_N/...``         the MLP's output, after Gemma     ``blocks.N.hook_mlp_out``
                                2's post-MLP norm (what the MLP
                                adds to the residual stream)
``...-att/layer_N/...``         every head's output before the    ``blocks.N.attn.hook_z``
                                output projection, concatenated   (``d_in = n_heads *
                                                                  d_head``)
==============================  ================================  =========================

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> np.savez("params.npz", W_enc=rng.normal(size=(128, 64)), W_dec=rng.normal(size=(64, 128)),
...          b_enc=np.zeros(64), b_dec=np.zeros(128), threshold=np.full(64, 0.5))
>>> mw.SparseAutoencoder.from_gemma_scope("params.npz", "blocks.1.hook_resid_post", model)
SparseAutoencoder(d_in=128, n_features=64, jumprelu, hook='blocks.1.hook_resid_post')
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import torch

from ..capture.sites import canonical_name, head_shape, parse_site, site_width

#: The arrays of a Gemma Scope ``params.npz``.
KEYS = ("W_enc", "W_dec", "b_enc", "b_dec", "threshold")


def gemma_scope_weights(path: str | pathlib.Path, hook: str, model: Any = None) -> dict[str, Any]:
    """The arguments of ``SparseAutoencoder.from_tensors`` for the Gemma Scope SAE at
    ``path`` (a ``params.npz`` or the folder holding it) reading site ``hook`` (checked
    against ``model`` when given: a valid name, and the SAE's width the site's).

    Raises:
        FileNotFoundError: when there is no such file.
        ValueError: for a file without the Gemma Scope arrays, a ``hook`` that is not a str
            or not a site of ``model``, or an SAE whose width is not the site's (naming both).
    """
    file = pathlib.Path(path)
    if file.is_dir():
        file = file / "params.npz"
    if not file.is_file():
        raise FileNotFoundError(f"no Gemma Scope params.npz at {path}")
    if not isinstance(hook, str):
        raise ValueError(f"hook must be a site name, e.g. 'blocks.5.hook_resid_post', got {hook!r}")
    with np.load(file, allow_pickle=False) as params:
        missing = [key for key in KEYS if key not in params.files]
        if missing:
            raise ValueError(
                f"{file} is not a Gemma Scope SAE: it has no array {missing[0]} (expected "
                f"{', '.join(KEYS)}; found {', '.join(params.files) or 'none'})"
            )
        arrays = {key: torch.from_numpy(np.asarray(params[key], dtype=np.float32)) for key in KEYS}
    if model is not None:
        hook = canonical_name(model, hook)
        _check_width(model, hook, arrays["W_enc"], file)
    return {**arrays, "hook": hook}


def _check_width(model: Any, hook: str, W_enc: torch.Tensor, file: pathlib.Path) -> None:
    """Raise a ValueError naming both widths when the SAE does not read ``hook``'s width."""
    if parse_site(model, hook)[1] == "attn.hook_z":
        n_heads, d_head = head_shape(model)
        width, what = n_heads * d_head, f"n_heads * d_head = {n_heads} * {d_head}"
    else:
        width = site_width(model, hook)
        what = str(width)
    d_in = int(W_enc.shape[0]) if W_enc.ndim == 2 else -1
    if d_in != width:
        raise ValueError(
            f"the Gemma Scope SAE at {file} reads activations of width d_in = {d_in} "
            f"(W_enc {tuple(W_enc.shape)}), but {hook} of {type(model).__name__} is "
            f"{what} wide: pick the SAE of this model and site"
        )
