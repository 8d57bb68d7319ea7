"""AttentionView: every head of a layer as thumbnails, one head large, tokens coloured."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import traitlets

from ..capture.trace import Trace
from ..checks import check_byte_budget, check_index, check_layer
from ._serialization import EncodedArray, encode_array
from ._validation import check_attention, check_tokens
from .base import SlicedView
from .link import HeadLink, LensLink, LinkRule
from .selection import HeadSelection

#: Attention sent with the widget when it fits; past this only the current layer goes up
#: front and the page fetches other layers when asked for.
DEFAULT_MAX_BYTES = 32 * 2**20


class AttentionView(HeadSelection, SlicedView):
    """Attention patterns of one layer at a time, selection synced both ways.

    Build it from a :class:`~mi_widgets.Trace` or from raw arrays::

        view = mw.AttentionView(trace)
        view = mw.AttentionView(attention=pattern, tokens=["The", " cat", " sat"])
        view.layer, view.head = 1, 3          # the page follows
        view.query_token                     # the token clicked in the page (or None)

    Args:
        trace: a captured forward pass; or give ``attention`` and ``tokens`` instead.
        attention: ``[layer, head, query_pos, key_pos]`` or ``[head, query_pos, key_pos]``
            probabilities in ``[0, 1]`` (torch tensor, numpy array or nested lists).
        tokens: one string per position, shown as literal text.
        causal: whether everything above the diagonal is zero; detected when ``None``.
        precision: ``"uint8"`` sends each probability in steps of 1/255 (error <= 1/510,
            one byte per value); ``"float32"`` sends exact values (four bytes per value).
        max_bytes: when all layers together encode to more than this, only the current
            layer is sent with the widget and the others on demand.

    Synced traits: ``layer``, ``head``, ``query_token`` (``None`` or a position) and
    ``locked`` (whether the page holds that query token instead of following the mouse).
    ``layer`` (argument or trait set from Python) may be negative, counting from the end:
    ``-1`` selects and stores ``n_layers - 1``.
    """

    _module = "attention"
    link_targets: ClassVar[tuple[LinkRule, ...]] = (HeadLink, LensLink)

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    n_layers = traitlets.Int(1).tag(sync=True)
    n_heads = traitlets.Int(1).tag(sync=True)
    causal = traitlets.Bool(False).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    head = traitlets.Int(0).tag(sync=True)
    query_token = traitlets.Int(None, allow_none=True).tag(sync=True)
    locked = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        trace: Trace | None = None,
        *,
        attention: Any = None,
        tokens: Any = None,
        causal: bool | None = None,
        layer: int = 0,
        head: int = 0,
        query_token: int | None = None,
        title: str | None = None,
        precision: Literal["uint8", "float32"] = "uint8",
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if trace is not None:
            if attention is not None or tokens is not None:
                raise TypeError("give either a trace or attention= and tokens=, not both")
            if not isinstance(trace, Trace):
                raise TypeError(
                    f"trace must be a mi_widgets.Trace, got {type(trace).__name__}; "
                    "for raw arrays use AttentionView(attention=..., tokens=...)"
                )
            if trace.attention is None:
                raise ValueError(
                    "trace has no attention: capture it with kinds=None or a kinds set "
                    "that includes 'attention'"
                )
            attention, tokens = trace.attention, trace.tokens
            causal = trace.causal if causal is None else causal
            title = f"{trace.model_name} attention" if title is None else title
        elif attention is None or tokens is None:
            raise TypeError("AttentionView needs a Trace, or both attention= and tokens=")
        if precision not in ("uint8", "float32"):
            raise ValueError(f"precision must be 'uint8' or 'float32', got {precision!r}")
        max_bytes = check_byte_budget(max_bytes)

        pattern = check_attention(attention)
        n_layers, n_heads, n_tokens, _ = pattern.shape
        tokens = check_tokens(tokens, n_tokens)
        self._values = self._store(pattern, precision)
        detected = bool(not np.triu(self._values, k=1).any())
        if causal is None:
            causal = detected
        elif causal and not detected:
            raise ValueError(
                "causal=True but the attention has non-zero values above the diagonal "
                "(a key after its query); pass causal=False or fix the pattern"
            )
        layer = check_layer(layer, n_layers, None)
        check_index(head, n_heads, "head")
        if query_token is not None:
            check_index(query_token, n_tokens, "query_token")

        super().__init__(
            tokens=tokens,
            n_layers=n_layers,
            n_heads=n_heads,
            causal=bool(causal),
            title=title or "",
            layer=layer,
            head=head,
            query_token=query_token,
        )
        self._scale = 1.0 / 255.0 if precision == "uint8" else 1.0
        self._slices = self._initial_slices(max_bytes)

    @staticmethod
    def _store(pattern: np.ndarray, precision: str) -> np.ndarray:
        """Keep uint8 steps of 1/255 (a quarter of the memory) unless float32 is asked for."""
        if precision == "uint8":
            return np.rint(pattern * 255.0).astype(np.uint8)
        return pattern

    def _initial_slices(self, max_bytes: int) -> dict[str, EncodedArray]:
        per_layer = self._layer_nbytes()
        keys = (
            self.slice_keys()
            if per_layer * self.n_layers <= max_bytes
            else [self._layer_key(self.layer)]
        )
        return {key: self.encode_slice(key) for key in keys}

    def _layer_nbytes(self) -> int:
        _, n_heads, n, _ = self._values.shape
        cells = n * (n + 1) // 2 if self.causal else n * n
        return n_heads * cells * self._values.itemsize

    @staticmethod
    def _layer_key(layer: int) -> str:
        return f"layer:{layer}"

    def slice_keys(self) -> list[str]:
        """``layer:<i>`` for every layer, the current one first."""
        order = [self.layer, *(i for i in range(self.n_layers) if i != self.layer)]
        return [self._layer_key(i) for i in order]

    def encode_slice(self, key: str) -> EncodedArray:
        """Layer ``i`` (key ``layer:i``) as an encoded ``[head, N, N]`` array."""
        layer = int(key.split(":", 1)[1])
        return encode_array(
            self._values[layer],
            scale=self._scale,
            layout="tril" if self.causal else "dense",
        )

    @property
    def attention(self) -> np.ndarray:
        """The attention as the page sees it: float32 ``[layer, head, query_pos, key_pos]``."""
        return self._values.astype(np.float32) * np.float32(self._scale)

    @traitlets.validate("query_token")
    def _valid_query_token(self, proposal: dict[str, Any]) -> int | None:
        value = proposal["value"]
        return None if value is None else check_index(value, len(self.tokens), "query_token")
