"""Exact patching runs: each patched cell runs only from its own layer and position on.

A patch at layer ``l`` and position ``p`` leaves the base run unchanged before layer ``l``
everywhere and, in a causal decoder, before position ``p`` in every layer. So a cell's run
starts at block ``l`` with the base run's residual stream entering that block (the earlier
blocks are skipped) and, in causal decoders, at token ``p`` with the base run's keys and values
of the earlier tokens. The residual stream leaving block ``l`` is the one entering block
``l + 1``: those cells start one block later.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import torch

from ..capture import tlens
from ..capture.families import detect
from ..capture.hooks import capture_mode
from ..capture.precision import model_device
from ..capture.readout import logits_at
from ..capture.sites import at_site, n_layers, parse_site, reading

if TYPE_CHECKING:
    from ..capture.reader import CorpusReader


class BaseRun:
    """The base run of a patching sweep: the residual stream entering every block and, for
    causal Hugging Face decoders, the keys and values of every token.

    Attributes:
        ids: ``[N]`` the base run's token ids.
        entering: ``[layer, N, d_model]`` the residual stream entering each block.
        cache: the key/value cache of the ``N`` tokens, or ``None`` (TransformerLens,
            bidirectional encoders: every run starts at the first token).
        argument: the forward argument that takes the cache.
    """

    def __init__(
        self, model: Any, ids: torch.Tensor, entering: torch.Tensor, cache: Any, argument: str
    ) -> None:
        self.model = model
        self.ids = ids
        self.entering = entering
        self.cache = cache
        self.argument = argument

    @classmethod
    def of(cls, model: Any, reader: CorpusReader, ids: torch.Tensor) -> BaseRun:
        """Run ``ids`` ``[N]`` once and keep what cell runs start from."""
        sites = [f"blocks.{layer}.hook_resid_pre" for layer in range(n_layers(model))]
        cached = not tlens.is_hooked_transformer(model) and detect(model).causal
        # transformers 5 names the cache `cache` (earlier: `past_key_values`)
        argument = "cache" if "cache" in inspect.signature(model.forward).parameters else ""
        argument = argument or "past_key_values"
        with torch.no_grad(), capture_mode(model, eager=False), reading(model, sites) as records:
            if cached:
                from transformers import DynamicCache

                # sliding-window layers (Gemma 2/3) keep every key, so the cache can be cut back
                cache = DynamicCache(config=model.config)
                cache.activate_past_recording()
                on_device = ids[None].to(model_device(model))
                out = model(input_ids=on_device, use_cache=True, **{argument: cache})
                cache = out[argument]
            else:
                cache = None
                reader.forward(ids[None], torch.ones_like(ids[None]))
        entering = torch.stack([records[site][0] for site in sites])
        return cls(model, ids, entering, cache, argument)

    @contextmanager
    def from_layer(self, layer: int, start: int) -> Iterator[None]:
        """Inside the block, a forward pass of the base ids from token ``start`` on skips
        the blocks before ``layer`` and enters block ``layer`` with the base run's residual
        stream."""
        if layer == 0:
            yield
            return
        blocks = _block_list(self.model)
        entering = self.entering[layer, start:]
        skipped = [blocks[i] for i in range(layer)]
        try:
            for i in range(layer):
                blocks[i] = _PassThrough()
            with at_site(
                self.model, f"blocks.{layer}.hook_resid_pre", lambda x: _expand(entering, x)
            ):
                yield
        finally:
            for i, block in enumerate(skipped):
                blocks[i] = block

    def forward(self, inputs: torch.Tensor, start: int) -> Any:
        """Run ``inputs`` ``[batch, N - start]`` after the cached first ``start`` tokens."""
        past = copy.deepcopy(self.cache)
        past.crop(start - past.get_seq_length())  # a negative count: the tokens to drop
        past.batch_repeat_interleave(len(inputs))
        device = model_device(self.model)
        return self.model(input_ids=inputs.to(device), use_cache=True, **{self.argument: past})


class _PassThrough(torch.nn.Module):
    """A skipped block: returns the hidden states it is given."""

    def forward(self, hidden_states: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return hidden_states


def _expand(entering: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The base run's ``[pos, d_model]`` in the shape and dtype of ``x`` ``[batch, pos, d]``."""
    return entering.to(x.dtype).expand_as(x).clone()


def _block_list(model: Any) -> torch.nn.ModuleList:
    if tlens.is_hooked_transformer(model):
        return model.blocks
    return detect(model).block_list(model)


