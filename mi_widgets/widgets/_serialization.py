"""The one wire format for numbers: arrays travel as raw bytes plus a small header.

An encoded array is a dict ``{"dtype", "shape", "scale", "offset", "layout", "data"}``:

- ``dtype``: ``"uint8"``, ``"float16"``, ``"float32"`` or ``"int32"``; ``data`` holds the raw
  little-endian values of that dtype.
- ``scale``/``offset``: a stored value ``q`` means ``offset + scale * q`` (1 and 0 for floats).
- ``layout``: ``"dense"`` (C order) or ``"tril"``: the last two axes form square ``N x N``
  matrices of which only the lower triangle (``key <= query``, diagonal included) is stored,
  row by row: matrix ``m``, row ``q`` starts at ``m * N(N+1)/2 + q(q+1)/2``. Everything above
  the diagonal decodes to ``offset`` (0 for attention).

Attention probabilities in ``[0, 1]`` go as uint8 with ``scale = 1/255``: each value is
rounded to the nearest multiple of 1/255, so the decoded value is within 1/510 of the
original (always within 1/255).

The TypeScript counterpart is ``js/src/lib/binary.ts``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

Layout = Literal["dense", "tril"]
EncodedArray = dict[str, Any]

_FLOAT_DTYPES = {"float16": np.float16, "float32": np.float32}


def encode_probabilities(
    values: np.ndarray, *, precision: Literal["uint8", "float32"] = "uint8", causal: bool = False
) -> EncodedArray:
    """Encode an array of probabilities ``[..., N, N]`` (values in ``[0, 1]``).

    ``precision="uint8"`` quantises to steps of 1/255 (error <= 1/510); ``"float32"`` is exact.
    ``causal=True`` sends only the lower triangle of the last two axes.
    """
    layout: Layout = "tril" if causal else "dense"
    if precision == "uint8":
        quantised = np.rint(np.asarray(values, dtype=np.float32) * 255.0).astype(np.uint8)
        return encode_array(quantised, scale=1.0 / 255.0, layout=layout)
    if precision == "float32":
        return encode_array(np.asarray(values, dtype=np.float32), layout=layout)
    raise ValueError(f"precision must be 'uint8' or 'float32', got {precision!r}")


def encode_array(
    values: np.ndarray, *, scale: float = 1.0, offset: float = 0.0, layout: Layout = "dense"
) -> EncodedArray:
    """Encode ``values`` (uint8, int32, float16 or float32) as header + bytes.

    With ``layout="tril"`` the last two axes must be square; only the lower triangle is kept.
    """
    array = np.asarray(values)
    dtype = _wire_dtype(array)
    shape = list(array.shape)
    if layout == "tril":
        if array.ndim < 2 or array.shape[-1] != array.shape[-2]:
            raise ValueError(
                f"layout='tril' needs square matrices in the last two axes, got shape {shape}"
            )
        rows, cols = np.tril_indices(array.shape[-1])
        array = array[..., rows, cols]
    elif layout != "dense":
        raise ValueError(f"layout must be 'dense' or 'tril', got {layout!r}")
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return {
        "dtype": dtype,
        "shape": shape,
        "scale": float(scale),
        "offset": float(offset),
        "layout": layout,
        "data": data,
    }


def decode_array(encoded: EncodedArray) -> np.ndarray:
    """Inverse of :func:`encode_array`: float64 values ``offset + scale * stored``."""
    dtype = np.dtype(encoded["dtype"]).newbyteorder("<")
    shape = tuple(encoded["shape"])
    stored = np.frombuffer(encoded["data"], dtype=dtype)
    if encoded["layout"] == "tril":
        n = shape[-1]
        full = np.zeros((*shape[:-2], n, n), dtype=dtype)
        rows, cols = np.tril_indices(n)
        full[..., rows, cols] = stored.reshape(*shape[:-2], -1)
        stored = full
    values = stored.reshape(shape).astype(np.float64)
    return encoded["offset"] + encoded["scale"] * values


def split_header(encoded: EncodedArray) -> tuple[dict[str, Any], bytes]:
    """Split an encoded array into its JSON header and its bytes (for custom messages)."""
    header = {key: value for key, value in encoded.items() if key != "data"}
    return header, encoded["data"]


def _wire_dtype(array: np.ndarray) -> str:
    if array.dtype == np.uint8:
        return "uint8"
    if array.dtype in (np.int32, np.int64):
        return "int32"
    for name, dtype in _FLOAT_DTYPES.items():
        if array.dtype == dtype:
            return name
    if array.dtype == np.float64:
        return "float32"
    raise ValueError(
        f"cannot encode dtype {array.dtype}; expected uint8, int32, float16, float32 or float64"
    )
