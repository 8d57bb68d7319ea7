"""Every head scored at once: previous-token, induction, duplicate-token and first-token.

>>> scores = mw.head_scores(trace)                  # on the trace's own text
>>> scores = mw.head_scores(model, tokenizer, n_sequences=4)   # on repeated random tokens
>>> [(layer, head, round(score, 2)) for layer, head, score in scores.top("induction", 3)]
[(1, 0, 0.98), (1, 1, 0.97), (1, 3, 0.96)]

Each score is the mean attention a query pays to the key(s) a pattern names, so it lies in
``[0, 1]``: 1 means the head does exactly that, a head spreading attention uniformly over
``N`` keys scores about ``1/N``.

- ``previous_token``: query ``q >= 1`` to key ``q - 1``.
- ``first_token``: query ``q >= 1`` to key 0 (the BOS token, an attention sink).
- ``duplicate_token``: a query whose token occurred earlier, to those earlier occurrences.
- ``induction``: a query whose token occurred earlier, to the tokens right after those
  earlier occurrences (keys before the query itself).

On a model, the text is a seeded batch of repeated random tokens ``[BOS] r r``
(:func:`~mi_widgets.analysis.repeated_random_tokens`), where every token of the second copy
repeats. On a :class:`~mi_widgets.Trace` of arbitrary text, duplicate-token and induction
use the text's own repeated tokens; a text with no repeated token (or, for induction, none
with a token after an earlier occurrence and before the query) gives NaN for every head.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..capture.trace import Trace
from ..checks import PATTERN_SHAPES, as_float32, check_square_pattern
from ._archive import read_archive, write_archive
from .head_scores import (
    attention_patterns,
    duplicate_token_score,
    first_token_score,
    induction_score,
    previous_token_score,
    repeated_random_tokens,
)

#: The scores :func:`head_scores` computes, in display order.
SCORE_NAMES = ("previous_token", "induction", "duplicate_token", "first_token")

#: Repeat length used on a model when its context allows it.
DEFAULT_REPEAT_LEN = 40

_VERSION = 1


@dataclass(frozen=True, eq=False)
class HeadScores:
    """Scores of every attention head: ``scores[name]`` is float32 ``[layer, head]``.

    Attributes:
        scores: score name → read-only float32 array ``[layer, head]``; NaN where a score
            is not defined (e.g. induction on a text without repeated tokens).
        layers: the model layer of each row (``scores[name][j]`` is model layer
            ``layers[j]``).
        source: what the scores were measured on, in words.
    """

    scores: Mapping[str, np.ndarray]
    layers: tuple[int, ...] = ()
    source: str = ""
    _shape: tuple[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.scores, Mapping) or not self.scores:
            raise ValueError(
                "scores must be a non-empty dict of score name -> [layer, head] array, "
                f"got {type(self.scores).__name__}"
            )
        arrays: dict[str, np.ndarray] = {}
        shape: tuple[int, ...] | None = None
        first = ""
        for name, values in self.scores.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"score names must be non-empty strings, got {name!r}")
            array = _as_float32(values, f"scores[{name!r}]")
            if array.ndim != 2 or 0 in array.shape:
                raise ValueError(
                    f"scores[{name!r}] must have shape [layer, head], got {list(array.shape)}"
                )
            if shape is None:
                shape, first = array.shape, name
            elif array.shape != shape:
                raise ValueError(
                    f"scores[{name!r}] has shape {list(array.shape)} but scores[{first!r}] "
                    f"has {list(shape)}: every score must be [layer, head] of the same shape"
                )
            array.setflags(write=False)
            arrays[name] = array
        assert shape is not None
        layers = tuple(range(shape[0])) if not self.layers else self.layers
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
            raise ValueError(f"layers must be a sequence of ints, got {type(layers).__name__}")
        if len(layers) != shape[0] or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in layers
        ):
            raise ValueError(
                f"layers must hold one int per row of the scores ({shape[0]}), got {list(layers)}"
            )
        object.__setattr__(self, "scores", arrays)
        object.__setattr__(self, "layers", tuple(int(i) for i in layers))
        object.__setattr__(self, "source", str(self.source))
        object.__setattr__(self, "_shape", (int(shape[0]), int(shape[1])))

    @property
    def names(self) -> list[str]:
        """The score names, in order."""
        return list(self.scores)

    @property
    def n_layers(self) -> int:
        return self._shape[0]

    @property
    def n_heads(self) -> int:
        return self._shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_layers, n_heads)``."""
        return self._shape

    def __getitem__(self, name: str) -> np.ndarray:
        """The ``[layer, head]`` array of one score."""
        return self.scores[self.check_name(name)]

    def check_name(self, name: Any, argument: str = "name") -> str:
        """``name`` if it is one of :attr:`names`, else a ValueError listing the valid ones."""
        if name not in self.scores:
            raise ValueError(
                f"{argument}={name!r} is not a score here; valid scores: {', '.join(self.names)}"
            )
        return name

    def top(self, name: str, k: int = 5) -> list[tuple[int, int, float]]:
        """The ``k`` highest-scoring heads as ``(layer, head, score)``, best first.

        ``layer`` is the model layer (from :attr:`layers`); heads whose score is NaN are left
        out, so fewer than ``k`` may come back.
        """
        values = self[name]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        flat = values.ravel()
        order = np.argsort(-np.nan_to_num(flat, nan=-np.inf), kind="stable")
        order = order[~np.isnan(flat[order])][: int(k)]
        return [
            (self.layers[i // self.n_heads], int(i % self.n_heads), float(flat[i])) for i in order
        ]

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write one ``.npz`` file: an ``.npy`` entry per score plus ``meta.json``.

        ``numpy.load(path)`` reads it too (``meta.json`` comes back as bytes).
        """
        arrays = {f"score{i}": self.scores[name] for i, name in enumerate(self.names)}
        meta = {"names": self.names, "layers": list(self.layers), "source": self.source}
        return write_archive(path, "HeadScores", _VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> HeadScores:
        """Read a file written by :meth:`save`."""
        arrays, meta = read_archive(path, "HeadScores", _VERSION)
        scores = {name: arrays[f"score{i}"] for i, name in enumerate(meta["names"])}
        return cls(scores=scores, layers=tuple(meta["layers"]), source=meta.get("source", ""))

    def __repr__(self) -> str:
        width = max(len(name) for name in self.names)
        lines = [
            f"HeadScores({self.n_layers} layers x {self.n_heads} heads"
            + (f", source={self.source!r})" if self.source else ")")
        ]
        for name in self.names:
            values = self.scores[name]
            best = self.top(name, 3)
            if not best:
                lines.append(f"  {name:<{width}}  n/a for every head")
                continue
            heads = "  ".join(f"L{layer}H{head} {score:.3f}" for layer, head, score in best)
            lines.append(f"  {name:<{width}}  top {heads}  (mean {np.nanmean(values):.3f})")
        return "\n".join(lines)


def head_scores(
    source: Any,
    tokenizer: Any = None,
    *,
    input_ids: Any = None,
    repeat_len: int | None = None,
    n_sequences: int = 16,
    seed: int = 0,
    layers: Sequence[int] | None = None,
) -> HeadScores:
    """Score every head on previous-token, induction, duplicate-token and first-token.

    Three ways to call it::

        mw.head_scores(trace)                    # the trace's own text
        mw.head_scores(model, tokenizer)         # a seeded batch of repeated random tokens
        mw.head_scores(pattern, input_ids=ids)   # attention you already have

    Args:
        source: a :class:`~mi_widgets.Trace` (with attention); a Hugging Face model; or
            attention probabilities ``[layer, head, query_pos, key_pos]`` or
            ``[batch, layer, head, query_pos, key_pos]`` (torch, numpy or lists).
        tokenizer: with a model, the tokenizer whose ids are drawn (special tokens never
            are; its BOS, else EOS, token leads every row). ``None`` draws from the model's
            ``config.vocab_size`` with ``config.bos_token_id`` as prefix.
        input_ids: with attention, the token ids ``[pos]`` or ``[batch, pos]`` it was
            computed on: duplicate-token and induction come from the repeated ids.
        repeat_len: with a model, the length of the random sequence (default
            ``min(40, (context - 1) // 2)``); with attention instead of ``input_ids``, the
            attention is of a ``[BOS] r r`` batch with ``r`` of this length.
        n_sequences: with a model, rows in the batch (all run in one forward pass).
        seed: with a model, seed of the random tokens (same seed, same batch).
        layers: with attention, the model layer of each row (default ``0..L-1``).

    Returns:
        :class:`HeadScores` with ``previous_token``, ``induction``, ``duplicate_token`` and
        ``first_token``, each float32 ``[layer, head]``. On arbitrary text, duplicate-token
        and induction are NaN for every head when the text repeats no token (see the module
        docstring).
    """
    if isinstance(source, Trace):
        _reject_extra(
            "a Trace",
            tokenizer=tokenizer,
            input_ids=input_ids,
            repeat_len=repeat_len,
            layers=layers,
        )
        return _trace_scores(source)
    if isinstance(source, torch.nn.Module):
        _reject_extra("a model", input_ids=input_ids, layers=layers)
        return _model_scores(source, tokenizer, repeat_len, n_sequences, seed)
    if tokenizer is not None:
        raise TypeError(
            "tokenizer goes with a model; the first argument is not a torch.nn.Module "
            f"(got {type(source).__name__})"
        )
    pattern = _attention(source)
    if (input_ids is None) == (repeat_len is None):
        raise ValueError(
            "with attention, give exactly one of input_ids= (the tokens it was computed on) "
            "or repeat_len= (it is of a [BOS] r r batch of repeated random tokens)"
        )
    if input_ids is not None:
        scores = _text_scores(pattern, _input_ids(input_ids, pattern))
        batch, n = pattern.shape[0], pattern.shape[-1]
        text = f"{n} tokens" if batch == 1 else f"{batch} sequences of {n} tokens"
    else:
        assert repeat_len is not None  # exactly one of the two was given
        scores = _repeat_scores(pattern, repeat_len)
        text = f"repeated random tokens, repeat_len={repeat_len}"
    rows = () if layers is None else tuple(layers)
    return HeadScores(scores, layers=rows, source=f"attention on {text}")


def _reject_extra(what: str, **arguments: Any) -> None:
    given = [name for name, value in arguments.items() if value is not None]
    if given:
        raise TypeError(f"{', '.join(given)} cannot be given with {what}")


def _trace_scores(trace: Trace) -> HeadScores:
    if trace.attention is None:
        raise ValueError(
            "trace has no attention: capture it with kinds=None or a kinds set that "
            "includes 'attention'"
        )
    pattern = _attention(trace.attention, name="trace.attention")
    ids = torch.as_tensor(trace.input_ids).reshape(1, -1)
    scores = _text_scores(pattern, ids)
    repeated = int(_earlier_same(ids).any(-1).sum())
    source = (
        f"{trace.model_name} on one text of {trace.n_tokens} tokens "
        f"({repeated} repeat an earlier token)"
    )
    return HeadScores(scores, layers=tuple(trace.layers), source=source)


def _model_scores(
    model: torch.nn.Module, tokenizer: Any, repeat_len: int | None, n_sequences: int, seed: int
) -> HeadScores:
    config = getattr(model, "config", None)
    if config is None:
        raise TypeError(
            f"head_scores(model, tokenizer) needs a Hugging Face model (with .config), got "
            f"{type(model).__name__}; for other models capture a trace and call "
            "head_scores(trace)"
        )
    context = _context_length(config)
    if repeat_len is None:
        repeat_len = DEFAULT_REPEAT_LEN if context is None else min(40, (context - 1) // 2)
    if isinstance(repeat_len, bool) or not isinstance(repeat_len, int) or repeat_len < 1:
        raise ValueError(f"repeat_len must be a positive int, got {repeat_len!r}")
    if tokenizer is None:
        vocab, bos = int(config.vocab_size), getattr(config, "bos_token_id", None)
        ids = repeated_random_tokens(vocab, repeat_len, n_sequences, seed, bos_token_id=bos)
    else:
        ids = repeated_random_tokens(tokenizer, repeat_len, n_sequences, seed)
    if context is not None and ids.shape[1] > context:
        raise ValueError(
            f"repeat_len={repeat_len} makes rows of {ids.shape[1]} tokens but "
            f"{type(model).__name__} takes at most {context}; use repeat_len <= "
            f"{(context - 1) // 2}"
        )
    pattern = attention_patterns(model, ids)
    source = (
        f"{type(model).__name__} on {ids.shape[0]} sequences of repeated random tokens "
        f"(repeat_len={repeat_len}, seed={seed})"
    )
    return HeadScores(_repeat_scores(pattern, repeat_len), source=source)


def _repeat_scores(pattern: torch.Tensor, repeat_len: int) -> dict[str, np.ndarray]:
    """The four scores of a ``[BOS] r r`` batch (the second copy fills the last positions)."""
    scores = {
        "previous_token": previous_token_score(pattern),
        "induction": induction_score(pattern, repeat_len),
        "duplicate_token": duplicate_token_score(pattern, repeat_len),
        "first_token": first_token_score(pattern),
    }
    return {name: scores[name].numpy().astype(np.float32) for name in SCORE_NAMES}


def _text_scores(pattern: torch.Tensor, ids: torch.Tensor) -> dict[str, np.ndarray]:
    """Scores of attention ``[batch, layer, head, N, N]`` on token ids ``[batch, N]``."""
    earlier = _earlier_same(ids)  # [batch, query, key]: key < query holds the same token
    before_query = torch.ones_like(earlier[0]).tril(-1)
    after_earlier = torch.zeros_like(earlier)
    after_earlier[..., 1:] = earlier[..., :-1]  # key k - 1 is an earlier occurrence
    after_earlier &= before_query
    scores = {
        "previous_token": previous_token_score(pattern),
        "induction": _masked_mean(pattern, after_earlier),
        "duplicate_token": _masked_mean(pattern, earlier),
        "first_token": first_token_score(pattern),
    }
    return {name: np.asarray(scores[name], dtype=np.float32) for name in SCORE_NAMES}


def _earlier_same(ids: torch.Tensor) -> torch.Tensor:
    """``[batch, query, key]``: key is before query and holds the same token id."""
    same = ids[:, :, None] == ids[:, None, :]
    return same & torch.ones_like(same[0]).tril(-1)


def _masked_mean(pattern: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the queries with any key in ``mask`` of the attention on those keys.

    ``pattern`` is ``[batch, layer, head, query, key]``, ``mask`` ``[batch, query, key]``;
    returns ``[layer, head]``, NaN when no query has a key in the mask.
    """
    per_query = torch.einsum("blhqk,bqk->blhq", pattern, mask.to(pattern.dtype))
    valid = mask.any(-1)  # [batch, query]
    count = int(valid.sum())
    if count == 0:
        return torch.full(pattern.shape[1:3], math.nan)
    return (per_query * valid[:, None, None, :]).sum(dim=(0, 3)) / count


def _attention(values: Any, name: str = "attention") -> torch.Tensor:
    """Attention as float32 ``[batch, layer, head, N, N]`` (a batch of one for rank 4)."""
    if isinstance(values, torch.Tensor):
        pattern = values.detach().to("cpu")
    else:
        pattern = torch.from_numpy(as_float32(values, name))
    shape = list(pattern.shape)
    check_square_pattern(shape, (4, 5), PATTERN_SHAPES, name)
    if shape[-1] < 2:
        raise ValueError(f"{name} needs at least 2 positions to score heads, got shape {shape}")
    pattern = pattern.float()
    return pattern[None] if pattern.ndim == 4 else pattern


def _input_ids(values: Any, pattern: torch.Tensor) -> torch.Tensor:
    ids = torch.as_tensor(np.asarray(values)) if not isinstance(values, torch.Tensor) else values
    if ids.ndim == 1:
        ids = ids[None]
    batch, n = pattern.shape[0], pattern.shape[-1]
    if ids.ndim != 2 or tuple(ids.shape) != (batch, n) or ids.is_floating_point():
        raise ValueError(
            f"input_ids must be integer token ids of shape [{n}] or [{batch}, {n}] to match "
            f"the attention {list(pattern.shape)}, got {ids.dtype} {list(ids.shape)}"
        )
    return ids.to("cpu")


def _context_length(config: Any) -> int | None:
    for attribute in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _as_float32(values: Any, name: str) -> np.ndarray:
    """float32 ``[layer, head]`` scores, or a ValueError naming them."""
    try:
        return as_float32(values, name)
    except TypeError as error:
        raise ValueError(
            f"{name} must be a numeric [layer, head] array, got {type(values).__name__}"
        ) from error
