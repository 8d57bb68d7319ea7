"""PatchingView: the effect of patching each cell, as a diverging heatmap."""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..analysis.patching import PatchingResult
from ..checks import check_index
from ._serialization import EncodedArray, encode_array
from .base import SlicedView


class PatchingView(SlicedView):
    """A heatmap of a :class:`~mi_widgets.PatchingResult`; click a cell for the patched run's
    predictions next to the clean and corrupted ones.

    ::

        result = mw.patch(model, tokenizer, clean, corrupted, mw.logit_diff(" Mary", " John"))
        view = mw.PatchingView(result)
        view.cell                    # {"layer": 1, "position": 7} after a click in the page
        view.row, view.column = 0, 3 # the page follows

    Rows are layers (``L3``), or layer and head (``L3H1``) for ``over="layer,head,position"``;
    columns are positions labelled ``token_index`` from the clean input, heads (``H0``), or
    one column for ``over="layer"``. Colours: blue below 0, red above, white at 0, on a scale
    symmetric around 0 that reaches the largest magnitude (at least 1, the clean run). Values
    travel as float32, exactly. Results of attribution patching say so in the title and
    subtitle (values are estimates); their estimated cells list no patched predictions.

    Args:
        result: what :func:`~mi_widgets.patch` returned (or :meth:`PatchingResult.load`).
        row, column: the selected cell; by default the one with the largest effect.
        title: the heading; by default what was patched and the metric.

    Synced traits: ``row``, ``column``.
    """

    _module = "patching"

    title = traitlets.Unicode("").tag(sync=True)
    subtitle = traitlets.Unicode("").tag(sync=True)
    row_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    column_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: What the columns are: ``"position"``, ``"head"`` or ``"all positions"``.
    column_axis = traitlets.Unicode("position").tag(sync=True)
    row = traitlets.Int(0).tag(sync=True)
    column = traitlets.Int(0).tag(sync=True)
    #: The normalised effect ``[row, column]`` (float32), then the raw metric.
    _values = traitlets.Dict().tag(sync=True)
    _raw = traitlets.Dict().tag(sync=True)
    #: Top predictions: ``vocabulary`` (strings), ``ids`` int32 ``[row, column, k]`` indices
    #: into it and ``probs`` float32 of the same shape, and ``clean``/``corrupted`` lists of
    #: ``[token, probability]``.
    _predictions = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        result: PatchingResult,
        *,
        row: int | None = None,
        column: int | None = None,
        title: str | None = None,
    ) -> None:
        if not isinstance(result, PatchingResult):
            raise TypeError(
                "result must be a mi_widgets.PatchingResult (from mw.patch(...)), got "
                f"{type(result).__name__}"
            )
        self._result = result
        values = _as_grid(result, result.values)
        n_rows, n_columns = values.shape
        if row is None and column is None:
            best = np.nanargmax(np.nan_to_num(values, nan=-np.inf))
            row, column = (int(i) for i in np.unravel_index(best, values.shape))
        super().__init__(
            title=_title(result) if title is None else title,
            subtitle=(
                f"{result.metric}: clean {result.clean_metric:.4g}, corrupted "
                f"{result.corrupted_metric:.4g}; 1 = clean, 0 = corrupted{_estimated(result)}"
            ),
            row_labels=_row_labels(result),
            column_labels=_column_labels(result, n_columns),
            column_axis={"position": "position", "head": "head"}.get(
                result.axes[-1], "all positions"
            ),
            row=check_index(0 if row is None else row, n_rows, "row"),
            column=check_index(0 if column is None else column, n_columns, "column"),
            _values=encode_array(values.astype(np.float32)),
            _raw=encode_array(_as_grid(result, result.raw).astype(np.float32)),
            _predictions=_predictions(result),
        )

    @property
    def result(self) -> PatchingResult:
        return self._result

    @property
    def cell(self) -> dict[str, int]:
        """The selected cell by axis, with the model layer: e.g. ``{"layer": 1, "position": 7}``."""
        index = np.unravel_index(
            self.row * len(self.column_labels) + self.column, self._result.values.shape
        )
        cell = dict(zip(self._result.axes, (int(i) for i in index), strict=True))
        cell["layer"] = self._result.layers[cell["layer"]]
        return cell

    @property
    def value(self) -> float:
        """The normalised effect of the selected cell."""
        return float(_as_grid(self._result, self._result.values)[self.row, self.column])

    def slice_keys(self) -> list[str]:
        """None: the grid is small and travels whole in ``_values``."""
        return []

    def encode_slice(self, key: str) -> EncodedArray:
        raise KeyError(f"PatchingView has no slice {key!r}")

    @traitlets.validate("row")
    def _valid_row(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], len(self.row_labels), "row")

    @traitlets.validate("column")
    def _valid_column(self, proposal: dict[str, Any]) -> int:
        return check_index(proposal["value"], len(self.column_labels), "column")

    def __repr__(self) -> str:
        return f"PatchingView({self._result!r}, selected {self.cell} = {self.value:.4f})"


def _as_grid(result: PatchingResult, values: np.ndarray) -> np.ndarray:
    """``values`` as ``[row, column]``: layer (x head) rows, position / head columns."""
    if values.ndim == 1:
        return values[:, None]
    return values.reshape(-1, values.shape[-1])


def _title(result: PatchingResult) -> str:
    what = {"resid": "residual stream", "resid_pre": "residual stream (block input)"}
    what |= {"resid_post": "residual stream", "attn": "attention output", "mlp": "MLP output"}
    what["head"] = "head outputs"
    verb = "Denoising" if result.direction == "denoise" else "Noising"
    title = f"{verb} {what[result.component]} over {result.over.replace(',', ' x ')}"
    return title if result.method == "exact" else f"{title}, estimated by attribution patching"


def _estimated(result: PatchingResult) -> str:
    """What of the values are estimates, for the subtitle ("" for exact patching)."""
    if result.verified is None:
        return ""
    note = "; values are first-order estimates (activation difference x gradient)"
    patched = int(result.verified.sum())
    return f"{note}, the {patched} largest patched exactly" if patched else note


def _row_labels(result: PatchingResult) -> list[str]:
    if result.over == "layer,head,position":
        n_heads = result.values.shape[1]
        return [f"L{layer}H{head}" for layer in result.layers for head in range(n_heads)]
    return [f"L{layer}" for layer in result.layers]


def _column_labels(result: PatchingResult, n_columns: int) -> list[str]:
    last = result.axes[-1]
    if last == "position":
        return result.position_labels
    if last == "head":
        return [f"H{head}" for head in range(n_columns)]
    return ["all positions"]


def _predictions(result: PatchingResult) -> dict[str, Any]:
    """The top predictions of every cell, with the ids as indices into a small vocabulary."""
    ids = sorted(result.vocabulary)
    lookup = np.searchsorted(ids, result.top_ids)
    k = result.top_ids.shape[-1]
    grid_shape = _as_grid(result, result.values).shape

    def pairs(top_ids: np.ndarray, probs: np.ndarray) -> list[list[Any]]:
        return [[result.vocabulary[int(i)], float(p)] for i, p in zip(top_ids, probs, strict=True)]

    return {
        "vocabulary": [result.vocabulary[i] for i in ids],
        "ids": encode_array(lookup.reshape(*grid_shape, k).astype(np.int32)),
        "probs": encode_array(result.top_probs.reshape(*grid_shape, k).astype(np.float32)),
        "clean": pairs(result.clean_top_ids, result.clean_top_probs),
        "corrupted": pairs(result.corrupted_top_ids, result.corrupted_top_probs),
        "position_label": result.position_labels[result.position],
    }
