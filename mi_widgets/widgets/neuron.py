"""NeuronView: the text coloured by one MLP neuron, a neuron picker, and its top corpus examples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import traitlets

from ..analysis.top_activations import TopActivations
from ..capture.trace import Trace
from ..checks import check_byte_budget, check_index, check_layer_member, is_int
from ._serialization import EncodedArray, encode_array
from ._validation import check_tokens
from .base import SlicedView

#: Activations sent with the widget when they fit; past this only the current layer goes up
#: front and the page fetches other layers when asked for.
DEFAULT_MAX_BYTES = 32 * 2**20
#: Neurons per layer whose examples an exported report embeds by default (the current one
#: plus those with the highest activation on the text).
DEFAULT_EXPORT_NEURONS = 32


class NeuronView(SlicedView):
    """The tokens of a text coloured by one MLP neuron; pick any neuron, see its top examples.

    ::

        trace = mw.trace(model, tokenizer, text)
        view = mw.NeuronView(trace, layer=1)            # pick a neuron in the page
        view.neuron = 42                                # the page follows
        view.token                                      # the token clicked in the page (or None)

        top = mw.top_activations(model, tokenizer, corpus, layer=1)
        mw.NeuronView(trace, layer=1, examples=top)     # + the neuron's top corpus examples

    Colours: a diverging map centred at 0, scaled per neuron to the largest absolute value of
    the neuron on the text and in its examples (the legend shows the scale).

    Args:
        trace: a captured forward pass with ``mlp_post``; or give ``activations`` and
            ``tokens`` instead.
        activations: ``[layer, pos, d_mlp]`` or ``[pos, d_mlp]`` neuron activations (torch,
            numpy or nested lists).
        tokens: one string per position, shown as literal text.
        layers: with ``activations``, the model layer of each row (default ``0..L-1``).
        layer: the model layer shown first (default: the first layer with examples, else the
            first captured); negative counts from the end of the captured layers (``-1``:
            the last), here and when the ``layer`` trait is set from Python.
        neuron: the neuron shown first (default: the most active neuron on the text, the
            highest activation over its positions in ``layer``; ties: the lower index).
        token: the selected token (``None``: none).
        examples: :class:`~mi_widgets.TopActivations` of the same model; the page shows the
            selected neuron's top examples (fetched from the kernel on demand).
        export_neurons: which neurons' examples :func:`~mi_widgets.to_html` embeds, per
            example layer: an int ``n`` (the current neuron plus the ``n`` with the highest
            activation on the text; default 32) or a list of neuron indices. The page marks
            the others as not embedded.
        precision: ``"float16"`` sends activations with a relative error <= 2**-11 (two
            bytes per value); ``"float32"`` sends exact values (four bytes).
        max_bytes: when all layers together encode to more than this, only the current layer
            is sent with the widget and the others on demand.

    Synced traits: ``layer`` (a model layer), ``neuron`` and ``token``.
    """

    _module = "neuron"

    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    layers = traitlets.List(traitlets.Int()).tag(sync=True)
    n_neurons = traitlets.Int(1).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    neuron = traitlets.Int(0).tag(sync=True)
    token = traitlets.Int(None, allow_none=True).tag(sync=True)
    #: ``{}`` without examples, else ``{"layers", "k", "context", "n_docs", "n_tokens",
    #: "source"}`` of the :class:`TopActivations`.
    examples_info = traitlets.Dict().tag(sync=True)
    #: The token strings example windows index into (``TopActivations.vocab``).
    example_tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: float32 ``[example_layer, 2, neuron]``: density (fraction > 0) and top activation.
    _example_stats = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        trace: Trace | None = None,
        *,
        activations: Any = None,
        tokens: Any = None,
        layers: Sequence[int] | None = None,
        layer: int | None = None,
        neuron: int | None = None,
        token: int | None = None,
        examples: TopActivations | None = None,
        export_neurons: int | Sequence[int] = DEFAULT_EXPORT_NEURONS,
        title: str | None = None,
        precision: Literal["float16", "float32"] = "float16",
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if trace is not None:
            if activations is not None or tokens is not None or layers is not None:
                raise TypeError("give either a trace or activations= and tokens=, not both")
            if not isinstance(trace, Trace):
                raise TypeError(
                    f"trace must be a mi_widgets.Trace, got {type(trace).__name__}; "
                    "for raw arrays use NeuronView(activations=..., tokens=...)"
                )
            if trace.mlp_post is None:
                raise ValueError(
                    "trace has no MLP activations: capture it with kinds=None or a kinds set "
                    "that includes 'mlp'"
                )
            activations, tokens, layers = trace.mlp_post, trace.tokens, trace.layers
            title = f"{trace.model_name} MLP neurons" if title is None else title
        elif activations is None or tokens is None:
            raise TypeError("NeuronView needs a Trace, or both activations= and tokens=")
        if precision not in ("float16", "float32"):
            raise ValueError(f"precision must be 'float16' or 'float32', got {precision!r}")
        max_bytes = check_byte_budget(max_bytes)

        values = _check_activations(activations)
        n_layers, n_tokens, n_neurons = values.shape
        tokens = check_tokens(tokens, n_tokens)
        layer_list = _check_layer_labels(layers, n_layers)
        if examples is not None:
            _check_examples(examples, n_neurons)
        if layer is None:
            shared = [i for i in layer_list if examples is not None and i in examples.layers]
            layer = shared[0] if shared else layer_list[0]
        layer = check_layer_member(layer, layer_list, "this view")
        if neuron is None:
            neuron = _most_active_neuron(values[layer_list.index(layer)])
        check_index(neuron, n_neurons, "neuron")
        if token is not None:
            check_index(token, n_tokens, "token")
        self._values = values.astype(np.float16) if precision == "float16" else values
        self._examples = examples
        self._export = _check_export_neurons(export_neurons, n_neurons)
        super().__init__(
            tokens=tokens,
            layers=layer_list,
            n_neurons=n_neurons,
            title=title or "",
            layer=layer,
            neuron=neuron,
            token=token,
            **_examples_traits(examples),
        )
        self._slices = self._initial_slices(max_bytes)

    # ---- slices -------------------------------------------------------------------------

    def _initial_slices(self, max_bytes: int) -> dict[str, EncodedArray]:
        layer_keys = [key for key in self.slice_keys() if key.startswith("layer:")]
        if self._values[0].nbytes * len(layer_keys) > max_bytes:
            layer_keys = layer_keys[:1]
        keys = layer_keys + self._example_keys(self.layer, self.neuron)
        return {key: self.encode_slice(key) for key in keys}

    def _example_keys(self, layer: int, neuron: int) -> list[str]:
        if self._examples is None or layer not in self._examples.layers:
            return []
        return [f"examples:{layer}:{neuron}", f"example-ids:{layer}:{neuron}"]

    def export_neurons(self, layer: int) -> list[int]:
        """The neurons of ``layer`` whose examples an exported report embeds, current first."""
        if self._examples is None or layer not in self._examples.layers:
            return []
        if isinstance(self._export, int):
            peak = self._values[self.layers.index(layer)].max(0).astype(np.float32)
            chosen = np.argsort(-peak, kind="stable")[: self._export].tolist()
        else:
            chosen = list(self._export)
        first = [self.neuron] if layer == self.layer else []
        return list(dict.fromkeys(first + chosen))

    def slice_keys(self) -> list[str]:
        """The current layer, the embedded examples, then the other layers.

        ``layer:<l>`` is float ``[pos, neuron]``; ``examples:<l>:<m>`` float32 ``[k, window]``
        (the neuron's activations around each example, NaN outside the document);
        ``example-ids:<l>:<m>`` int32 ``[k, 2 + window]``: document, position, then the index
        into ``example_tokens`` of each window token (-1 outside; document -1: no example).
        """
        layers = [self.layer, *(i for i in self.layers if i != self.layer)]
        examples = [
            key
            for layer in layers
            for neuron in self.export_neurons(layer)
            for key in self._example_keys(layer, neuron)
        ]
        return [f"layer:{layers[0]}", *examples, *(f"layer:{i}" for i in layers[1:])]

    def has_slice(self, key: str) -> bool:
        """Whether the kernel can serve ``key`` (any neuron's examples, not only exported)."""
        parts = key.split(":") if isinstance(key, str) else []
        try:
            numbers = [int(part) for part in parts[1:]]
        except ValueError:
            return False
        if parts[:1] == ["layer"] and len(numbers) == 1:
            return numbers[0] in self.layers
        if parts[:1] in (["examples"], ["example-ids"]) and len(numbers) == 2:
            layer, neuron = numbers
            return bool(self._example_keys(layer, neuron)) and 0 <= neuron < self.n_neurons
        return False

    def encode_slice(self, key: str) -> EncodedArray:
        """The encoded array of ``key`` (see :meth:`slice_keys`)."""
        if not self.has_slice(key):
            raise KeyError(f"NeuronView has no slice {key!r}")
        kind, *numbers = key.split(":")
        if kind == "layer":
            return encode_array(self._values[self.layers.index(int(numbers[0]))])
        assert self._examples is not None
        i, neuron = self._examples.layer_index(int(numbers[0])), int(numbers[1])
        if kind == "examples":
            return encode_array(self._examples.window_values[i, neuron].astype(np.float32))
        where = np.stack([self._examples.docs[i, neuron], self._examples.positions[i, neuron]], 1)
        ids = np.concatenate([where, self._examples.window_tokens[i, neuron]], axis=1)
        return encode_array(ids.astype(np.int32))

    # ---- data ---------------------------------------------------------------------------

    @property
    def activations(self) -> np.ndarray:
        """float32 ``[layer, pos, neuron]`` as the page sees them (after ``precision``)."""
        return self._values.astype(np.float32)

    @property
    def examples(self) -> TopActivations | None:
        """The corpus examples shown, or ``None``."""
        return self._examples

    def top_neurons(self, token: int, k: int = 10) -> list[tuple[int, float]]:
        """``(neuron, activation)`` of the ``k`` most active neurons at ``token`` (this layer)."""
        check_index(token, len(self.tokens), "token")
        row = self.activations[self.layers.index(self.layer), token]
        order = np.argsort(-row, kind="stable")[:k]
        return [(int(m), float(row[m])) for m in order]

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: dict[str, Any]) -> int:
        return check_layer_member(proposal["value"], self.layers, "this view")

    @traitlets.validate("neuron")
    def _valid_neuron(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], self.n_neurons, "neuron")

    @traitlets.validate("token")
    def _valid_token(self, proposal: dict[str, Any]) -> int | None:
        value = proposal["value"]
        return None if value is None else check_index(value, len(self.tokens), "token")

    def __repr__(self) -> str:
        token = "" if self.token is None else f", token={self.token}"
        return (
            f"NeuronView({len(self.tokens)} tokens x {self.n_neurons} neurons, layers "
            f"{self.layers}, layer={self.layer}, neuron={self.neuron}{token})"
        )


