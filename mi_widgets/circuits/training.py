"""Train transcoders for many layers at once on activations streamed from a model over a
corpus, and measure how well they stand in for the MLPs.

>>> tcs = mw.train_transcoders(model, tokenizer, texts, n_features=64, k=4, progress=False)
>>> len(tcs), tcs[1].hook_in
(2, 'blocks.1.ln2.hook_normalized')
>>> result = mw.evaluate_transcoders(model, tokenizer, tcs, texts)
>>> result.layers, all(l0 <= 4 for l0 in result.l0)     # TopK: at most k features per token
([0, 1], True)

One pass over the corpus reads the MLP input (``blocks.{i}.ln2.hook_normalized``) and output
(``blocks.{i}.hook_mlp_out``) of every requested layer; the transcoders of all layers are one
stack of weights with a leading layer dimension, trained by one batched optimiser step
(:mod:`mi_widgets.sae.trainer`, the step sparse autoencoders use), with the loss the MSE of
the predicted MLP output over the output's variance.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch

from ..capture.precision import model_device, on_device
from ..capture.reader import CorpusReader
from ..capture.sites import at_site, n_layers, reading, site_width
from ..checks import check_layers
from ..sae.reconstruction import ReconstructionSums, SplicedLosses, recovered_fraction
from ..sae.sparse import sparse_activation
from ..sae.trainer import SparseCoderTrainer, check_settings, run_epochs
from .transcoder import Transcoder, TranscoderSet


def train_transcoders(
    model: Any,
    tokenizer: Any,
    corpus: Iterable[str],
    layers: Any = None,
    n_features: int = 2048,
    k: int = 32,
    activation: str = "topk",
    skip: bool = False,
    *,
    l1_coefficient: float = 5.0,
    epochs: int = 1,
    batch_size: int = 4096,
    lr: float = 1e-3,
    buffer_size: int = 65536,
    aux_k: int = 256,
    dead_after: int = 50_000,
    text_batch_size: int = 16,
    max_length: int | None = None,
    truncate: bool = True,
    eval_corpus: Sequence[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> TranscoderSet | dict[int, Transcoder]:
    """Train one transcoder per layer in ``layers``, each predicting its block's MLP output
    from the MLP's input, in one pass over ``corpus`` per epoch.

    Args:
        model, tokenizer: a model :func:`~mi_widgets.trace` supports and its tokenizer.
        corpus: texts; read ``epochs`` times (a list, or anything iterable that often).
        layers: an int or a list of ints (negative counts from the end); ``None``: every layer.
        n_features: features per transcoder.
        k: features kept per token (``activation="topk"``).
        activation: ``"topk"`` or ``"relu"`` (with an L1 penalty).
        skip: add a linear skip connection ``x @ W_skip`` to each transcoder.
        l1_coefficient: ``"relu"`` only: weight of the mean summed feature activation over
            the mean MLP-output norm, next to the normalised MSE.
        epochs: passes over the corpus.
        batch_size: tokens per optimiser step (every layer trains on the same tokens).
        lr: Adam learning rate.
        buffer_size: tokens collected and shuffled before training on them; memory
            ``buffer_size * 2 * len(layers) * d_model * 4`` bytes.
        aux_k: dead features used by the auxiliary loss.
        dead_after: tokens without firing after which a feature counts as dead.
        text_batch_size: texts per forward pass of the model.
        max_length, truncate: texts longer than ``max_length`` (default: the model's
            context) are cut to it, or raise when ``truncate`` is False.
        eval_corpus: texts for the final :func:`evaluate_transcoders` (``None``: the first 64
            texts of ``corpus`` when it is a list, said so in ``info``).
        seed: initialisation (layer ``i`` starts from seed ``seed + i``) and shuffling.
        progress: ``tqdm.auto`` bars.

    Returns:
        A :class:`TranscoderSet` when every layer of the model was trained; otherwise a dict
        ``{layer: Transcoder}`` of the layers asked for (a set needs every layer). Each
        transcoder's ``info`` holds the training settings, time and its evaluation.
    """
    reader = CorpusReader(model, tokenizer, max_length)
    count = n_layers(model)
    trained = check_layers(list(range(count)) if layers is None else layers, count, reader.name)
    check_settings(
        "train_transcoders", corpus, activation,
        epochs=epochs, batch_size=batch_size, buffer_size=buffer_size, aux_k=aux_k,
    )  # fmt: skip
    d_model = site_width(model, "blocks.0.hook_mlp_out")
    stack = _TranscoderStack(
        [
            Transcoder(
                d_model, n_features, activation=activation, k=k if activation == "topk" else None,
                layer=layer, skip=skip, seed=seed + layer,
            )
            for layer in trained
        ]
    ).to(model_device(model))  # fmt: skip
    trainer = SparseCoderTrainer(stack, lr, l1_coefficient, aux_k, dead_after)
    start = time.perf_counter()

    def rows(epoch: int) -> Iterator[torch.Tensor]:  # [tokens, in/out, layer, d_model]
        label = f"train_transcoders epoch {epoch + 1}/{epochs}" if progress else None
        return _mlp_rows(reader, corpus, trained, text_batch_size, truncate, label)

    def step(batch: torch.Tensor) -> None:
        trainer.step(batch[:, 0].transpose(0, 1), batch[:, 1].transpose(0, 1))

    run_epochs(rows, step, epochs=epochs, batch_size=batch_size, buffer_size=buffer_size, seed=seed)
    transcoders = [tc.to(model_device(model)) for tc in stack.unstack()]
    seconds = round(time.perf_counter() - start, 1)
    for tc, loss in zip(transcoders, trainer.last_loss.tolist(), strict=True):
        tc.info = {
            "model": reader.name,
            "hook_in": tc.hook_in,
            "hook_out": tc.hook_out,
            "activation": activation,
            "k": tc.k,
            "skip": skip,
            "l1_coefficient": l1_coefficient if activation == "relu" else None,
            "steps": trainer.steps,
            "tokens_trained": trainer.tokens,
            "epochs": epochs,
            "seconds": seconds,
            "layers_trained_together": list(trained),
            "final_batch_loss": loss,
        }
    if eval_corpus is None and isinstance(corpus, Sequence):
        eval_corpus = corpus[:64]
        for tc in transcoders:
            tc.info["evaluation_texts"] = "the first 64 training texts"
    if eval_corpus is not None:
        evaluation = evaluate_transcoders(
            model, tokenizer, transcoders, eval_corpus, max_length=max_length
        )
        for tc in transcoders:
            tc.info["evaluation"] = evaluation.of_layer(tc.layer)
    if len(trained) == count:
        return TranscoderSet(transcoders)
    return {tc.layer: tc for tc in transcoders}


@dataclass(frozen=True)
class TranscoderEvaluation:
    """How well transcoders stand in for the MLPs they replace, on some texts.

    Per layer (lists in the order of ``layers``), each transcoder reading the clean model's
    MLP input: ``mse`` (per element), ``fraction_variance_explained`` of the MLP output
    (``1 - sum |y - ŷ|² / sum |y - mean(y)|²``), ``l0`` (mean non-zero features per token),
    ``dead_fraction`` (features never non-zero). For the whole model: the next-token loss
    (nats/token; ``None`` without an LM head) clean, with every transcoder spliced in at once
    (each MLP's output replaced by its transcoder's prediction from the spliced model's MLP
    input) and with those MLPs zero-ablated.
    """

    n_tokens: int
    layers: list[int]
    mse: list[float]
    fraction_variance_explained: list[float]
    l0: list[float]
    dead_fraction: list[float]
    loss_clean: float | None
    loss_spliced: float | None
    loss_zero_ablated: float | None

    @property
    def loss_recovered(self) -> float | None:
        """``(zero_ablated - spliced) / (zero_ablated - clean)``: 1 when splicing the
        transcoders in costs nothing, 0 when it is as bad as zeroing the MLPs."""
        return recovered_fraction(self.loss_clean, self.loss_spliced, self.loss_zero_ablated)

    def of_layer(self, layer: int) -> dict[str, Any]:
        """The numbers of one layer, and the model's losses, as a dict."""
        if layer not in self.layers:
            raise ValueError(f"layer {layer} was not evaluated: layers are {self.layers}")
        i = self.layers.index(layer)
        per_layer = ("mse", "fraction_variance_explained", "l0", "dead_fraction")
        numbers = {name: getattr(self, name)[i] for name in per_layer}
        losses = {name: value for name, value in asdict(self).items() if name.startswith("loss")}
        return {
            "n_tokens": self.n_tokens,
            **numbers,
            **losses,
            "loss_recovered": self.loss_recovered,
        }

    def __str__(self) -> str:
        rows = [f"{self.n_tokens} tokens", "layer  variance explained      MSE     L0   dead %"]
        for i, layer in enumerate(self.layers):
            rows.append(
                f"{layer:>5}  {self.fraction_variance_explained[i]:>18.3f}  {self.mse[i]:>7.4g}"
                f"  {self.l0[i]:>5.1f}  {100 * self.dead_fraction[i]:>6.1f}"
            )
        if self.loss_clean is not None:
            recovered = self.loss_recovered
            rows.append(
                f"loss {self.loss_clean:.3f} clean, {self.loss_spliced:.3f} with every "
                f"transcoder spliced in, {self.loss_zero_ablated:.3f} with those MLPs "
                "zero-ablated"
                + ("" if recovered is None else f": {100 * recovered:.1f} % recovered")
            )
        return "\n".join(rows)


