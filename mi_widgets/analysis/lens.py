"""The logit lens: read every layer's residual stream through the model's own final norm and
unembedding, as if the model stopped there (nostalgebraist, 2020)."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.precision import model_device
from ..capture.readout import readout
from ..capture.trace import Trace
from ..checks import positive_int
from ._archive import read_archive, write_archive
from .metrics import token_id


@dataclass(frozen=True, eq=False)
class LogitLens:
    """What each layer would predict at each position.

    Rows are ``"embed"`` (the residual stream entering the first block, when the trace has
    it) and then each captured layer's output ``"L{layer}"``; for decoders the last row is the
    model's own prediction.

    Attributes:
        tokens: the ``N`` input token strings.
        rows: the row labels, e.g. ``["embed", "L0", "L1"]``.
        candidates: ``[C]`` token ids whose probability is kept everywhere: every top-k id
            of every cell, the next input tokens and the requested targets.
        candidate_tokens: their ``C`` strings.
        probs: ``[row, pos, C]`` float32 probability of each candidate.
        top: ``[row, pos, k]`` indices into ``candidates`` of the ``k`` most likely tokens,
            most likely first.
        targets: indices into ``candidates`` of the tokens asked for with ``targets=``.
        model_name: the model's class name.
    """

    tokens: list[str]
    rows: list[str]
    candidates: np.ndarray
    candidate_tokens: list[str]
    probs: np.ndarray
    top: np.ndarray
    targets: list[int]
    model_name: str

    @property
    def k(self) -> int:
        return self.top.shape[-1]

    def top_tokens(self, row: int, position: int) -> list[tuple[str, float]]:
        """``(token, probability)`` of the ``k`` most likely tokens at one cell."""
        index = self.top[row, position]
        probs = self.probs[row, position, index]
        return [(self.candidate_tokens[i], float(p)) for i, p in zip(index, probs, strict=True)]

    def probability(self, token: str | int, position: int = -1) -> np.ndarray:
        """``[row]`` probability of one candidate (its string or id) at ``position``."""
        if isinstance(token, str):
            found = [i for i, t in enumerate(self.candidate_tokens) if t == token]
        else:
            found = np.flatnonzero(self.candidates == token).tolist()
        if not found:
            raise KeyError(
                f"{token!r} is not among the {len(self.candidates)} tokens this lens kept: pass "
                "it in targets= to logit_lens"
            )
        return self.probs[:, position, found[0]]

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write to ``path`` (``.npz``)."""
        arrays = {"candidates": self.candidates, "probs": self.probs, "top": self.top}
        meta = {
            "tokens": self.tokens,
            "rows": self.rows,
            "candidate_tokens": self.candidate_tokens,
            "targets": self.targets,
            "model_name": self.model_name,
        }
        return write_archive(path, "logit_lens", 1, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> LogitLens:
        """Read a lens written by :meth:`save`."""
        arrays, meta = read_archive(path, "logit_lens", 1)
        del meta["format"], meta["version"]
        fields: dict[str, Any] = {**arrays, **meta}
        return cls(**fields)

    def __repr__(self) -> str:
        return (
            f"LogitLens({self.model_name}: {len(self.rows)} rows x {len(self.tokens)} positions, "
            f"{len(self.candidates)} candidate tokens)"
        )


def logit_lens(
    trace: Trace, *, model: Any = None, k: int = 5, targets: Any = (), tokenizer: Any = None
) -> LogitLens:
    """Decode every captured layer's residual stream with the final norm and unembedding.

    Args:
        trace: a :class:`~mi_widgets.Trace` with the residual stream (``kinds`` including
            ``"resid"``).
        k: the most likely tokens kept per cell.
        targets: tokens (strings of one token, or ids) whose probability the view can chart
            even where they are not in the top ``k``.
        model, tokenizer: by default the ones the trace came from.

    Example:
        >>> text = "key = value; key = value; key ="
        >>> lens = mw.logit_lens(mw.trace(model, tokenizer, text), targets=[" value"])
        >>> lens.rows
        ['embed', 'L0', 'L1']
        >>> token, probability = lens.top_tokens(row=-1, position=-1)[0]
        >>> token, round(probability, 2)
        (' value', 0.31)
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a mi_widgets.Trace, got {type(trace).__name__}")
    if trace.resid_post is None:
        raise ValueError(
            "trace has no residual stream: capture it with kinds including 'resid' "
            "(e.g. mw.trace(model, tokenizer, text))"
        )
    model, tokenizer = source(trace, model, tokenizer)
    k = positive_int(k, "k")
    target_ids = _target_ids(targets, tokenizer)
    head = readout(model)
    labels, resid = _rows(trace, trace.resid_post)
    device = model_device(model)
    dtype = next(iter(head.unembed.parameters())).dtype

    def log_probs(row: torch.Tensor) -> torch.Tensor:
        return head.logits(row.to(device, dtype)).float().log_softmax(-1).cpu()

    top_ids = torch.stack([log_probs(row).topk(k, dim=-1).indices for row in resid])
    next_ids = trace.input_ids[1:] if trace.causal else trace.input_ids[:0]
    candidates = torch.unique(torch.cat([top_ids.reshape(-1), next_ids, target_ids]))
    probs = torch.stack([log_probs(row)[:, candidates].exp() for row in resid])
    top = torch.searchsorted(candidates, top_ids)
    decoded = tokenizer.batch_decode(
        [[int(i)] for i in candidates], clean_up_tokenization_spaces=False
    )
    return LogitLens(
        tokens=list(trace.tokens),
        rows=labels,
        candidates=candidates.numpy(),
        candidate_tokens=decoded,
        probs=probs.numpy().astype(np.float32),
        top=top.numpy().astype(np.int32),
        targets=torch.searchsorted(candidates, target_ids).tolist(),
        model_name=trace.model_name,
    )


def _rows(trace: Trace, resid: torch.Tensor) -> tuple[list[str], torch.Tensor]:
    """Row labels and ``[row, pos, d_model]`` residual streams, from the trace's
    ``resid_post`` (``resid``) and, when it starts at layer 0, the embeddings."""
    labels = [f"L{layer}" for layer in trace.layers]
    if trace.resid_pre is not None and trace.layers[0] == 0:
        labels = ["embed", *labels]
        resid = torch.cat([trace.resid_pre[:1], resid])
    return labels, resid.float()


def source(trace: Trace, model: Any, tokenizer: Any) -> tuple[Any, Any]:
    """The model and tokenizer to analyse ``trace`` with: the arguments, or the trace's own."""
    model = trace.model if model is None else model
    tokenizer = trace.tokenizer if tokenizer is None else tokenizer
    if tokenizer is None:
        tokenizer = getattr(model, "tokenizer", None)
    if model is None or tokenizer is None:
        missing = "model" if model is None else "tokenizer"
        raise ValueError(f"the trace does not know its {missing}: pass {missing}=")
    return model, tokenizer


def _target_ids(targets: Any, tokenizer: Any) -> torch.Tensor:
    items = [targets] if isinstance(targets, (str, int)) else list(targets)
    ids = [token_id(tokenizer, t, f"targets[{i}]") for i, t in enumerate(items)]
    return torch.tensor(ids, dtype=torch.long)