def _check_activations(values: Any) -> np.ndarray:
    """float32 ``[layer, pos, neuron]`` (no copy of a float32 CPU tensor or array)."""
    if hasattr(values, "detach"):
        values = values.detach().to("cpu", copy=False)
        values = values.float().numpy() if values.dtype.is_floating_point else values.numpy()
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(
            "activations must be a torch tensor, numpy array or nested list of numbers, "
            f"got {type(values).__name__}"
        ) from error
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or 0 in array.shape:
        raise ValueError(
            "activations must have shape [layer, pos, neuron] or [pos, neuron] with at least "
            f"one token and neuron, got shape {list(array.shape)}"
        )
    finite = np.isfinite(array)
    if not finite.all():
        where = [int(i) for i in np.argwhere(~finite)[0]]
        raise ValueError(f"activations has a non-finite value {array[tuple(where)]} at {where}")
    return array


def _most_active_neuron(values: np.ndarray) -> int:
    """The neuron with the highest activation over the positions of ``[pos, neuron]``."""
    return int(np.argmax(values.max(axis=0)))


def _check_layer_labels(layers: Sequence[int] | None, n_layers: int) -> list[int]:
    """The model layer of each of the ``n_layers`` rows of the activations (distinct ints)."""
    if layers is None:
        return list(range(n_layers))
    items = list(layers)
    if len(items) != n_layers or len(set(items)) != n_layers:
        raise ValueError(
            f"layers must name {n_layers} distinct model layers (one per row of activations), "
            f"got {items}"
        )
    for item in items:
        if not is_int(item):
            raise TypeError(f"layers must hold ints, got {item!r} ({type(item).__name__})")
    return [int(i) for i in items]


