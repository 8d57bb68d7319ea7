"""The examples a probe learns from: activations ``[layer, n, d]`` at one position of each
text (or at every token), read from a model over texts, from traces, or given as arrays."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture import tlens
from ..capture.reader import CorpusReader
from ..capture.sites import SITE_KINDS, n_layers
from ..checks import check_layers, is_int

#: Where in each text the activation is taken: one example per text, or one per token.
POSITIONS = ("last", "mean", "all")
#: Characters of a text kept in its example label.
TEXT_CHARS = 120
#: Tokens of left context in the label of a token-level example.
CONTEXT_TOKENS = 6


@dataclass
class Examples:
    """Activations ``[layer, n, d]``, one label per example, the text each example comes from
    (``groups [n]``: examples of one text are held out together) and a label to show."""

    activations: torch.Tensor
    labels: list[Any]
    groups: torch.Tensor
    names: list[str]


def is_model(source: Any) -> bool:
    return tlens.is_hooked_transformer(source) or isinstance(source, torch.nn.Module)


def check_text_position(position: Any) -> str | int:
    """Where in each text an example is read: ``"last"``, ``"mean"``, ``"all"`` or a token
    index (an int; each text's length is checked when it is read)."""
    if isinstance(position, str) and position in POSITIONS:
        return position
    if is_int(position):
        return int(position)
    raise ValueError(
        f"position must be 'last', 'mean', 'all' (every token, with a label per token) or an "
        f"int token index (negative counts from the end), got {position!r}"
    )


def probed_layers(layers: Any, count: int, owner: str) -> list[int]:
    """``"all"``, one int or a list of ints, each in ``range(count)`` (negative from the end)."""
    if isinstance(layers, str) and layers == "all":
        return list(range(count))
    return list(check_layers(layers, count, owner))


def from_model(
    model: Any,
    tokenizer: Any,
    texts: Any,
    labels: Any,
    *,
    layers: Any,
    position: str | int,
    site: str,
    batch_size: int,
    max_length: int | None,
    truncate: bool,
) -> tuple[Examples, list[int]]:
    """Read the residual stream at ``site`` of every chosen layer in one pass per batch."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}")
    chosen = probed_layers(layers, n_layers(model), type(model).__name__)
    per_text = _per_text_labels(labels, len(texts), position)
    reader = CorpusReader(model, tokenizer, max_length)
    sites = [f"blocks.{layer}.{site}" for layer in chosen]
    parts: list[torch.Tensor] = []
    out_labels: list[Any] = []
    groups: list[torch.Tensor] = []
    names: list[str] = []
    for batch in reader.stream(texts, batch_size, truncate=truncate, progress=None):
        acts = reader.read(batch.input_ids, batch.mask, sites)  # [layer, batch, pos, d]
        docs = batch.doc_index.tolist()
        ids = batch.input_ids.numpy()
        tokens = [reader.decode(row[: int(n)]) for row, n in zip(ids, batch.lengths, strict=True)]
        picked, rows = select_positions(acts, batch.mask, position, [f"texts[{d}]" for d in docs])
        parts.append(picked)
        groups.append(batch.doc_index[rows])
        if position == "all":
            for doc, toks in zip(docs, tokens, strict=True):
                out_labels.extend(_token_labels(per_text, doc, toks))
                names.extend(token_names(toks))
        else:
            out_labels.extend(per_text[d] for d in docs)
            names.extend(_text_name(texts[d]) for d in docs)
    seen = set(torch.cat(groups).tolist()) if groups else set()
    if len(seen) < len(texts):
        empty = min(set(range(len(texts))) - seen)
        raise ValueError(f"texts[{empty}] has no tokens: every text needs at least one")
    return (
        Examples(torch.cat(parts, dim=1), out_labels, _dense(torch.cat(groups)), names),
        chosen,
    )


def from_traces(
    traces: Sequence[Any], labels: Any, *, layers: Any, position: str | int, site: str
) -> tuple[Examples, list[int]]:
    """Examples from :class:`~mi_widgets.Trace` objects (one per text) that hold ``site``."""
    field = SITE_KINDS[site].trace_field
    if field is None:
        raise ValueError(
            f"a Trace does not record {site}: probe the model over the texts instead, or "
            "choose site='hook_resid_pre' or 'hook_resid_post'"
        )
    first = traces[0]
    if getattr(first, field) is None:
        raise ValueError(f"the traces hold no {field} (captured kinds: {first.names[:3]}...)")
    captured = list(first.layers)
    if isinstance(layers, str) and layers == "all":
        rows = list(range(len(captured)))
    else:
        wanted = [layers] if isinstance(layers, numbers.Integral) else list(layers)
        missing = [layer for layer in wanted if layer not in captured]
        if missing:
            raise ValueError(
                f"layer {missing[0]} is not in the traces: they hold layers {captured}"
            )
        rows = [captured.index(layer) for layer in wanted]
    per_text = _per_text_labels(labels, len(traces), position)
    parts, groups, out_labels, names = [], [], [], []
    for i, trace in enumerate(traces):
        acts = getattr(trace, field)[rows][:, None]  # [layer, 1, pos, d]
        mask = torch.ones(1, acts.shape[2], dtype=torch.long)
        picked, _ = select_positions(acts, mask, position, [f"traces[{i}]"])
        parts.append(picked)
        groups.append(torch.full((picked.shape[1],), i))
        if position == "all":
            out_labels.extend(_token_labels(per_text, i, trace.tokens))
            names.extend(token_names(trace.tokens))
        else:
            out_labels.append(per_text[i])
            names.append(_text_name("".join(trace.tokens)))
    return (
        Examples(torch.cat(parts, dim=1), out_labels, torch.cat(groups), names),
        [captured[r] for r in rows],
    )


def from_arrays(
    activations: Any, labels: Any, layers: Any, names: Any
) -> tuple[Examples, list[int]]:
    """Examples given as ``[layer, n, d]`` (or ``[n, d]``: one layer) activations."""
    if isinstance(activations, np.ndarray) or not isinstance(activations, torch.Tensor):
        try:
            activations = torch.as_tensor(np.asarray(activations, dtype=np.float32))
        except (TypeError, ValueError) as error:
            raise TypeError(
                "the first argument must be a model, a Trace (or a list of them) or activations "
                f"[layer, n, d_model]; got {type(activations).__name__}"
            ) from error
    acts = activations.detach().float().cpu()
    if acts.ndim == 2:
        acts = acts[None]
    if acts.ndim != 3 or 0 in acts.shape:
        raise ValueError(
            f"activations must have shape [layer, n, d_model] or [n, d_model], got "
            f"{list(activations.shape)}"
        )
    if not torch.isfinite(acts).all():
        raise ValueError("activations hold NaN or infinite values")
    count, n = acts.shape[:2]
    if isinstance(layers, str) and layers == "all":
        chosen = list(range(count))
    else:
        chosen = [int(layers)] if isinstance(layers, numbers.Integral) else list(layers)
    if len(chosen) != count:
        raise ValueError(
            f"layers names {len(chosen)} layers but activations have {count} (shape "
            f"{list(acts.shape)}); give one layer number per row of the first axis"
        )
    labels_list = _as_list(labels, "labels")
    shown = [f"example {i}" for i in range(n)] if names is None else [str(s) for s in names]
    if len(shown) != n:
        raise ValueError(f"examples has {len(shown)} entries but activations have n = {n}")
    return Examples(acts, labels_list, torch.arange(n), shown), [int(c) for c in chosen]


def select_positions(
    acts: torch.Tensor, mask: torch.Tensor, position: str | int, where: list[str]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Activations ``[layer, example, d]`` of ``acts [layer, batch, pos, d]`` at ``position``
    and the batch row ``[example]`` of each (right-padded ``mask [batch, pos]``)."""
    lengths = mask.sum(-1)
    rows = torch.arange(acts.shape[1])
    if position == "all":
        keep = mask.bool()
        return acts[:, keep], rows[:, None].expand_as(keep)[keep]
    if position == "mean":
        weights = mask.to(acts.dtype)[None, :, :, None]
        return (acts * weights).sum(2) / lengths[None, :, None].to(acts.dtype), rows
    if position == "last":
        index = lengths - 1
    else:
        offset = int(position)
        index = lengths + offset if offset < 0 else torch.full_like(lengths, offset)
        bad = (index < 0) | (index >= lengths)
        if bad.any():
            i = int(bad.nonzero()[0])
            raise ValueError(
                f"position = {position} is out of range for {where[i]}, which has "
                f"{int(lengths[i])} tokens"
            )
    return acts[:, rows, index], rows


def token_names(tokens: list[str]) -> list[str]:
    """Each token with up to :data:`CONTEXT_TOKENS` tokens of left context: ``…left⟦tok⟧``."""
    return [
        "".join(tokens[max(0, i - CONTEXT_TOKENS) : i]) + "⟦" + token + "⟧"
        for i, token in enumerate(tokens)
    ]


def _text_name(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _per_text_labels(labels: Any, n_texts: int, position: str | int) -> Any:
    if position == "all" and callable(labels):
        return labels
    values = _as_list(labels, "labels")
    if len(values) != n_texts:
        per = "a list of per-token labels" if position == "all" else "one label"
        raise ValueError(
            f"labels has {len(values)} entries but there are {n_texts} texts; expected {per} "
            "per text"
        )
    return values


def _token_labels(per_text: Any, index: int, tokens: list[str]) -> list[Any]:
    """The labels of one text's tokens: ``per_text(tokens)`` or ``per_text[index]``."""
    given = per_text(tokens) if callable(per_text) else per_text[index]
    values = _as_list(given, f"labels[{index}]")
    if len(values) != len(tokens):
        raise ValueError(
            f"labels[{index}] has {len(values)} entries but text {index} has {len(tokens)} "
            f"tokens {tokens[:8]}...; with position='all' give one label per token"
        )
    return values


def _as_list(values: Any, name: str) -> list[Any]:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().tolist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a list or array, got {type(values).__name__}")
    return list(values)


def _dense(groups: torch.Tensor) -> torch.Tensor:
    """Group ids renumbered ``0..k-1``."""
    return torch.unique(groups, return_inverse=True)[1]
