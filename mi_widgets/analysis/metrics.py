"""Metrics of a model's output that patching and attribution measure: logit differences."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

#: ``metric(logits [batch, d_vocab]) -> [batch]``: one number per run.
Metric = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class LogitDiff:
    """``logit(target) - logit(other)`` at one position (``other=None``: the target's logit).

    Made by :func:`logit_diff`; :meth:`bind` resolves the tokens with a tokenizer.
    """

    target: str | int
    other: str | int | None = None

    def bind(self, tokenizer: Any) -> BoundLogitDiff:
        """The metric with its token ids looked up in ``tokenizer``."""
        return BoundLogitDiff(
            self,
            token_id(tokenizer, self.target, "target"),
            None if self.other is None else token_id(tokenizer, self.other, "other"),
        )

    def __str__(self) -> str:
        other = "" if self.other is None else f" - logit({self.other!r})"
        return f"logit({self.target!r}){other}"


@dataclass(frozen=True)
class BoundLogitDiff:
    """A :class:`LogitDiff` with ids: call it on ``[batch, d_vocab]`` logits → ``[batch]``."""

    spec: LogitDiff
    target_id: int
    other_id: int | None

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        value = logits[..., self.target_id]
        return value if self.other_id is None else value - logits[..., self.other_id]

    def __str__(self) -> str:
        return str(self.spec)


def logit_diff(target: str | int, other: str | int | None = None) -> LogitDiff:
    """The metric ``logit(target) - logit(other)``: how much more the model predicts
    ``target`` than ``other`` (each a string that is one token, or a token id).

    >>> metric = mw.logit_diff(" value", " error")
    >>> print(metric)
    logit(' value') - logit(' error')
    """
    for name, value in (("target", target), ("other", other)):
        if value is None and name == "other":
            continue
        if not isinstance(value, (str, numbers.Integral)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a token string or a token id, got {value!r}")
    return LogitDiff(target, other)


def token_id(tokenizer: Any, token: str | int, name: str) -> int:
    """The id of ``token``: a string the tokenizer encodes as exactly one token, or an id.

    Raises:
        ValueError: naming the argument and showing how the string tokenizes.
    """
    size = len(tokenizer)
    if isinstance(token, numbers.Integral) and not isinstance(token, bool):
        if not 0 <= token < size:
            raise ValueError(f"{name} = {token} is not a token id: expected 0 <= id < {size}")
        return int(token)
    if not isinstance(token, str) or not token:
        raise ValueError(f"{name} must be a non-empty token string or a token id, got {token!r}")
    ids = tokenizer(token, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        pieces = tokenizer.batch_decode([[i] for i in ids], clean_up_tokenization_spaces=False)
        raise ValueError(
            f"{name} = {token!r} is {len(ids)} tokens for this tokenizer ({pieces}): give a "
            "string that is one token (mind the leading space), or its id"
        )
    return int(ids[0])


def bind_metric(metric: Any, tokenizer: Any) -> Metric:
    """A callable metric from a :class:`LogitDiff` or a callable ``logits -> [batch]``."""
    if isinstance(metric, LogitDiff):
        return metric.bind(tokenizer)
    if callable(metric):
        return metric
    raise TypeError(
        "metric must be mw.logit_diff(...) or a callable taking logits [batch, d_vocab] and "
        f"returning [batch], got {type(metric).__name__}"
    )


def metric_name(metric: Any) -> str:
    """How a metric is shown in titles."""
    if isinstance(metric, (LogitDiff, BoundLogitDiff)):
        return str(metric)
    return getattr(metric, "__name__", type(metric).__name__)