@torch.no_grad()
def evaluate_transcoders(
    model: Any,
    tokenizer: Any,
    transcoders: Any,
    corpus: Iterable[str],
    *,
    batch_size: int = 16,
    max_length: int | None = None,
    truncate: bool = True,
) -> TranscoderEvaluation:
    """Per-layer variance explained, sparsity and dead features of ``transcoders``, and the
    model's loss clean, with them all spliced in and with their MLPs zero-ablated, over
    ``corpus``.

    Args:
        transcoders: a :class:`TranscoderSet`, or a list or dict of transcoders of some layers
            (one each), made for ``model``.
        batch_size: texts per forward pass.
        max_length, truncate: as for :func:`train_transcoders`.

    The loss is next-token cross-entropy over every real token but the last of each text,
    for causal language models (``None`` otherwise).
    """
    device = model_device(model)
    given = [on_device(tc, device) for tc in _check_transcoders(model, transcoders)]
    reader = CorpusReader(model, tokenizer, max_length)
    sites = [site for tc in given for site in (tc.hook_in, tc.hook_out)]
    sums = [ReconstructionSums(tc.n_features) for tc in given]
    losses = SplicedLosses()
    for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=None):
        real = batch.mask.bool().to(device)
        with reading(model, sites) as records:
            clean = reader.forward(batch.input_ids, batch.mask)
        for tc, layer_sums in zip(given, sums, strict=True):
            x = records[tc.hook_in].float()[real]  # [tokens, d_model]
            features = tc.encode(x)
            layer_sums.add(records[tc.hook_out].float()[real], tc.decode(features, x), features)
        if clean is None or not reader.causal:
            continue
        with _spliced(model, given):
            spliced = reader.forward(batch.input_ids, batch.mask)
        with ExitStack() as stack:
            for tc in given:
                stack.enter_context(at_site(model, tc.hook_out, torch.zeros_like))
            ablated = reader.forward(batch.input_ids, batch.mask)
        assert spliced is not None and ablated is not None  # the model gave clean logits
        losses.add(batch, clean=clean, spliced=spliced, ablated=ablated)
    if sums[0].n_tokens == 0:
        raise ValueError("corpus gave no tokens to evaluate on")
    return TranscoderEvaluation(
        n_tokens=sums[0].n_tokens,
        layers=[tc.layer for tc in given],
        mse=[s.mse for s in sums],
        fraction_variance_explained=[s.fraction_variance_explained for s in sums],
        l0=[s.l0 for s in sums],
        dead_fraction=[s.dead_fraction for s in sums],
        **losses.means(),
    )


