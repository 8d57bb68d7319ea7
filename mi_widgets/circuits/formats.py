"""Per-layer transcoders stored by circuit-tracer and SAELens, read from a path (offline).

**circuit-tracer** (0.5.0, ``circuit_tracer/transcoder/single_layer_transcoder.py``:
``SingleLayerTranscoder.to_safetensors`` writes and ``load_relu_transcoder`` reads): one
``.safetensors`` file per layer with ``W_enc [d_transcoder, d_model]`` (applied as
``F.linear``: our ``W_enc`` transposed), ``W_dec [d_transcoder, d_model]`` (its first release
stored ``[d_model, d_transcoder]``: either is read, oriented by the biases), ``b_enc
[d_transcoder]``, ``b_dec [d_model]``, an optional skip ``W_skip [d_model, d_model]`` applied
as ``x @ W_skip.T``, and for JumpReLU ``activation_function.threshold [d_transcoder]``
(otherwise ReLU). ``TranscoderSet.to_safetensors`` writes a folder of
``layer_{i}.safetensors``.

**SAELens** (6.x, ``sae_lens/saes/transcoder.py``; ``SAE.save_model`` writes a folder):
``cfg.json`` (``architecture`` ``"transcoder"``, ``"skip_transcoder"``,
``"jumprelu_transcoder"`` or ``"jumprelu_skip_transcoder"``; ``metadata.hook_name`` names the
input site, e.g. ``blocks.3.hook_mlp_in``) and ``sae_weights.safetensors`` with ``W_enc [d_in,
d_sae]``, ``b_enc [d_sae]``, ``W_dec [d_sae, d_out]``, ``b_dec [d_out]``, ``W_skip [d_out,
d_in]`` (applied as ``x @ W_skip.T``) and ``threshold [d_sae]``.

``Transcoder.load_circuit_tracer``, ``TranscoderSet.load_circuit_tracer`` and
``Transcoder.from_saelens`` build transcoders from what this module reads:

>>> path = mw.Transcoder(8, 16, activation="relu", layer=0).save("ours.safetensors")
>>> circuit_tracer_weights(path)
Traceback (most recent call last):
    ...
ValueError: ours.safetensors is not a circuit-tracer transcoder file: it has a tensor threshold ...
"""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import torch

from ..sae.model import check_saelens_config

#: SAELens transcoder architectures → (our activation, has a skip connection).
SAELENS_ARCHITECTURES = {
    "transcoder": ("relu", False),
    "skip_transcoder": ("relu", True),
    "jumprelu_transcoder": ("jumprelu", False),
    "jumprelu_skip_transcoder": ("jumprelu", True),
}
_CIRCUIT_TRACER_KEYS = {
    "W_enc",
    "W_dec",
    "b_enc",
    "b_dec",
    "W_skip",
    "activation_function.threshold",
}
_LAYER = re.compile(r"blocks\.(\d+)\.")


def circuit_tracer_weights(path: str | pathlib.Path) -> dict[str, Any]:
    """The arguments of ``Transcoder.from_tensors`` (but ``layer``) for a circuit-tracer
    ``.safetensors`` file, and ``info``."""
    tensors = _read_safetensors(path)
    missing = sorted({"W_enc", "W_dec", "b_enc", "b_dec"} - tensors.keys())
    unknown = sorted(tensors.keys() - _CIRCUIT_TRACER_KEYS)
    if missing or unknown:
        problem = f"it has no tensor {missing[0]}" if missing else f"it has a tensor {unknown[0]}"
        raise ValueError(
            f"{path} is not a circuit-tracer transcoder file: {problem} (expected "
            f"{', '.join(sorted(_CIRCUIT_TRACER_KEYS))}; the last two optional)"
        )
    n_features, d_model = tensors["b_enc"].shape[0], tensors["b_dec"].shape[0]
    threshold = tensors.get("activation_function.threshold")
    if threshold is not None and bool((threshold < 0).any()):
        raise ValueError(
            f"{path} has negative JumpReLU thresholds: circuit-tracer's x * (x > threshold) "
            "then lets negative activations through, which a Transcoder does not"
        )
    skip = tensors.get("W_skip")
    return {
        "W_enc": _oriented(tensors["W_enc"], (d_model, n_features), "W_enc", path),
        "b_enc": tensors["b_enc"],
        "W_dec": _oriented(tensors["W_dec"], (n_features, d_model), "W_dec", path),
        "b_dec": tensors["b_dec"],
        "W_skip": None if skip is None else skip.T,
        "activation": "relu" if threshold is None else "jumprelu",
        "threshold": threshold,
        "info": {"source": f"circuit-tracer file {pathlib.Path(path).name}"},
    }