def entry_site(model: Any, site: str) -> tuple[int, str]:
    """The block a patch of ``site`` runs from and the site to patch there: the residual
    stream leaving block ``l`` is patched as the one entering block ``l + 1``."""
    layer, kind = parse_site(model, site)
    assert layer is not None  # patching sites are per block
    if kind == "hook_resid_post" and layer + 1 < n_layers(model):
        return layer + 1, f"blocks.{layer + 1}.hook_resid_pre"
    return layer, site


def exact_logits(
    model: Any,
    reader: CorpusReader,
    base: torch.Tensor,
    donors: dict[str, torch.Tensor],
    cells: torch.Tensor,
    over: str,
    position: int,
    batch_size: int,
    base_logits: torch.Tensor,
) -> torch.Tensor:
    """``[cell, d_vocab]`` logits at ``position`` of the ``base`` ids ``[N]`` with each of
    ``cells`` ``[cell, 3]`` (layer row into ``donors``, position, head) patched from
    ``donors`` (site -> source activation), many cells per forward pass.

    Cells patched after the metric's position cannot change it (causal): the base run's
    logits ``[1, d_vocab]``. The others run in chunks of one entry block, consecutive
    positions, from the chunk's first position.
    """
    logits = base_logits.expand(len(cells), -1).clone()
    if not len(cells):
        return logits
    run = BaseRun.of(model, reader, base)
    entries = [entry_site(model, site) for site in donors]
    starts = cells[:, 1].clamp(min=0) if run.cache is not None else torch.zeros_like(cells[:, 1])
    entry = torch.tensor([layer for layer, _ in entries])[cells[:, 0]]
    wanted = starts <= position if run.cache is not None else torch.ones_like(starts).bool()
    for index in _chunks(entry, starts, wanted, batch_size):
        logits[index] = _patched_logits(
            model,
            reader,
            run,
            {site: donor for (_, site), donor in zip(entries, donors.values(), strict=True)},
            cells[index],
            over,
            position,
            int(entry[index[0]]),
            int(starts[index].min()),
        )
    return logits


def _chunks(
    entry: torch.Tensor, starts: torch.Tensor, wanted: torch.Tensor, size: int
) -> Iterator[torch.Tensor]:
    """Indices of the ``wanted`` cells in chunks of at most ``size`` that share an entry
    block, by position."""
    for layer in torch.unique(entry[wanted]).tolist():
        index = (wanted & (entry == layer)).nonzero().squeeze(1)
        index = index[torch.argsort(starts[index], stable=True)]
        yield from index.split(size)


def _patched_logits(
    model: Any,
    reader: CorpusReader,
    run: BaseRun,
    donors: dict[str, torch.Tensor],
    chunk: torch.Tensor,
    over: str,
    position: int,
    layer: int,
    start: int,
) -> torch.Tensor:
    """``[cell, d_vocab]`` logits at ``position`` of the base ids run once per cell of
    ``chunk`` (one batch row each), with the donor activation written into that cell: from
    block ``layer`` and token ``start`` on (see :class:`BaseRun`)."""
    inputs = run.ids[start:].expand(len(chunk), len(run.ids) - start)
    with ExitStack() as stack, torch.no_grad():
        stack.enter_context(capture_mode(model, eager=False))
        stack.enter_context(run.from_layer(layer, start))
        for layer_row, (site, donor) in enumerate(donors.items()):
            patch_rows = (chunk[:, 0] == layer_row).nonzero().squeeze(1)
            if patch_rows.numel():
                edit = _patcher(donor, chunk[patch_rows], patch_rows, over, start)
                stack.enter_context(at_site(model, site, edit))
        if start == 0:
            forward = lambda: reader.forward(inputs, torch.ones_like(inputs))  # noqa: E731
        else:
            forward = lambda: run.forward(inputs, start)  # noqa: E731
        return logits_at(model, forward, position - start)


def _patcher(
    donor: torch.Tensor, cells: torch.Tensor, rows: torch.Tensor, over: str, start: int = 0
):
    """An edit that writes ``donor`` (``[N, width]`` or ``[N, head, d_head]``) into batch
    ``rows`` at each cell's position and head (all positions / heads where the cell says -1),
    in a pass whose first token is position ``start``."""
    positions, heads = cells[:, 1], cells[:, 2]
    donor = donor[start:]

    def edit(x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        at = positions - start
        if "position" in over and "head" in over:
            x[rows, at, heads] = donor[at, heads].to(x.dtype)
        elif "position" in over:
            x[rows, at] = donor[at].to(x.dtype)
        elif "head" in over:
            x[rows, :, heads] = donor[:, heads].transpose(0, 1).to(x.dtype)
        else:
            x[rows] = donor.to(x.dtype)
        return x

    return edit
