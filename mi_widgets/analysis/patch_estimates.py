"""Attribution patching: a first-order estimate of every patching cell from one gradient.

Patching a cell replaces the base run's activation ``a`` by the source run's ``a'``; to first
order the metric moves by ``(a' - a) · dM/da``, the gradient read at the base run (attribution
patching, Nanda 2023; AtP, Kramár et al. 2024). One forward pass over the clean and corrupted
inputs together (a batch of two) and one backward pass of the base run's metric give the
activation difference and the gradient at every site at once; summing their product over a
cell's positions, heads and features gives every cell of a grid in one tensor operation.

The estimate is exact when the metric is linear in the patched activation (nothing
non-linear between the site and the metric, e.g. the last block's MLP output read by a
model without a final norm) and drifts where norms, MLPs and attention softmaxes downstream
bend the path. :func:`patching_agreement` measures how well estimates rank the cells against
exact patching.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..capture.hooks import capture_mode
from ..capture.readout import _StopForwardError, final_residual, readout
from ..capture.sites import at_site
from ..checks import positive_int

if TYPE_CHECKING:
    from ..capture.reader import CorpusReader


@dataclass(frozen=True)
class GradientPass:
    """One forward pass over ``[2, N]`` ids (clean, corrupted) and the gradient of one run's
    metric.

    Attributes:
        logits: ``[2, d_vocab]`` float32 logits of both runs at the metric's position.
        records: each site's activation ``[2, pos, ...]`` in both runs.
        gradients: each site's gradient of the base run's metric ``[pos, ...]``.
    """

    logits: torch.Tensor
    records: dict[str, torch.Tensor]
    gradients: dict[str, torch.Tensor]


def gradient_pass(
    model: Any,
    reader: CorpusReader,
    ids: torch.Tensor,
    score: Callable[[torch.Tensor], torch.Tensor],
    sites: list[str],
    position: int,
    base: int,
) -> GradientPass:
    """Run ``ids`` ``[2, N]`` once with autograd on, record ``sites``, and take the gradient
    of ``score(logits)[base]`` with respect to each site's activation (one backward pass;
    parameters' ``.grad`` stay untouched).

    Raises:
        ValueError: when the metric's output is not connected to the logits by a gradient.
    """
    records: dict[str, torch.Tensor] = {}
    offsets: dict[str, torch.Tensor] = {}

    def watch(site: str):
        def edit(x: torch.Tensor) -> torch.Tensor:
            records[site] = x.detach().clone()
            offsets[site] = torch.zeros_like(x, requires_grad=True)
            return x + offsets[site]  # the same values; d metric / d offset = d metric / d x

        return edit

    with torch.enable_grad():
        with ExitStack() as stack:
            stack.enter_context(capture_mode(model, eager=False))
            for site in sites:
                stack.enter_context(at_site(model, site, watch(site)))
            found = stack.enter_context(final_residual(model, position, keep_graph=True))
            with suppress(_StopForwardError):
                reader.run(ids, torch.ones_like(ids))
        if not found:
            raise RuntimeError(f"the forward pass of {type(model).__name__} never reached its head")
        logits = readout(model).unembed(found[0][:, None])[:, 0].float()
        metrics = score(logits)
        if not isinstance(metrics, torch.Tensor) or not metrics.requires_grad:
            raise ValueError(
                "method='attribution' needs the gradient of the metric with respect to the "
                f"logits, but the metric returned {_describe(metrics)} with no gradient: compute "
                "it from the logits with differentiable torch operations (no .detach(), "
                "argmax, .item() or numpy)"
            )
        if metrics.shape != (2,):
            raise ValueError(
                f"metric returned shape {tuple(metrics.shape)} for logits of shape "
                f"{tuple(logits.shape)}: expected one number per run, shape (2,)"
            )
        gradients = torch.autograd.grad(
            metrics[base], [offsets[site] for site in sites], allow_unused=True
        )
    return GradientPass(
        logits=logits.detach(),
        records=records,
        gradients={
            site: torch.zeros_like(offsets[site][base]) if g is None else g[base]
            for site, g in zip(sites, gradients, strict=True)
        },
    )


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of dtype {value.dtype}"
    return f"a {type(value).__name__}"


def cell_estimates(run: GradientPass, sites: list[str], over: str, source: int) -> torch.Tensor:
    """The estimated change of the base run's metric for every cell of the grid ``over``:
    ``(source activation - base activation) · gradient`` summed over each cell.

    Shape by ``over``: ``[layer, position]``, ``[layer]``, ``[layer, head]`` or
    ``[layer, head, position]`` (``layer`` runs over ``sites``).
    """
    base = 1 - source
    product = torch.stack(
        [
            (run.records[site][source] - run.records[site][base]).float()
            * run.gradients[site].float()
            for site in sites
        ]
    )  # [layer, pos, width] or [layer, pos, head, d_head]
    if over == "layer,position":
        return product.sum(-1)
    if over == "layer":
        return product.flatten(1).sum(1)
    if over == "layer,head":
        return product.sum(dim=(1, 3))
    return product.sum(-1).transpose(1, 2)  # layer,head,position


def largest(estimates: torch.Tensor, k: int) -> torch.Tensor:
    """Flat (row-major) indices of the ``k`` cells of largest magnitude, largest first."""
    return torch.argsort(estimates.flatten().abs(), descending=True, stable=True)[:k]


#: Effects (1 = the clean-corrupted difference) closer than this tie when ranked, and a
#: relative difference under which two cells count as tied for first.
TIED = 1e-5


@dataclass(frozen=True)
class PatchingAgreement:
    """How well one patching result ranks the cells of another (e.g. estimates against
    exact patching of the same grid).

    Attributes:
        spearman: Spearman rank correlation of the cells' effects, rounded to ``TIED`` first
            (cells that differ by float error, e.g. the many that change nothing, tie; ties
            get their mean rank; NaN when either result is the same in every cell).
        top_cell_agrees: whether the cell of largest effect (in magnitude) in ``estimate`` is
            the largest in ``reference`` (or tied with it, within a relative ``TIED``).
        top_k_overlap: the fraction of the ``k`` cells of largest effect in ``reference``
            that are also among the ``k`` of largest effect in ``estimate``.
        k: the number of top cells compared.
    """

    spearman: float
    top_cell_agrees: bool
    top_k_overlap: float
    k: int


def patching_agreement(estimate: Any, reference: Any, k: int = 10) -> PatchingAgreement:
    """Compare two results of the same grid (cells with a NaN in either are left out).

    A cell's effect is its distance from the unpatched run: ``values`` when denoising,
    ``values - 1`` when noising (arrays are taken as effects).

    Args:
        estimate, reference: :class:`~mi_widgets.PatchingResult` s or arrays of the same
            shape; typically ``method="attribution"`` against exact patching.
        k: how many top cells to compare (at most the number of cells).

    Example:
        >>> clean = "key = value; key = value; key ="
        >>> corrupted = "key = error; key = error; key ="
        >>> metric = mw.logit_diff(" value", " error")
        >>> exact = mw.patch(model, tokenizer, clean, corrupted, metric)
        >>> fast = mw.patch(model, tokenizer, clean, corrupted, metric, method="attribution")
        >>> agreement = mw.patching_agreement(fast, exact, k=5)
        >>> agreement.top_cell_agrees, agreement.spearman > 0.5
        (True, True)
    """
    a, b = _effects(estimate), _effects(reference)
    if a.shape != b.shape:
        raise ValueError(
            f"estimate and reference must be results of the same grid, got shapes {a.shape} "
            f"and {b.shape}"
        )
    kept = ~(np.isnan(a) | np.isnan(b))
    a, b = a[kept], b[kept]
    k = positive_int(k, "k")
    if k > a.size:
        raise ValueError(f"k = {k} is more than the {a.size} cells compared")
    order_a, order_b = (np.argsort(-np.abs(x), kind="stable") for x in (a, b))
    ranks_a, ranks_b = _ranks(np.round(a / TIED)), _ranks(np.round(b / TIED))
    constant = ranks_a.std() == 0 or ranks_b.std() == 0
    return PatchingAgreement(
        spearman=float("nan") if constant else float(np.corrcoef(ranks_a, ranks_b)[0, 1]),
        top_cell_agrees=bool(np.abs(b[order_a[0]]) >= (1 - TIED) * np.abs(b[order_b[0]])),
        top_k_overlap=len(set(order_a[:k].tolist()) & set(order_b[:k].tolist())) / k,
        k=k,
    )


def _effects(result: Any) -> np.ndarray:
    """A result's change from the unpatched run per cell (an array as it is), float64."""
    values = getattr(result, "values", result)
    shift = 1.0 if getattr(result, "direction", "denoise") == "noise" else 0.0
    return np.asarray(values, dtype=np.float64) - shift


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``, tied values sharing their mean rank."""
    order = np.argsort(values, kind="stable")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    return ranks