def circuit_tracer_files(directory: str | pathlib.Path) -> list[pathlib.Path]:
    """The files ``layer_{i}.safetensors`` of a circuit-tracer folder, in layer order."""
    directory = pathlib.Path(directory)
    files = {int(f.stem.split("_")[1]): f for f in directory.glob("layer_*.safetensors")}
    if not files or sorted(files) != list(range(len(files))):
        raise ValueError(
            f"{directory} must hold circuit-tracer files layer_0.safetensors ... "
            f"layer_{{n-1}}.safetensors, one per layer; found layers {sorted(files)}"
        )
    return [files[i] for i in sorted(files)]


def saelens_weights(source: Any, layer: int | None = None) -> dict[str, Any]:
    """The arguments of ``Transcoder.from_tensors`` for a SAELens transcoder (a
    ``sae_lens.Transcoder`` or its skip/JumpReLU kinds, or the folder ``save_model`` wrote),
    and ``info``; ``layer`` defaults to the block in its ``hook_name``."""
    if isinstance(source, (str, pathlib.Path)):
        folder = pathlib.Path(source)
        if not (folder / "cfg.json").is_file():
            raise ValueError(f"{folder} is not a SAELens folder: it has no cfg.json")
        config = json.loads((folder / "cfg.json").read_text(encoding="utf-8"))
        tensors = _read_safetensors(folder / "sae_weights.safetensors")
        what = f"SAELens folder {folder.name}"
    elif hasattr(getattr(source, "cfg", None), "to_dict"):
        config = source.cfg.to_dict()
        tensors = {name: t.detach() for name, t in source.state_dict().items()}
        what = f"SAELens {type(source).__name__}"
    else:
        raise TypeError(
            "source must be a SAELens transcoder or the path of the folder it was saved to, "
            f"got {type(source).__name__}"
        )
    architecture = config.get("architecture")
    if architecture not in SAELENS_ARCHITECTURES:
        raise ValueError(
            f"cannot read the {what} as a transcoder: architecture {architecture!r}, expected "
            f"one of {', '.join(SAELENS_ARCHITECTURES)}"
        )
    check_saelens_config(config)
    activation, skip = SAELENS_ARCHITECTURES[architecture]
    hook = (config.get("metadata") or {}).get("hook_name")
    return {
        "W_enc": tensors["W_enc"],
        "b_enc": tensors["b_enc"],
        "W_dec": tensors["W_dec"],
        "b_dec": tensors["b_dec"],
        "layer": _saelens_layer(layer, hook, what),
        "W_skip": tensors["W_skip"].T if skip else None,
        "activation": activation,
        "threshold": tensors.get("threshold"),
        "info": {"source": what, "source_hook_in": hook},
    }


def _saelens_layer(layer: int | None, hook: Any, what: str) -> int:
    if layer is not None:
        return layer
    match = _LAYER.match(hook) if isinstance(hook, str) else None
    if match is None:
        raise ValueError(
            f"layer is required: the {what} reads hook_name {hook!r}, which names no block "
            "('blocks.{layer}....')"
        )
    return int(match.group(1))


def _read_safetensors(path: str | pathlib.Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not pathlib.Path(path).is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return load_file(str(path))
    except SafetensorError as error:
        raise ValueError(f"{path} is not a safetensors file ({error})") from None


def _oriented(tensor: torch.Tensor, shape: tuple[int, int], name: str, path: Any) -> torch.Tensor:
    """``tensor`` as ``shape`` (ours), transposing a stored ``shape[::-1]``; a square ``W_enc``
    is read as circuit-tracer 0.5 stores it, ``[d_transcoder, d_model]``."""
    square = shape[0] == shape[1]
    if tuple(tensor.shape) == shape and not (square and name == "W_enc"):
        return tensor
    if tuple(tensor.shape) == shape[::-1]:
        return tensor.T
    raise ValueError(
        f"{path}: {name} has shape {tuple(tensor.shape)}; with b_enc and b_dec expected "
        f"{shape[::-1]} or {shape}"
    )
