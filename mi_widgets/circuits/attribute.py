"""``attribute``: the attribution graph of one prompt, by batched backward passes through the
local replacement model (:mod:`~mi_widgets.circuits.replacement`)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import torch

from ..analysis.metrics import token_id
from ..capture import tlens
from ..capture.families import detect
from ..capture.huggingface import context_length
from ..capture.precision import in_float32
from ..checks import positive_int
from . import influence
from .graph import AttributionGraph
from .replacement import LocalReplacement, ReplacementPass
from .transcoder import TranscoderSet


def attribute(
    model: Any,
    tokenizer: Any,
    prompt: str,
    transcoders: Any,
    *,
    max_logits: int = 10,
    logit_probability: float = 0.95,
    logit_tokens: list[str | int] | None = None,
    max_features: int | None = None,
    batch_size: int = 32,
) -> AttributionGraph:
    """The attribution graph of ``prompt``: the direct effect of every active transcoder
    feature, error and token embedding on every feature and on the next-token logits.

    In the local replacement model (attention patterns and norm scales frozen at the prompt,
    each MLP replaced by its transcoder plus the transcoder's error as a constant), every
    feature's pre-activation and every logit is affine in the sources, so an edge's weight is
    exact: ``source activation × (gradient of the target w.r.t. the source's output ·
    the source's output direction)``. For every feature and logit node,
    ``values = adjacency.sum(1) + constants``, the constants (biases) coming from a separate
    pass with every source at zero. A logit node's value is its logit minus the mean logit
    over the vocabulary (circuit-tracer's convention: the softmax does not change when a
    constant is added to every logit). Norms after attention and MLP (Gemma 2/3, OLMo-2) are
    frozen like the others, so the sums stay exact; the transcoders write what joins the
    residual stream (``hook_mlp_out``, after the post-MLP norm). A model that soft-caps its
    final logits (Gemma 2/3) is explained before the cap: the logit nodes' values are the
    logits the unembedding writes, while the logit nodes are chosen by the model's own
    (capped) probabilities.

    Args:
        model: a causal Hugging Face model (GPT-2, GPT-NeoX, Llama, Mistral, Qwen2, Gemma,
            Gemma 2/3, OLMo-2) or a TransformerLens ``HookedTransformer``, with its LM head.
            Encoders (BERT) are refused.
        tokenizer: its tokenizer.
        prompt: the text; its next-token prediction at the last position is explained.
        transcoders: one :class:`~mi_widgets.Transcoder` per block (a list, dict or
            ``TranscoderSet``), on the model's device.
        max_logits: at most this many logit nodes, the most likely tokens first...
        logit_probability: ...until their cumulative probability reaches this.
        logit_tokens: instead, these tokens (strings that are one token each, or ids).
        max_features: keep at most this many features: the logit rows are computed first,
            then repeatedly the rows of the not-yet-kept features with the largest influence
            on the logits so far, until ``max_features`` are kept. The other active features
            are dropped with their edges, so for a target they fed, ``values -
            (adjacency.sum(1) + constants)`` is exactly their summed direct effect (the sums
            hold only with every feature kept); ``metadata["dropped_features"]`` counts them.
        batch_size: backward targets per pass (copies of the prompt in one forward pass).

    A float16 or bfloat16 model runs in float32 for the call
    (:func:`~mi_widgets.capture.precision.in_float32`; its weights take twice their memory
    meanwhile), so the sums hold to float32 precision.

    Memory: the adjacency, ``n_nodes²`` float32 (``n_nodes`` = active features + ``n_layers
    × pos`` errors + ``pos`` embeddings + logits; with TopK transcoders, ``n_layers × pos ×
    k`` features), filled in place (with ``max_features``, also the kept rows before they
    are placed); up to two forward graphs of ``batch_size`` copies of the prompt kept for
    the backward passes (the whole prompt, and a prefix of it for the features), each about
    ``batch_size`` times the activations of one forward pass; and each layer's feature
    activations ``[pos, n_features]``. Time: one backward pass per ``batch_size`` targets,
    over ``batch_size`` copies of the shortest prefix (in eighths of the prompt) holding
    the targets' positions, through the blocks up to the targets' layer.

    Raises:
        ValueError: naming the argument: transcoders that do not match the model (width,
            number of layers, a layer without a transcoder), a prompt longer than the
            model's context, a logit token that is not one token, a non-causal model.

    >>> graph = mw.attribute(model, tokenizer, text, mw.demo_transcoders())
    >>> graph.counts                                  # 16 features per token and layer
    {'feature': 352, 'error': 22, 'embedding': 11, 'logit': 10}
    >>> rows = graph.slices["feature"]
    >>> sums = graph.adjacency[rows].sum(1) + graph.constants[rows]
    >>> torch.allclose(sums, graph.values[rows], atol=1e-4)
    True
    >>> small = graph.prune(node_threshold=0.8, edge_threshold=0.98)
    >>> small.counts["logit"], small.n_nodes < graph.n_nodes
    (10, True)
    >>> path = small.top_paths(k=1)[0]
    >>> path.labels[0].startswith("emb"), path.labels[-1].startswith("logit")
    (True, True)
    >>> 0 <= small.scores().replacement <= 1
    True
    """
    _check_causal(model)
    tcs = TranscoderSet.of(transcoders)
    tcs.check_model(model)
    max_logits = positive_int(max_logits, "max_logits")
    batch_size = positive_int(batch_size, "batch_size")
    if max_features is not None:
        max_features = positive_int(max_features, "max_features")
    if not isinstance(logit_probability, numbers.Real) or not 0 < logit_probability <= 1:
        raise ValueError(f"logit_probability must be in (0, 1], got {logit_probability!r}")
    input_ids = _prompt_ids(model, tokenizer, prompt)
    with in_float32(model):
        replacement = LocalReplacement(model, tcs, input_ids)
        logits, probabilities = _logit_nodes(
            replacement.logits, tokenizer, logit_tokens, max_logits, float(logit_probability)
        )
        sources = _Sources.of(replacement)
        solver = _EdgeSolver(replacement, sources, logits, batch_size)
        logit_rows = solver.rows(torch.arange(len(logits)), logit=True)
        n_kept = min(max_features or sources.n_features, sources.n_features)
        n_nodes = n_kept + sources.n_sources - sources.n_features + len(logits)
        adjacency = torch.zeros(n_nodes, n_nodes)
        if n_kept == sources.n_features:  # every feature: rows straight into the adjacency
            kept = torch.arange(n_kept)
            solver.rows(kept, logit=False, out=adjacency[:n_kept, : sources.n_sources])
        else:
            kept, feature_rows = _most_influential(solver, logit_rows, probabilities, n_kept)
            columns = torch.cat([kept, torch.arange(sources.n_features, sources.n_sources)])
            adjacency[:n_kept, : len(columns)] = feature_rows[:, columns]
            logit_rows = logit_rows[:, columns]
        adjacency[n_nodes - len(logits) :, : logit_rows.shape[1]] = logit_rows
        values, constants = (
            _node_vector(part[0][kept], part[1], n_nodes) for part in solver.values_and_constants()
        )
    ids = input_ids.tolist()
    return AttributionGraph(
        prompt=prompt,
        tokens=_decode(tokenizer, ids),
        input_ids=input_ids,
        features=sources.features[kept].cpu(),
        activations=sources.activations[kept].float().cpu(),
        errors=sources.errors,
        embeddings=torch.arange(len(ids)),
        logits=logits,
        logit_tokens=_decode(tokenizer, logits.tolist()),
        logit_probabilities=probabilities,
        logit_position=len(ids) - 1,
        adjacency=adjacency,
        values=values,
        constants=constants,
        n_layers=len(tcs),
        metadata={
            "model": _model_name(model),
            "transcoders": [tc.extra_repr() for tc in tcs],
            "max_logits": max_logits,
            "logit_probability": float(logit_probability),
            "max_features": max_features,
            "dropped_features": sources.n_features - len(kept),
        },
    ).attach_model(model, tokenizer, tcs)


@dataclass
class _Sources:
    """The sources of one prompt, in node order: active features (by layer, position,
    feature), errors (by layer, position), embeddings (by position).

    Attributes:
        features: ``[n_f, 3]`` int64 ``(layer, position, feature)``.
        activations: ``[n_f]`` their activations.
        written: per layer ``([pos, slots, d_model], [n_f_layer])``: activation × decoder row
            of its features, grouped by position (zero-padded to the most features at one
            position), and each feature's slot in the flattened ``[pos * slots]``.
        errors: ``[n_layers * pos, 2]`` int64 ``(layer, position)``.
    """

    features: torch.Tensor
    activations: torch.Tensor
    written: list[tuple[torch.Tensor, torch.Tensor]]
    errors: torch.Tensor
    n_positions: int

    @classmethod
    def of(cls, replacement: LocalReplacement) -> _Sources:
        found = [acts.nonzero() for acts in replacement.activations]  # [n, 2] (pos, feature)
        features = torch.cat([
            torch.cat([torch.full((len(f), 1), layer, device=f.device), f], 1)
            for layer, f in enumerate(found)
        ]).cpu()  # fmt: skip
        activations = torch.cat([
            acts[f[:, 0], f[:, 1]] for acts, f in zip(replacement.activations, found, strict=True)
        ])  # fmt: skip
        n_pos = len(replacement.input_ids)
        written = [
            _by_position(acts[f[:, 0], f[:, 1], None] * tc.W_dec[f[:, 1]].detach(), f[:, 0], n_pos)
            for acts, f, tc in zip(
                replacement.activations, found, replacement.transcoders, strict=True
            )
        ]
        layers = torch.arange(replacement.n_layers).repeat_interleave(n_pos)
        errors = torch.stack([layers, torch.arange(n_pos).repeat(replacement.n_layers)], 1)
        return cls(features, activations, written, errors, n_pos)

    @property
    def n_features(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_sources(self) -> int:
        return self.n_features + len(self.errors) + self.n_positions


#: Feature rows come from passes over prefixes of the prompt, their lengths rounded up to a
#: multiple of ``pos / PREFIX_STEPS`` (a causal model's features depend only on earlier
#: positions): fewer positions per backward pass, a few more forward passes.
PREFIX_STEPS = 8


class _EdgeSolver:
    """Rows of the adjacency (one per target) by batched backward passes through kept
    forward passes of ``batch_size`` copies of the prompt: the whole prompt for the logits,
    its shortest prefix (of a few lengths) that holds the targets for features."""

    def __init__(
        self,
        replacement: LocalReplacement,
        sources: _Sources,
        logits: torch.Tensor,
        batch_size: int,
    ) -> None:
        self.replacement, self.sources, self.batch_size = replacement, sources, batch_size
        self.logits = logits
        layer_of = sources.features[:, 0]
        #: per layer ``[n_f_layer, 3]`` the features of that layer
        self.by_layer = [sources.features[layer_of == i] for i in range(replacement.n_layers)]
        self.directions = replacement.logit_directions(logits)[0]
        self.written = replacement.written()
        self.run = replacement.run(self.written, replacement.embeddings, batch_size)
        n_pos = len(replacement.input_ids)
        self.n_pos, self.step = n_pos, -(-n_pos // PREFIX_STEPS)
        self.prefix: tuple[int, ReplacementPass] | None = None

    def rows(
        self, targets: torch.Tensor, *, logit: bool, out: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``[len(targets), n_sources]`` float32 CPU: the rows of features ``targets``
        (indices into the sources' features) or of logits (indices into the logit nodes),
        written into ``out`` when given."""
        if out is None:
            out = torch.zeros(len(targets), self.sources.n_sources)
        order = targets.argsort() if logit else self._prefix_order(targets)
        for chosen in order.split(self.batch_size):
            out[chosen] = self._batch(targets[chosen], logit=logit)
        return out

    def _prefix_order(self, targets: torch.Tensor) -> torch.Tensor:
        """The order to compute feature ``targets`` in: by prefix length (one forward pass
        each), then layer, then position (batches of one layer stop at its block)."""
        layer, pos, _ = self.sources.features[targets].T
        prefix = pos // self.step
        return ((prefix * len(self.by_layer) + layer) * self.n_pos + pos).argsort(stable=True)

    def _prefix_length(self, targets: torch.Tensor) -> int:
        """The prefix length (a multiple of the step, or the whole prompt) holding ``targets``."""
        last = int(self.sources.features[targets, 1].max())
        return min(self.n_pos, (last // self.step + 1) * self.step)

    def _run_for(self, targets: torch.Tensor) -> ReplacementPass:
        """A kept pass over the shortest prefix (of lengths in steps) holding ``targets``."""
        length = self._prefix_length(targets)
        if length == self.n_pos:
            return self.run
        if self.prefix is None or self.prefix[0] != length:
            self.prefix = None  # free the previous graph first
            embeddings = self.replacement.embeddings
            self.prefix = (
                length,
                self.replacement.run(self.written, embeddings, self.batch_size, length),
            )
        return self.prefix[1]

    def _batch(self, targets: torch.Tensor, *, logit: bool) -> torch.Tensor:
        run = self.run if logit else self._run_for(targets)
        n = len(targets)
        copies = torch.arange(n)
        # seeded outputs only: the backward pass then skips the blocks after the last target
        outputs, seeds = [], []
        if logit:
            outputs.append(run.final)
            seeds.append(torch.zeros_like(run.final))
            seeds[-1][copies] = self.directions[targets].to(run.final)
        else:
            layer, pos, index = self.sources.features[targets].T
            for each in layer.unique().tolist():
                chosen = layer == each
                encoder = self.replacement.transcoders[each].W_enc.detach()
                outputs.append(run.mlp_inputs[each])
                seeds.append(torch.zeros_like(outputs[-1]))
                seeds[-1][copies[chosen], pos[chosen]] = encoder[:, index[chosen]].T.to(seeds[-1])
        inputs = [*run.mlp_outputs, run.embeddings]
        grads = torch.autograd.grad(
            outputs,
            inputs,
            seeds,
            retain_graph=True,
            allow_unused=True,
        )
        found = [
            self._full_length(torch.zeros_like(x) if g is None else g)
            for g, x in zip(grads, inputs, strict=True)
        ]  # None: a block the targets do not read
        return self._weights(found[:-1], found[-1])[:n].float().cpu()

    def _full_length(self, grad: torch.Tensor) -> torch.Tensor:
        """``[batch, pos, d_model]``: a prefix pass's gradient with zeros after the prefix (the
        targets do not depend on later positions)."""
        return torch.nn.functional.pad(grad, (0, 0, 0, self.n_pos - grad.shape[1]))

    def _weights(self, outputs: list[torch.Tensor], embedding: torch.Tensor) -> torch.Tensor:
        """``[batch, n_sources]`` from the gradients w.r.t. each MLP output and the first
        block's input, ``[batch, pos, d_model]`` each."""
        sources, replacement = self.sources, self.replacement
        features = [
            torch.einsum("bpd,pkd->bpk", grad, written.to(grad)).flatten(1)[:, slot]
            for grad, (written, slot) in zip(outputs, sources.written, strict=True)
        ]
        errors = (torch.stack(outputs, 1) * replacement.errors.to(outputs[0])).sum(-1)
        embeddings = (embedding * replacement.embeddings.to(embedding)).sum(-1)
        return torch.cat([*features, errors.flatten(1), embeddings], 1)

    def values_and_constants(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``[(feature values [n_f], logit values [n_l]), (feature constants, logit
        constants)]``: at the prompt (copy 0 of the kept pass) and with every source zero."""
        replacement = self.replacement
        with torch.no_grad():
            zero = replacement.run(
                torch.zeros_like(replacement.written()), torch.zeros_like(replacement.embeddings)
            )
            return [self._values(run) for run in (self.run, zero)]

    def _values(self, run: ReplacementPass) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.sources.features
        pre = [
            self.replacement.feature_values(run, layer)[0][f[:, 1], f[:, 2]]
            for layer, f in enumerate(self.by_layer)
        ]
        logits = self.replacement.logit_values(run, self.logits)[0]
        return torch.cat(pre).cpu() if len(features) else torch.zeros(0), logits.cpu()


def _most_influential(
    solver: _EdgeSolver, logit_rows: torch.Tensor, probabilities: torch.Tensor, count: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features [count] in node order, their rows [count, n_sources])``: a batch at a
    time, the not-yet-expanded features with the largest influence on the logits through the
    rows expanded so far."""
    n_features = solver.sources.n_features
    direct = probabilities @ influence.normalised(logit_rows)  # [n_sources]
    kept = torch.zeros(0, dtype=torch.long)
    rows = torch.zeros(count, solver.sources.n_sources)
    normalised = torch.zeros_like(rows)
    while len(kept) < count:
        done = len(kept)
        through = influence.influence(normalised[:done], direct[kept], kept)
        scores = (direct + through)[:n_features]
        scores[kept] = -1.0
        chosen = scores.topk(min(solver.batch_size, count - done)).indices
        new = solver.rows(chosen, logit=False, out=rows[done : done + len(chosen)])
        normalised[done : done + len(chosen)] = influence.normalised(new)
        kept = torch.cat([kept, chosen])
    order = kept.argsort()
    return kept[order], rows[order]


def _by_position(
    rows: torch.Tensor, positions: torch.Tensor, n_pos: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``rows`` ``[n, d]`` (sorted by ``positions`` ``[n]``) as ``[n_pos, slots, d]``, zero-padded,
    and each row's index ``[n]`` in the flattened ``[n_pos * slots]``."""
    counts = torch.bincount(positions, minlength=n_pos)
    slots = int(counts.max()) if len(positions) else 0
    rank = (
        torch.arange(len(positions), device=positions.device)
        - (counts.cumsum(0) - counts)[positions]
    )
    slot = positions * slots + rank
    padded = rows.new_zeros(n_pos * slots, rows.shape[-1])
    padded[slot] = rows
    return padded.view(n_pos, slots, -1), slot


def _node_vector(features: torch.Tensor, logits: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """``[n_nodes]`` float32: feature entries first, NaN for errors and embeddings, logit
    entries last."""
    out = torch.full((n_nodes,), float("nan"))
    out[: len(features)] = features
    out[n_nodes - len(logits) :] = logits
    return out


def _check_causal(model: Any) -> None:
    """Refuse models whose next-token logits cannot be attributed (encoders)."""
    name = type(model).__name__
    if tlens.is_hooked_transformer(model):
        if model.cfg.attention_dir != "causal":
            raise ValueError(
                f"model ({name}) attends both ways (attention_dir = "
                f"{model.cfg.attention_dir!r}): attribute explains a causal model's next-token "
                "logits"
            )
        return
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a Hugging Face model or a TransformerLens HookedTransformer, got {name}"
        )
    family = detect(model)
    if not family.causal:
        raise ValueError(
            f"model ({name}, {family.name}) cannot be attributed: attribute explains a causal "
            "model's next-token logits through MLPs that read a normalised residual stream; "
            "an encoder attends both ways and normalises after each residual sum (post-norm), "
            "so it has neither next-token logits nor an MLP input 'after its norm' for a "
            "transcoder to read"
        )


def _prompt_ids(model: Any, tokenizer: Any, prompt: Any) -> torch.Tensor:
    """``[pos]`` int64 token ids of ``prompt``, checked against the model's context."""
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
    ids = list(tokenizer(prompt)["input_ids"])
    if not ids:
        raise ValueError(f"prompt {prompt[:40]!r} produced no tokens")
    hooked = tlens.is_hooked_transformer(model)
    context = int(model.cfg.n_ctx) if hooked else context_length(model)
    if context is not None and len(ids) > context:
        raise ValueError(
            f"prompt is {len(ids)} tokens long but {type(model).__name__} takes at most "
            f"{context} (its context); shorten the prompt"
        )
    return torch.tensor(ids, dtype=torch.long)


def _logit_nodes(
    logits: torch.Tensor,
    tokenizer: Any,
    tokens: list[str | int] | None,
    max_logits: int,
    probability: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(token ids [n] int64, probabilities [n] float32)`` of the logit nodes."""
    probabilities = logits.float().softmax(-1).cpu()
    if tokens is not None:
        if isinstance(tokens, (str, int)) or not tokens:
            raise ValueError(
                f"logit_tokens must be a non-empty list of tokens (strings or ids), got {tokens!r}"
            )
        ids = torch.tensor(
            [token_id(tokenizer, t, f"logit_tokens[{i}]") for i, t in enumerate(tokens)]
        )
        if ids.numel() and int(ids.max()) >= len(probabilities):
            raise ValueError(
                f"logit_tokens has id {int(ids.max())}, outside the model's vocabulary of "
                f"{len(probabilities)}"
            )
        return ids, probabilities[ids]
    ordered = probabilities.sort(descending=True)
    reached = int(torch.searchsorted(ordered.values.cumsum(0), probability)) + 1
    count = min(reached, max_logits, len(probabilities))
    return ordered.indices[:count], ordered.values[:count]


def _decode(tokenizer: Any, ids: list[int]) -> list[str]:
    return tokenizer.batch_decode([[i] for i in ids], clean_up_tokenization_spaces=False)


def _model_name(model: Any) -> str:
    if tlens.is_hooked_transformer(model):
        return str(model.cfg.model_name)
    return str(getattr(model.config, "_name_or_path", "") or type(model).__name__)
