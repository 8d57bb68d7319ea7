"""Interventions on an attribution graph: run the real model with chosen transcoder features
clamped to a value or scaled, and compare its top next-token predictions with the original.

A feature ``f`` of the transcoder of block ``layer`` writes ``activation × W_dec[f]`` into the
MLP's output. Setting it to ``new`` at position ``pos`` adds ``(new − old) × W_dec[f]`` to
``blocks.{layer}.hook_mlp_out`` at ``pos``, where ``old`` is the feature's activation in the
same forward pass (read from ``blocks.{layer}.ln2.hook_normalized`` through the transcoder's
encoder, so a change at an earlier layer reaches it). Everything else — attention, norms, the
other MLPs' outputs — is the real model's.

Changes are given per feature node id (``{layer}_{feature}_{pos}``, as in the graph):

- ``{"1_412_7": 0.0}`` clamps feature 412 of layer 1 to 0 at position 7 (ablates it);
- ``{"1_412_7": ("scale", 2.0)}`` doubles it there.

An id that the graph file gives both a layer-0 feature and an error (``0_1_18``: feature 1 of
layer 0 and the layer-1 error, both at 18) names the feature; the ids of errors alone are refused.

With ``positions=`` the ids may leave the position out (``"1_412"``) and each change applies at
every position listed (``positions="all"``: every position of the prompt).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.hooks import capture_mode
from ..capture.precision import model_device
from .transcoder import TranscoderSet

#: An :class:`~mi_widgets.AttributionGraph` (not imported: the graph imports this module).
Graph = Any

#: Why an intervention cannot run on a graph that lost its model (e.g. read from a file).
NO_MODEL_NOTE = (
    "interventions need the graph's model, tokenizer and transcoders: this graph has none "
    "attached (it was read from a file or built by hand). Pass intervene(..., model=, "
    "tokenizer=, transcoders=) or call graph.attach_model(model, tokenizer, transcoders) first."
)


@dataclass(frozen=True)
class FeatureChange:
    """One change: feature ``feature`` of block ``layer`` at ``positions``, clamped to ``value``
    (``mode="clamp"``) or multiplied by it (``mode="scale"``)."""

    layer: int
    feature: int
    positions: tuple[int, ...]
    mode: str
    value: float

    def __str__(self) -> str:
        where = ",".join(map(str, self.positions))
        how = f"= {self.value:g}" if self.mode == "clamp" else f"× {self.value:g}"
        return f"L{self.layer} F{self.feature} @{where} {how}"


@dataclass(frozen=True)
class InterventionResult:
    """The top next-token predictions at ``position`` before and after the changes.

    Attributes:
        changes: what was changed.
        position: the position whose next token is predicted (the graph's logit position).
        old_tokens, new_tokens: ``[k]`` the top tokens without and with the changes.
        old_probabilities, new_probabilities: ``[k]`` float32 their probabilities.
        old_of_new, new_of_old: ``[k]`` float32 each old top token's probability after the
            changes (``new_of_old``) and each new top token's probability before
            (``old_of_new``).
    """

    changes: tuple[FeatureChange, ...]
    position: int
    old_tokens: list[str]
    old_probabilities: np.ndarray
    new_tokens: list[str]
    new_probabilities: np.ndarray
    new_of_old: np.ndarray
    old_of_new: np.ndarray

    def __repr__(self) -> str:
        lines = [
            f"InterventionResult({'; '.join(map(str, self.changes))} at position {self.position}):",
            "  before                      after",
        ]
        for i in range(len(self.old_tokens)):
            old = f"{self.old_tokens[i]!r:>16} {self.old_probabilities[i]:.3f}"
            old += f" → {self.new_of_old[i]:.3f}"
            new = f"{self.new_tokens[i]!r:>16} {self.new_probabilities[i]:.3f}"
            lines.append(f"  {old}   {new}")
        return "\n".join(lines)


def intervene(
    graph: Graph,
    values: Mapping[str, Any],
    positions: int | Iterable[int] | str | None = None,
    *,
    model: Any = None,
    tokenizer: Any = None,
    transcoders: Any = None,
    top_k: int = 5,
) -> InterventionResult:
    """Run ``graph``'s prompt through the real model with the features of ``values`` clamped or
    scaled (module docstring) and return the top ``top_k`` predictions before and after.

    Args:
        graph: the attribution graph whose prompt is run.
        values: node id → a float (clamp to it) or ``("scale", factor)``.
        positions: ``None`` (each id's own position), a position, a list of positions or
            ``"all"``.
        model, tokenizer, transcoders: override what the graph has attached (required when it
            has none, e.g. after ``from_json``).
        top_k: how many predictions to compare.
    """
    model, tokenizer, transcoders = _parts(graph, model, tokenizer, transcoders)
    changes = parse_changes(graph, values, positions)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be an int >= 1, got {top_k!r}")
    input_ids = graph.input_ids.reshape(1, -1)
    before = _next_token_probabilities(model, input_ids, graph.logit_position)
    with ExitStack() as stack:
        for layer in sorted({change.layer for change in changes}):
            mine = [change for change in changes if change.layer == layer]
            _edit_layer(stack, model, transcoders[layer], mine)
        after = _next_token_probabilities(model, input_ids, graph.logit_position)
    k = min(top_k, before.numel())
    old_p, old_ids = before.topk(k)
    new_p, new_ids = after.topk(k)
    decode = _decoder(tokenizer)
    return InterventionResult(
        changes=tuple(changes),
        position=graph.logit_position,
        old_tokens=decode(old_ids.tolist()),
        old_probabilities=old_p.numpy().astype(np.float32),
        new_tokens=decode(new_ids.tolist()),
        new_probabilities=new_p.numpy().astype(np.float32),
        new_of_old=after[old_ids].numpy().astype(np.float32),
        old_of_new=before[new_ids].numpy().astype(np.float32),
    )


def parse_changes(graph: Graph, values: Any, positions: Any = None) -> list[FeatureChange]:
    """The changes ``values`` and ``positions`` ask for (see :func:`intervene`), checked
    against the graph's prompt and layers."""
    if not isinstance(values, Mapping) or not values:
        raise TypeError(
            "values must be a non-empty dict node id → value, e.g. {'1_412_7': 0.0} or "
            f"{{'1_412_7': ('scale', 2.0)}}, got {values!r}"
        )
    n_pos = len(graph.tokens)
    shared = _positions(positions, n_pos)
    ids = graph.node_ids
    # an error's id can also be a layer-0 feature's (graph_json.shared_ids): it names the feature
    only_errors = set(ids[graph.slices["error"]]) - set(ids[graph.slices["feature"]])
    changes = []
    for key, setting in values.items():
        if key in only_errors:
            raise ValueError(
                f"values[{key!r}] is an error node: only transcoder features can be clamped or "
                "scaled"
            )
        parts = key.split("_") if isinstance(key, str) else []
        expected = 2 if shared is not None else 3
        if len(parts) not in (expected, 3) or not all(p.isdigit() for p in parts):
            form = (
                "'{layer}_{feature}' or '{layer}_{feature}_{pos}'"
                if shared
                else ("'{layer}_{feature}_{pos}'")
            )
            raise ValueError(f"values has key {key!r}; expected a feature node id {form}")
        layer, feature = int(parts[0]), int(parts[1])
        if layer >= graph.n_layers:
            raise ValueError(
                f"values[{key!r}] names layer {layer}; the model has layers 0..{graph.n_layers - 1}"
            )
        if shared is None:
            pos = int(parts[2])
            if pos >= n_pos:
                raise ValueError(
                    f"values[{key!r}] names position {pos}; the prompt has positions 0..{n_pos - 1}"
                )
            where: tuple[int, ...] = (pos,)
        else:
            where = shared
        mode, amount = _setting(key, setting)
        changes.append(FeatureChange(layer, feature, where, mode, amount))
    return changes


def _setting(key: str, setting: Any) -> tuple[str, float]:
    if isinstance(setting, tuple) and len(setting) == 2 and setting[0] == "scale":
        mode, amount = "scale", setting[1]
    else:
        mode, amount = "clamp", setting
    if isinstance(amount, bool) or not isinstance(amount, (int, float, np.floating, np.integer)):
        raise TypeError(
            f"values[{key!r}] = {setting!r}: expected a number (clamp) or ('scale', number)"
        )
    if not math.isfinite(float(amount)):
        raise ValueError(f"values[{key!r}] = {setting!r}: the number must be finite")
    return mode, float(amount)


def _positions(positions: Any, n_pos: int) -> tuple[int, ...] | None:
    if positions is None:
        return None
    if isinstance(positions, str):
        if positions != "all":
            raise ValueError(
                f"positions must be 'all', an int or a list of ints, got {positions!r}"
            )
        return tuple(range(n_pos))
    given = [positions] if isinstance(positions, (int, np.integer)) else list(positions)
    bad = [
        p
        for p in given
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 0 <= p < n_pos
    ]
    if bad or not given:
        raise ValueError(
            f"positions = {positions!r}: expected positions in 0..{n_pos - 1} (the prompt's "
            "tokens), 'all' or None"
        )
    return tuple(int(p) for p in given)


def _parts(graph: Graph, model: Any, tokenizer: Any, transcoders: Any) -> tuple:
    attached = graph.attached_model or (None, None, None)
    model = attached[0] if model is None else model
    tokenizer = attached[1] if tokenizer is None else tokenizer
    transcoders = attached[2] if transcoders is None else transcoders
    if model is None or tokenizer is None or transcoders is None:
        raise ValueError(NO_MODEL_NOTE)
    transcoders = TranscoderSet.of(transcoders)
    if len(transcoders) != graph.n_layers:
        raise ValueError(
            f"transcoders has {len(transcoders)} layers but the graph's model has "
            f"{graph.n_layers}: expected one transcoder per layer"
        )
    return model, tokenizer, transcoders


def _edit_layer(
    stack: ExitStack, model: Any, transcoder: Any, changes: list[FeatureChange]
) -> None:
    """Enter hooks that read the MLP input of ``transcoder.layer`` and add each change's
    ``(new − old) × W_dec[f]`` to the MLP output."""
    from ..capture.sites import at_site

    pairs = [(p, c.feature, c.mode == "scale", c.value) for c in changes for p in c.positions]
    where = torch.tensor([pair[0] for pair in pairs])  # [m] positions
    features = torch.tensor([pair[1] for pair in pairs])  # [m]
    scaled = torch.tensor([pair[2] for pair in pairs])  # [m] scale (True) or clamp
    amounts = torch.tensor([pair[3] for pair in pairs], dtype=transcoder.W_dec.dtype)  # [m]
    seen: dict[str, torch.Tensor] = {}

    def read(x: torch.Tensor) -> None:
        seen["x"] = x

    def add(out: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            acts = transcoder.encode(seen["x"].to(transcoder.W_enc.dtype))  # [batch, pos, feature]
            old = acts[:, where, features]  # [batch, m]
            new = torch.where(scaled, old * amounts, amounts.expand_as(old))
            shift = (new - old)[..., None] * transcoder.W_dec[features]  # [batch, m, d_model]
            return out.index_add(1, where.to(out.device), shift.to(out.dtype))

    stack.enter_context(at_site(model, transcoder.hook_in, read))
    stack.enter_context(at_site(model, transcoder.hook_out, add))


def _next_token_probabilities(model: Any, input_ids: torch.Tensor, position: int) -> torch.Tensor:
    """``[d_vocab]`` float32 next-token probabilities at ``position`` (eval mode: no dropout;
    the model's mode is restored after)."""
    device = model_device(model)
    with torch.no_grad(), capture_mode(model, eager=False):
        output = model(input_ids.to(device))
    logits = output.logits if hasattr(output, "logits") else output
    return logits[0, position].float().softmax(-1).cpu()


def _decoder(tokenizer: Any):
    def decode(ids: list[int]) -> list[str]:
        return tokenizer.batch_decode([[i] for i in ids], clean_up_tokenization_spaces=False)

    return decode