@contextmanager
def _spliced(model: Any, transcoders: list[Transcoder]) -> Iterator[None]:
    """Inside the block, each transcoder's prediction from its MLP's input replaces the MLP's
    output, in every forward pass of ``model``."""
    with ExitStack() as stack:
        for tc in transcoders:
            _splice(stack, model, tc)
        yield


def _splice(stack: ExitStack, model: Any, tc: Transcoder) -> None:
    inputs: dict[str, torch.Tensor] = {}

    def keep(x: torch.Tensor) -> None:
        inputs["x"] = x

    def predict(out: torch.Tensor) -> torch.Tensor:
        return tc(inputs["x"].float()).to(out.dtype)

    stack.enter_context(at_site(model, tc.hook_in, keep))
    stack.enter_context(at_site(model, tc.hook_out, predict))


def _check_transcoders(model: Any, transcoders: Any) -> list[Transcoder]:
    """The transcoders, in layer order, checked against ``model``'s layers and width."""
    if isinstance(transcoders, Transcoder):
        transcoders = [transcoders]
    elif isinstance(transcoders, dict):
        transcoders = list(transcoders.values())
    if not isinstance(transcoders, (TranscoderSet, list, tuple)):
        raise TypeError(
            "transcoders must be a TranscoderSet or a list of mi_widgets.Transcoder, got "
            f"{type(transcoders).__name__}"
        )
    given = sorted(transcoders, key=lambda tc: tc.layer)
    if not given:
        raise ValueError("transcoders is empty: give at least one transcoder")
    count, name = n_layers(model), type(model).__name__
    d_model = site_width(model, "blocks.0.hook_mlp_out")
    layers = [tc.layer for tc in given]
    if len(set(layers)) != len(layers):
        raise ValueError(f"transcoders has two transcoders for one layer: layers {layers}")
    for tc in given:
        if not isinstance(tc, Transcoder):
            raise TypeError(f"transcoders must hold mi_widgets.Transcoder, got {type(tc).__name__}")
        if tc.layer >= count:
            raise ValueError(
                f"transcoders has one for layer {tc.layer} but {name} has {count} blocks"
            )
        if (tc.d_in, tc.d_out) != (d_model, d_model):
            raise ValueError(
                f"transcoders[{tc.layer}] reads d_in = {tc.d_in} and writes d_out = {tc.d_out}, "
                f"but {name}'s MLPs read and write d_model = {d_model}"
            )
    return given


