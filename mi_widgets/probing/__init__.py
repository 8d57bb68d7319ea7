"""Linear probes: is a property linearly readable from the residual stream, and where?

>>> code = ["def f(x):", "x = 1", "def g():", "y = 2", "def h(a):", "z = 3", "def run():", "n = 0"]
>>> labels = [line.startswith("def") for line in code]
>>> probes = mw.probe(model, tokenizer, code, labels, layers="all", l2=1.0)
>>> probes.accuracy, probes.control_accuracy
(array([1., 1.]), array([0.5, 0.5]))
>>> probes[1].direction.shape
(128,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..capture.sites import check_stream_kind
from ..checks import positive_int
from .collect import check_text_position, from_arrays, from_model, from_traces, is_model
from .result import Probe, ProbeResult
from .train import train_probes

__all__ = ["Probe", "ProbeResult", "probe"]


def probe(
    source: Any,
    tokenizer: Any = None,
    texts: Sequence[str] | None = None,
    labels: Any = None,
    *,
    layers: Any = "all",
    position: str | int = "last",
    site: str = "hook_resid_post",
    task: str = "auto",
    test_fraction: float = 0.25,
    l2: float | str = "auto",
    seed: int = 0,
    examples: Sequence[str] | None = None,
    batch_size: int = 16,
    max_length: int | None = None,
    truncate: bool = False,
) -> ProbeResult:
    """Train a linear probe for ``labels`` on the residual stream of every requested layer.

    Classes (strings, booleans, integers) get a logistic-regression probe, scalars a ridge
    regression. Every layer, and a control probe trained on shuffled labels, is fitted at once
    on ``[layer, n, d_model]`` tensors (L-BFGS, each problem stopping when it has converged;
    closed form for ridge), on standardised features, and scored on a seeded held-out split
    (stratified by class when each text is one example; the tokens of one text are held out
    together). The control is the same probe trained on the training labels shuffled among
    the training examples and scored on the true held-out labels: its training score shows how
    much a probe can memorise, its held-out score sits at chance, and a real feature scores
    well above it.

    Regularisation: an L2 penalty on the standardised weights. ``l2="auto"`` picks, per
    layer, the strength in :data:`~mi_widgets.probing.fit.L2_GRID` (1e-4 to 10) with the
    lowest loss on 20 % of the training examples (with the real labels; the control uses the
    same strength), then refits on all of them.

    Args:
        source: a Hugging Face model of a supported family or a TransformerLens
            ``HookedTransformer`` (then give ``tokenizer``, ``texts`` and ``labels``); a
            :class:`~mi_widgets.Trace` or a list of them (one per text; pass ``labels=``); or
            activations ``[layer, n, d_model]`` / ``[n, d_model]`` (pass ``labels=``).
        tokenizer, texts: the model's tokenizer and the texts to read.
        labels: one per text (or per array row); with ``position="all"`` a list of labels per
            text (one per token), or a function from a text's token strings to their labels.
        layers: ``"all"``, a layer or a list of layers (negative counts from the end). For
            arrays, the model layer of each row of the first axis.
        position: ``"last"`` token, ``"mean"`` over tokens, an int token index, or ``"all"``
            (every token is an example).
        site: the kind of block site read: ``"hook_resid_post"`` (leaving the block),
            ``"hook_resid_pre"``, ``"hook_attn_out"`` or ``"hook_mlp_out"`` (models only: a
            trace records the first two).
        task: ``"auto"``, ``"classification"`` or ``"regression"``.
        test_fraction: the share of texts held out for scoring.
        l2: ``"auto"`` or a fixed penalty strength.
        seed: seeds the split and the control's shuffle.
        examples: for arrays, a name per example shown on hover (default ``example <i>``).
        batch_size, max_length, truncate: how texts are read (see ``top_activations``).

    Returns:
        :class:`ProbeResult`; ``result[layer]`` is that layer's :class:`Probe` with its unit
        ``direction`` in residual space.

    Example::

        texts = ["the cat (sat) on", "a dog ran", ...]
        probes = mw.probe(model, tokenizer, texts, is_inside_brackets, position="all")
        probes.accuracy, probes.control_accuracy    # [layer] held out
        probes[1].direction                         # [d_model], unit norm
    """
    position = check_text_position(position)
    site = check_stream_kind(site)
    if labels is None:
        raise TypeError("labels is required: one label per text (or per example)")
    if is_model(source):
        if texts is None:
            raise TypeError("texts is required when probing a model: a list of strings")
        batch_size = positive_int(batch_size, "batch_size")
        data, chosen = from_model(
            source,
            tokenizer,
            texts,
            labels,
            layers=layers,
            position=position,
            site=site,
            batch_size=batch_size,
            max_length=max_length,
            truncate=truncate,
        )
        where = f"{type(source).__name__} on {len(texts)} texts"
    elif _is_traces(source):
        traces = [source] if hasattr(source, "tokens") else list(source)
        data, chosen = from_traces(traces, labels, layers=layers, position=position, site=site)
        where = f"{traces[0].model_name} on {len(traces)} traces"
    else:
        data, chosen = from_arrays(source, labels, layers, examples)
        where = f"{data.activations.shape[1]} given activations"
    result = train_probes(
        data.activations,
        data.labels,
        data.groups,
        layers=chosen,
        site=site,
        examples=data.names,
        source=f"{where}, position={position!r}",
        task=task,
        test_fraction=test_fraction,
        l2=l2,
        seed=seed,
    )
    return result


def _is_traces(source: Any) -> bool:
    if hasattr(source, "tokens") and hasattr(source, "resid_post"):
        return True
    return (
        isinstance(source, (list, tuple))
        and len(source) > 0
        and all(hasattr(t, "tokens") and hasattr(t, "resid_post") for t in source)
    )