def _check_examples(examples: Any, n_neurons: int) -> None:
    if not isinstance(examples, TopActivations):
        raise TypeError(
            "examples must be a mi_widgets.TopActivations (from mw.top_activations(...)), "
            f"got {type(examples).__name__}"
        )
    if examples.n_neurons != n_neurons:
        raise ValueError(
            f"examples has {examples.n_neurons} neurons per layer but the activations have "
            f"{n_neurons}: use examples of the same model"
        )


def _check_export_neurons(value: Any, n_neurons: int) -> int | list[int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"export_neurons must be >= 0, got {value}")
        return int(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"export_neurons must be an int or a list of neuron indices, got {type(value).__name__}"
        )
    return [check_index(m, n_neurons, f"export_neurons[{i}]") for i, m in enumerate(value)]


def _examples_traits(examples: TopActivations | None) -> dict[str, Any]:
    if examples is None:
        return {"examples_info": {}, "example_tokens": [], "_example_stats": {}}
    top = np.nan_to_num(examples.values[:, :, 0], nan=0.0)
    stats = np.stack([examples.density, top], axis=1).astype(np.float32)
    return {
        "examples_info": {
            "layers": list(examples.layers),
            "k": examples.k,
            "context": examples.context,
            "n_docs": examples.n_docs,
            "n_tokens": examples.n_tokens,
            "source": examples.source,
        },
        "example_tokens": list(examples.vocab),
        "_example_stats": encode_array(stats),
    }
