"""Activation patching: which activations carry the difference between two inputs.

Run a clean and a corrupted input, then run the corrupted input again with one activation
replaced by its clean value (denoising; or the reverse, noising) and see how much of the clean
behaviour comes back. Many patches share one forward pass: every row of a batch patches a
different cell.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.hooks import capture_mode
from ..capture.reader import CorpusReader
from ..capture.readout import logits_at
from ..capture.sites import head_shape, n_layers, reading
from ..checks import check_layers, check_token_position, positive_int
from ._archive import read_archive, write_archive
from ._exact_patching import exact_logits
from .metrics import bind_metric, metric_name
from .patch_estimates import cell_estimates, gradient_pass, largest

#: Component names and the site each patches.
COMPONENTS = {
    "resid": "hook_resid_post",
    "resid_pre": "hook_resid_pre",
    "resid_post": "hook_resid_post",
    "attn": "hook_attn_out",
    "mlp": "hook_mlp_out",
    "head": "attn.hook_z",
}
#: The grids each component can be patched over; the first is the default.
GRIDS = {
    **{name: ("layer,position", "layer") for name in COMPONENTS if name != "head"},
    "head": ("layer,head", "layer,head,position"),
}
DIRECTIONS = ("denoise", "noise")
#: How cells are measured: patched one by one, estimated from one gradient, or estimated and
#: the ``verify`` largest then patched.
METHODS = ("exact", "attribution", "attribution+exact")


@dataclass(frozen=True, eq=False)
class PatchingResult:
    """What patching each cell did to the metric.

    Attributes:
        values: the normalised effect, ``(metric - corrupted) / (clean - corrupted)``: 0 is
            the corrupted run's metric and 1 the clean run's. Shape by ``over``:
            ``[layer, position]``, ``[layer]``, ``[layer, head]`` or ``[layer, head, position]``.
        raw: the metric of each patched run, same shape.
        clean_metric, corrupted_metric: the metric of the unpatched runs.
        clean_tokens, corrupted_tokens: the ``N`` token strings of the two inputs.
        top_ids, top_probs: ``[*values.shape, k]`` the patched runs' most likely next tokens
            at ``position`` and their probabilities.
        clean_top_ids, clean_top_probs, corrupted_top_ids, corrupted_top_probs: ``[k]`` the
            same for the unpatched runs.
        vocabulary: the token string of every id in the top lists.
        component, over, direction: what was patched, over which grid, which way.
        metric: how the metric is shown (e.g. ``logit(' Mary') - logit(' John')``).
        position: the position whose logits the metric read.
        layers: the model layers patched (rows of ``values``).
        model_name: the model's class name.
        method: ``"exact"`` (every cell patched), ``"attribution"`` (every value a first-order
            estimate) or ``"attribution+exact"`` (estimates, the largest patched exactly).
        estimates: with an attribution method, the normalised estimate of every cell (same
            shape as ``values``); ``None`` for exact patching.
        verified: with an attribution method, ``True`` where ``values`` comes from exact
            patching (the rest are estimates); ``None`` for exact patching.

    With an attribution method ``raw`` holds the estimated metric, and the top predictions of
    cells that were not patched exactly are the base run's with NaN probabilities (a gradient
    estimates the metric, not the patched run's predictions).
    """

    values: np.ndarray
    raw: np.ndarray
    clean_metric: float
    corrupted_metric: float
    clean_tokens: list[str]
    corrupted_tokens: list[str]
    top_ids: np.ndarray
    top_probs: np.ndarray
    clean_top_ids: np.ndarray
    clean_top_probs: np.ndarray
    corrupted_top_ids: np.ndarray
    corrupted_top_probs: np.ndarray
    vocabulary: dict[int, str]
    component: str
    over: str
    direction: str
    metric: str
    position: int
    layers: tuple[int, ...]
    model_name: str
    method: str = "exact"
    estimates: np.ndarray | None = None
    verified: np.ndarray | None = None

    @property
    def is_estimate(self) -> bool:
        """Whether some values are first-order estimates rather than patched runs."""
        return self.verified is not None and not bool(self.verified.all())

    @property
    def axes(self) -> tuple[str, ...]:
        """The names of the axes of :attr:`values`, e.g. ``("layer", "position")``."""
        return tuple(self.over.split(","))

    @property
    def position_labels(self) -> list[str]:
        """Each position as ``token_index`` (``" John_7"``), from the clean input."""
        return [f"{token}_{i}" for i, token in enumerate(self.clean_tokens)]

    def top(self, n: int = 5) -> list[tuple[dict[str, int], float]]:
        """The ``n`` cells with the largest effect, as ``({axis: index}, value)``.

        Layers are model layers; NaN cells are left out.
        """
        flat = np.nan_to_num(self.values, nan=-np.inf).ravel()
        order = np.argsort(-flat, kind="stable")[: positive_int(n, "n")]
        cells = []
        for index in order:
            coords = np.unravel_index(index, self.values.shape)
            cell = dict(zip(self.axes, (int(c) for c in coords), strict=True))
            cell["layer"] = self.layers[cell["layer"]]
            cells.append((cell, float(self.values[coords])))
        return cells

    def predictions(self, cell: tuple[int, ...]) -> list[tuple[str, float]]:
        """``(token, probability)`` pairs the run patched at ``cell`` (indices into
        :attr:`values`) predicts at :attr:`position`, most likely first."""
        ids, probs = self.top_ids[tuple(cell)], self.top_probs[tuple(cell)]
        return [(self.vocabulary[int(i)], float(p)) for i, p in zip(ids, probs, strict=True)]

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write to ``path`` (``.npz``: the arrays plus JSON metadata)."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        arrays |= {
            name: getattr(self, name) for name in _ESTIMATES if getattr(self, name) is not None
        }
        meta = {name: getattr(self, name) for name in _META}
        meta["layers"] = list(self.layers)
        meta["vocabulary"] = {str(k): v for k, v in self.vocabulary.items()}
        return write_archive(path, "patching", 1, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> PatchingResult:
        """Read a result written by :meth:`save`."""
        arrays, meta = read_archive(path, "patching", 1)
        meta["layers"] = tuple(meta["layers"])
        meta["vocabulary"] = {int(k): v for k, v in meta["vocabulary"].items()}
        fields: dict[str, Any] = {name: arrays[name] for name in _ARRAYS}
        fields |= {name: arrays.get(name) for name in _ESTIMATES}
        fields |= {name: meta[name] for name in _META if name != "method"}
        fields["method"] = meta.get("method", "exact")  # files from before attribution
        return cls(**fields, vocabulary=meta["vocabulary"], layers=meta["layers"])

    def __repr__(self) -> str:
        shape = " x ".join(f"{n} {a}s" for n, a in zip(self.values.shape, self.axes, strict=True))
        method = "" if self.method == "exact" else f" ({self.method})"
        return (
            f"PatchingResult({self.model_name}: {self.direction} {self.component}{method} over "
            f"{shape}; {self.metric} clean {self.clean_metric:.3g}, corrupted "
            f"{self.corrupted_metric:.3g})"
        )


_ARRAYS = (
    "values",
    "raw",
    "top_ids",
    "top_probs",
    "clean_top_ids",
    "clean_top_probs",
    "corrupted_top_ids",
    "corrupted_top_probs",
)
_META = (
    "clean_metric",
    "corrupted_metric",
    "clean_tokens",
    "corrupted_tokens",
    "component",
    "over",
    "direction",
    "metric",
    "position",
    "model_name",
    "method",
)
_ESTIMATES = ("estimates", "verified")


def patch(
    model: Any,
    tokenizer: Any,
    clean: str,
    corrupted: str,
    metric: Any,
    *,
    component: str = "resid",
    over: str | None = None,
    direction: str = "denoise",
    position: int = -1,
    layers: Any = None,
    batch_size: int = 32,
    top_k: int = 5,
    method: str = "exact",
    verify: int | None = None,
) -> PatchingResult:
    """Patch every cell of one component from one run into the other and measure ``metric``.

    Args:
        model: a Hugging Face model of a supported family with its LM head, or a
            TransformerLens ``HookedTransformer``.
        tokenizer: its tokenizer (``None`` uses ``model.tokenizer`` for TransformerLens).
        clean, corrupted: two texts of the same number of tokens.
        metric: :func:`~mi_widgets.logit_diff` or a callable ``logits [batch, d_vocab] ->
            [batch]`` applied to the logits at ``position`` (differentiable for the
            attribution methods).
        component: ``"resid"`` (the residual stream leaving each block, = ``"resid_post"``),
            ``"resid_pre"``, ``"attn"`` (attention output), ``"mlp"`` (MLP output) or
            ``"head"`` (each head's output, before the output projection mixes them).
        over: the grid of cells: ``"layer,position"`` (default) or ``"layer"`` (all
            positions at once) for the first four; ``"layer,head"`` (default: a head at all
            positions) or ``"layer,head,position"`` for heads.
        direction: ``"denoise"`` runs the corrupted input with clean activations patched in;
            ``"noise"`` runs the clean input with corrupted ones.
        position: the position whose logits the metric reads (negative from the end).
        layers: model layers to patch; ``None`` for all.
        batch_size: patched runs per forward pass.
        top_k: predictions kept per patched run.
        method: ``"exact"`` patches every cell; ``"attribution"`` estimates every cell as
            (activation difference) · (gradient of the metric) from one forward pass over
            both inputs and one backward pass (see :mod:`~mi_widgets.analysis.patch_estimates`);
            ``"attribution+exact"`` estimates every cell, then patches the ``verify`` cells
            of largest estimated magnitude exactly.
        verify: how many cells ``"attribution+exact"`` patches exactly (default 10).

    Returns:
        A :class:`PatchingResult`; ``values`` is normalised so that 0 is the corrupted run's
        metric and 1 the clean run's, whichever the direction.

    Attribution patching covers every grid and both directions. Its estimate of a head's
    output ``z`` needs no correction for a saturated softmax (AtP*): the patch writes the
    clean ``z``, the head's own softmax already evaluated, so the head's query, key and value
    changes enter together and exactly; what stays first-order is everything downstream of
    the cell (later norms, MLPs and the attention softmaxes the cell's output feeds), which
    neither AtP nor AtP*'s query/key correction linearises away. AtP*'s GradDrop is not
    applied.

    Example:
        >>> clean = "key = value; key = value; key ="
        >>> corrupted = "key = error; key = error; key ="
        >>> result = mw.patch(model, tokenizer, clean, corrupted,
        ...                   mw.logit_diff(" value", " error"))
        >>> [(cell, round(value, 2)) for cell, value in result.top(2)]
        [({'layer': 1, 'position': 10}, 1.0), ({'layer': 0, 'position': 7}, 0.56)]
        >>> checked = mw.patch(model, tokenizer, clean, corrupted,
        ...                    mw.logit_diff(" value", " error"),
        ...                    method="attribution+exact", verify=3)
        >>> int(checked.verified.sum()), checked.is_estimate
        (3, True)
    """
    if component not in COMPONENTS:
        raise ValueError(f"component must be one of {', '.join(COMPONENTS)}, got {component!r}")
    grids = GRIDS[component]
    over = grids[0] if over is None else over
    if over not in grids:
        raise ValueError(
            f"over = {over!r} does not apply to component {component!r}: expected one of "
            f"{', '.join(map(repr, grids))}"
        )
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'denoise' or 'noise', got {direction!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    if verify is not None and method != "attribution+exact":
        raise ValueError(
            f"verify = {verify!r} applies to method='attribution+exact' only, not {method!r}"
        )
    verify = positive_int(10 if verify is None else verify, "verify")
    batch_size = positive_int(batch_size, "batch_size")
    top_k = positive_int(top_k, "top_k")
    reader = CorpusReader(model, tokenizer)
    score = bind_metric(metric, reader.tokenizer)
    ids = _pair(reader, clean, corrupted)
    n_tokens = ids.shape[1]
    position = check_token_position(position, n_tokens, "the inputs")
    count = n_layers(model)
    chosen = list(
        range(count) if layers is None else check_layers(layers, count, type(model).__name__)
    )
    sites = [f"blocks.{layer}.{COMPONENTS[component]}" for layer in chosen]
    source, base = (0, 1) if direction == "denoise" else (1, 0)

    if method == "exact":
        with torch.no_grad(), _eval_mode(model), reading(model, sites) as records:
            both = logits_at(model, lambda: reader.forward(ids, mask(ids)), position)
    else:
        run = gradient_pass(model, reader, ids, score, sites, position, base)
        both, records = run.logits, run.records
    metrics = score(both).float()
    if metrics.shape != (2,):
        raise ValueError(
            f"metric returned shape {tuple(metrics.shape)} for logits of shape "
            f"{tuple(both.shape)}: expected one number per run, shape (2,)"
        )
    clean_metric, corrupted_metric = (float(m) for m in metrics)
    if clean_metric == corrupted_metric:
        raise ValueError(
            f"the metric is {clean_metric:.6g} on both clean and corrupted inputs: there is no "
            "difference to patch (choose inputs or a metric that tell them apart)"
        )
    donors = {site: records[site][source] for site in sites}
    sizes = {"layer": len(chosen), "position": n_tokens, "head": head_shape(model)[0]}
    cells, shape = _cells(over, sizes)
    base_logits = both[base : base + 1]
    if method == "exact":
        patched = torch.arange(len(cells))
        raw = None
    else:
        raw = float(metrics[base]) + cell_estimates(run, sites, over, source).flatten().cpu()
        patched = largest(raw - float(metrics[base]), min(verify, len(cells)))
        patched = patched if method == "attribution+exact" else patched[:0]
    logits = base_logits.expand(len(cells), -1).clone()
    logits[patched] = exact_logits(
        model, reader, ids[base], donors, cells[patched], over, position, batch_size, base_logits
    )
    logits, both = logits.float().cpu(), both.float().cpu()  # the model's device until here
    exact = score(logits).float()
    top = logits.softmax(-1).topk(top_k, dim=-1)
    first = both.softmax(-1).topk(top_k, dim=-1)
    top_probs = top.values
    verified = None
    raw_values = exact
    if raw is not None:
        verified = torch.zeros(len(cells), dtype=torch.bool)
        verified[patched] = True
        top_probs = top_probs.masked_fill(~verified[:, None], float("nan"))
        raw_values = torch.where(verified, exact, raw)
    raw_values = raw_values.reshape(shape)
    all_ids = torch.cat([top.indices, first.indices])
    vocabulary = dict(zip(*_decode_unique(reader, all_ids), strict=True))

    def normalised(metric_values: torch.Tensor) -> np.ndarray:
        shifted = metric_values.reshape(shape).numpy() - corrupted_metric
        return (shifted / (clean_metric - corrupted_metric)).astype(np.float32)

    return PatchingResult(
        values=normalised(raw_values),
        raw=raw_values.numpy().astype(np.float32),
        clean_metric=clean_metric,
        corrupted_metric=corrupted_metric,
        clean_tokens=reader.decode(ids[0].numpy()),
        corrupted_tokens=reader.decode(ids[1].numpy()),
        top_ids=top.indices.reshape(*shape, top_k).numpy(),
        top_probs=top_probs.reshape(*shape, top_k).numpy().astype(np.float32),
        clean_top_ids=first.indices[0].numpy(),
        clean_top_probs=first.values[0].numpy().astype(np.float32),
        corrupted_top_ids=first.indices[1].numpy(),
        corrupted_top_probs=first.values[1].numpy().astype(np.float32),
        vocabulary=vocabulary,
        component=component,
        over=over,
        direction=direction,
        metric=metric_name(metric),
        position=position,
        layers=tuple(chosen),
        model_name=type(model).__name__,
        method=method,
        estimates=None if raw is None else normalised(raw),
        verified=None if verified is None else verified.reshape(shape).numpy(),
    )


def mask(ids: torch.Tensor) -> torch.Tensor:
    """The attention mask of unpadded ids: all ones."""
    return torch.ones_like(ids)


def _pair(reader: CorpusReader, clean: Any, corrupted: Any) -> torch.Tensor:
    """``[2, N]`` token ids of clean and corrupted; the same length or a clear error."""
    for name, text in (("clean", clean), ("corrupted", corrupted)):
        if not isinstance(text, str) or not text:
            raise TypeError(f"{name} must be a non-empty str, got {text!r}")
    encoded = [list(ids) for ids in reader.tokenizer([clean, corrupted])["input_ids"]]
    if len(encoded[0]) != len(encoded[1]):
        shown = [reader.decode(np.asarray(ids)) for ids in encoded]
        raise ValueError(
            "clean and corrupted must have the same number of tokens, got "
            f"{len(encoded[0])} and {len(encoded[1])}:\n  clean:     {shown[0]}\n"
            f"  corrupted: {shown[1]}"
        )
    if not encoded[0]:
        raise ValueError("clean and corrupted give no tokens")
    if reader.limit is not None and len(encoded[0]) > reader.limit:
        raise ValueError(
            f"clean and corrupted are {len(encoded[0])} tokens long but {reader.name} takes at "
            f"most {reader.limit}"
        )
    return torch.tensor(encoded, dtype=torch.long)


def _cells(over: str, sizes: dict[str, int]) -> tuple[torch.Tensor, tuple[int, ...]]:
    """``([cell, 3], grid shape)``: each cell's (layer row, position, head), -1 where the grid
    has no such axis (all positions, or not a head), in row-major grid order."""
    axes = over.split(",")
    grids = torch.meshgrid(*(torch.arange(sizes[axis]) for axis in axes), indexing="ij")
    columns = {axis: grid.reshape(-1) for axis, grid in zip(axes, grids, strict=True)}
    everywhere = torch.full_like(columns["layer"], -1)
    cells = [columns.get(axis, everywhere) for axis in ("layer", "position", "head")]
    return torch.stack(cells, dim=1), tuple(sizes[axis] for axis in axes)


def _decode_unique(reader: CorpusReader, ids: torch.Tensor) -> tuple[list[int], list[str]]:
    unique = torch.unique(ids).tolist()
    return unique, reader.decode(np.asarray(unique))


def _eval_mode(model: Any) -> Any:
    """Eval mode (no dropout) inside the block, restored after."""
    return capture_mode(model, eager=False)