def _mlp_rows(
    reader: CorpusReader,
    corpus: Iterable[str],
    layers: Sequence[int],
    batch_size: int,
    truncate: bool,
    progress: str | None,
) -> Iterator[torch.Tensor]:
    """float32 ``[tokens, 2, layer, d_model]``: the MLP inputs (``[:, 0]``) and outputs
    (``[:, 1]``) of ``layers``, batch by batch, one forward pass per batch."""
    sites = [f"blocks.{layer}.ln2.hook_normalized" for layer in layers]
    sites += [f"blocks.{layer}.hook_mlp_out" for layer in layers]
    for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=progress):
        acts = reader.read(batch.input_ids, batch.mask, sites)  # [site, batch, pos, d_model]
        real = acts[:, batch.mask.bool()]  # a copy: the reader's buffer is reused
        yield real.reshape(2, len(layers), *real.shape[1:]).permute(2, 0, 1, 3)


class _TranscoderStack(torch.nn.Module):
    """Transcoders of several layers as one module whose weights carry a leading layer
    dimension: ``W_enc [layer, d_in, n_features]``, ``b_enc [layer, n_features]``, ``W_dec
    [layer, n_features, d_out]``, ``b_dec [layer, d_out]``, ``W_skip [layer, d_in, d_out]`` or
    ``None``; all of one activation and size."""

    W_enc: torch.nn.Parameter
    b_enc: torch.nn.Parameter
    W_dec: torch.nn.Parameter
    b_dec: torch.nn.Parameter
    W_skip: torch.nn.Parameter | None

    def __init__(self, transcoders: list[Transcoder]) -> None:
        super().__init__()
        first = transcoders[0]
        self.activation, self.k = first.activation, first.k
        self.layers = [tc.layer for tc in transcoders]
        names = ["W_enc", "b_enc", "W_dec", "b_dec"]
        names += ["W_skip"] if first.W_skip is not None else []
        for name in names:
            stacked = torch.stack([getattr(tc, name).detach() for tc in transcoders])
            setattr(self, name, torch.nn.Parameter(stacked))
        if first.W_skip is None:
            self.W_skip = None

    def pre_activations(self, x: torch.Tensor) -> torch.Tensor:
        """``[layer, rows, n_features]`` of MLP inputs ``[layer, rows, d_in]``."""
        return x @ self.W_enc + self.b_enc.unsqueeze(-2)

    def activate(self, pre: torch.Tensor) -> torch.Tensor:
        """The activation function on pre-activations ``[layer, rows, n_features]``."""
        return sparse_activation(pre, self.activation, self.k, torch.zeros(()))

    def unstack(self) -> list[Transcoder]:
        """One :class:`Transcoder` per layer, with copies of the trained weights."""
        return [
            Transcoder.from_tensors(
                self.W_enc[i], self.b_enc[i], self.W_dec[i], self.b_dec[i], layer=layer,
                W_skip=None if self.W_skip is None else self.W_skip[i],
                activation=self.activation, k=self.k,
            )
            for i, layer in enumerate(self.layers)
        ]  # fmt: skip
