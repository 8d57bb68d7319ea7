"""Read activations at named sites from a stream of texts, batch by batch.

:class:`CorpusReader` tokenizes texts (checking their length against the model's context),
runs right-padded batches through a Hugging Face model of a supported family or a
TransformerLens ``HookedTransformer``, and copies the activations at the requested sites into
one float32 buffer that is reused from batch to batch (no fresh allocation per batch).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import torch

from . import tlens
from .batch import pad_id, pad_right
from .families import detect
from .hooks import capture_mode
from .huggingface import context_length
from .precision import model_device
from .sites import Edit, at_site, site_width


class CorpusReader:
    """Tokenizes texts and runs one model for the activations at some sites.

    Args:
        model: a Hugging Face model of a supported family, or a ``HookedTransformer``.
        tokenizer: its tokenizer (``None`` uses ``model.tokenizer`` for TransformerLens).
        max_length: the most tokens a text may have; ``None`` for the model's context.
    """

    def __init__(self, model: Any, tokenizer: Any, max_length: Any = None) -> None:
        self.model = model
        self.name = type(model).__name__
        if tlens.is_hooked_transformer(model):
            self.causal = model.cfg.attention_dir == "causal"
            context = model.cfg.n_ctx
            tokenizer = tokenizer if tokenizer is not None else model.tokenizer
        elif isinstance(model, torch.nn.Module):
            self.causal = detect(model).causal
            context = context_length(model)
        else:
            raise TypeError(
                "model must be a Hugging Face model or a TransformerLens HookedTransformer, "
                f"got {type(model).__name__}"
            )
        if tokenizer is None:
            raise TypeError(f"tokenizer is None: {self.name} needs its tokenizer")
        self.tokenizer = tokenizer
        self.pad_id = pad_id(tokenizer)
        if max_length is not None:
            if isinstance(max_length, bool) or not isinstance(max_length, numbers.Integral):
                raise TypeError(f"max_length must be None or an int, got {max_length!r}")
            if max_length < 1 or (context is not None and max_length > context):
                raise ValueError(
                    f"max_length = {max_length} is out of range: expected 1 <= max_length <= "
                    f"{context} (the context of {self.name})"
                )
        self.limit = max_length if max_length is not None else context
        self.limit_source = "max_length" if max_length is not None else "its context"
        self._buffer = torch.empty(0)
        self.n_docs = 0

    def stream(
        self, corpus: Iterable[str], batch_size: int, *, truncate: bool, progress: str | None
    ) -> Iterator[TextBatch]:
        """Right-padded batches of ``batch_size`` texts of ``corpus``, read once, in order.

        The model is in eval mode (no dropout) while the stream is open, restored after.
        :attr:`n_docs` counts the texts read so far (texts without tokens are skipped but
        keep their index). ``progress``: the label of a ``tqdm.auto`` bar, ``None`` for none.
        """
        from tqdm.auto import tqdm

        texts = _texts(corpus)
        total = len(corpus) if hasattr(corpus, "__len__") else None  # type: ignore[arg-type]
        self.n_docs = 0
        with (
            tqdm(total=total, unit="doc", desc=progress, disable=progress is None) as bar,
            capture_mode(self.model, eager=False),
        ):
            while batch := list(islice(texts, batch_size)):
                ids, doc_index = self.tokenize(batch, self.n_docs, truncate)
                self.n_docs += len(batch)
                bar.update(len(batch))
                if ids:
                    yield TextBatch(*pad_right(ids, self.pad_id), doc_index)

    def tokenize(
        self, texts: list[str], first: int, truncate: bool
    ) -> tuple[list[list[int]], torch.Tensor]:
        """Token ids of the texts that give tokens, and the corpus index of each.

        ``first`` is the corpus index of ``texts[0]`` (for error messages). Texts longer than
        the limit raise, or with ``truncate`` keep their first tokens.
        """
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"corpus[{first + i}] must be a str, got {type(text).__name__}")
        encoded = [list(ids) for ids in self.tokenizer(texts, verbose=False)["input_ids"]]
        kept, index = [], []
        for i, ids in enumerate(encoded):
            if self.limit is not None and len(ids) > self.limit:
                if not truncate:
                    raise ValueError(
                        f"corpus[{first + i}] is {len(ids)} tokens long but {self.name} takes "
                        f"at most {self.limit} ({self.limit_source}); shorten it, or pass "
                        "truncate=True to keep its first tokens"
                    )
                ids = ids[: self.limit]
            if ids:
                kept.append(ids)
                index.append(first + i)
        return kept, torch.tensor(index, dtype=torch.long)

    def read(
        self, input_ids: torch.Tensor, mask: torch.Tensor, sites: Sequence[str]
    ) -> torch.Tensor:
        """float32 ``[site, batch, pos, width]`` at ``sites`` (all of one width) of a batch.

        The forward pass stops once every site is read: the blocks after the last one and
        the unembedding are not run. The result lives in a buffer the next call overwrites:
        copy what must outlive it.
        """
        width = site_width(self.model, sites[0])
        shape = (len(sites), *input_ids.shape, width)
        size = int(np.prod(shape))
        if self._buffer.numel() < size:
            self._buffer = torch.empty(size)
        out = self._buffer[:size].view(shape)
        pending = set(range(len(sites)))
        with ExitStack() as stack:
            for i, site in enumerate(sites):
                stack.enter_context(at_site(self.model, site, _copy_into(out[i], i, pending)))
            with suppress(_StopForwardError):
                self.forward(input_ids, mask)
        if pending:
            raise RuntimeError(
                f"the forward pass of {self.name} never reached {sites[min(pending)]}"
            )
        return out

    @torch.no_grad()
    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor | None:
        """The model's logits ``[batch, pos, vocab]`` on a right-padded batch (on the model's
        device), or ``None`` for a model without an LM head."""
        return self.run(input_ids, mask)

    def run(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor | None:
        """:meth:`forward` with autograd as the caller set it (for gradients of the output)."""
        if tlens.is_hooked_transformer(self.model):
            device = self.model.cfg.device
            return self.model(input_ids.to(device), attention_mask=mask.to(device))
        device = model_device(self.model)
        extra = {"use_cache": False} if self.causal else {}
        out = self.model(input_ids=input_ids.to(device), attention_mask=mask.to(device), **extra)
        return getattr(out, "logits", None)

    def decode(self, ids: np.ndarray) -> list[str]:
        """Each id as the tokenizer decodes it alone (as in a trace)."""
        return self.tokenizer.batch_decode(
            [[int(i)] for i in ids], clean_up_tokenization_spaces=False
        )


@dataclass(frozen=True)
class TextBatch:
    """Token ids and attention mask ``[batch, pos]`` (right-padded) of some texts, and the
    corpus index of each text ``[batch]``."""

    input_ids: torch.Tensor
    mask: torch.Tensor
    doc_index: torch.Tensor

    @property
    def lengths(self) -> torch.Tensor:
        """``[batch]`` real tokens per text."""
        return self.mask.sum(-1)


def _texts(corpus: Any) -> Iterator[str]:
    if isinstance(corpus, (str, bytes)):
        raise TypeError("corpus must be an iterable of texts, got a single str; wrap it: [text]")
    if not isinstance(corpus, Iterable):
        raise TypeError(f"corpus must be an iterable of texts, got {type(corpus).__name__}")
    return iter(corpus)


class _StopForwardError(Exception):
    """Raised from the hook of the last site read, to end the forward pass there."""


def _copy_into(target: torch.Tensor, index: int, pending: set[int]) -> Edit:
    def copy(x: torch.Tensor) -> None:
        target.copy_(x.detach())
        pending.discard(index)
        if not pending:
            raise _StopForwardError

    return copy
