"""Train a sparse autoencoder on activations streamed from a model over a corpus, and
measure how well it reconstructs them.

>>> sae = mw.train_sae(model, tokenizer, texts, hook="blocks.1.hook_resid_post",
...                    n_features=64, k=4, progress=False)
>>> evaluation = sae.info["evaluation"]
>>> 0 < evaluation["fraction_variance_explained"] < 1, evaluation["l0"]
(True, 4.0)

Training follows Gao et al. (2024), "Scaling and evaluating sparse autoencoders" (the step
shared with transcoders, :mod:`mi_widgets.sae.trainer`): decoder rows kept at unit norm,
encoder initialised as the decoder's transpose, ``b_dec`` as the mean activation, the loss a
normalised MSE (squared error over the activations' variance), and an auxiliary loss against
dead features. ReLU autoencoders add an L1 penalty on feature activations.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from ..capture.precision import model_device, on_device
from ..capture.reader import CorpusReader
from ..capture.sites import at_site, canonical_name, reading, site_width
from .model import SparseAutoencoder
from .reconstruction import ReconstructionSums, SplicedLosses, recovered_fraction
from .trainer import SparseCoderTrainer as _Trainer
from .trainer import check_settings, run_epochs


@dataclass(frozen=True)
class SAEEvaluation:
    """How well an autoencoder stands in for the activations it reads, on some texts.

    Attributes:
        n_tokens: tokens evaluated.
        mse: mean squared error per activation element.
        fraction_variance_explained: ``1 - sum |x - x̂|² / sum |x - mean(x)|²``.
        l0: mean number of non-zero features per token.
        dead_fraction: fraction of features never non-zero on these tokens.
        loss_clean: the model's next-token loss (nats/token); ``None`` without an LM head.
        loss_spliced: the same with the reconstruction in place of the activations.
        loss_zero_ablated: the same with the activations replaced by zeros.
    """

    n_tokens: int
    mse: float
    fraction_variance_explained: float
    l0: float
    dead_fraction: float
    loss_clean: float | None
    loss_spliced: float | None
    loss_zero_ablated: float | None

    @property
    def loss_recovered(self) -> float | None:
        """``(zero_ablated - spliced) / (zero_ablated - clean)``: 1 when splicing the
        autoencoder in costs nothing, 0 when it is as bad as zeroing the activations."""
        return recovered_fraction(self.loss_clean, self.loss_spliced, self.loss_zero_ablated)

    def __str__(self) -> str:
        text = (
            f"{self.n_tokens} tokens: variance explained {self.fraction_variance_explained:.3f}, "
            f"MSE {self.mse:.4g}, L0 {self.l0:.1f}, dead {100 * self.dead_fraction:.1f} %"
        )
        if self.loss_clean is not None:
            text += (
                f", loss {self.loss_clean:.3f} → {self.loss_spliced:.3f} spliced "
                f"({self.loss_zero_ablated:.3f} zero-ablated"
            )
            recovered = self.loss_recovered
            text += ")" if recovered is None else f"; {100 * recovered:.1f} % recovered)"
        return text


def train_sae(
    model: Any,
    tokenizer: Any,
    corpus: Iterable[str],
    hook: str,
    n_features: int = 2048,
    k: int = 32,
    *,
    activation: str = "topk",
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
) -> SparseAutoencoder:
    """Train a sparse autoencoder on the activations at ``hook`` over ``corpus``.

    Args:
        model, tokenizer: a model :func:`~mi_widgets.trace` supports and its tokenizer.
        corpus: texts; read ``epochs`` times (a list, or anything iterable that often).
        hook: the site, e.g. ``"blocks.1.hook_resid_post"``, ``"blocks.0.hook_mlp_out"`` or
            ``"hook_embed"``: any site of one vector per position (see
            :mod:`mi_widgets.capture.sites`).
        n_features: dictionary size.
        k: features kept per token (``activation="topk"``).
        activation: ``"topk"`` or ``"relu"`` (with an L1 penalty).
        l1_coefficient: ``"relu"`` only: weight of the mean summed feature activation over
            the mean input norm, next to the normalised MSE.
        epochs: passes over the corpus.
        batch_size: activation rows (tokens) per optimiser step.
        lr: Adam learning rate.
        buffer_size: rows collected and shuffled before training on them (more mixes
            documents better; memory ``buffer_size * width * 4`` bytes).
        aux_k: dead features used by the auxiliary loss.
        dead_after: tokens without firing after which a feature counts as dead.
        text_batch_size: texts per forward pass of the model.
        max_length, truncate: texts longer than ``max_length`` (default: the model's
            context) are cut to it, or raise when ``truncate`` is False.
        eval_corpus: texts for the final :func:`evaluate_sae` (``None``: the first 64 texts
            of ``corpus`` when it is a list, said so in ``info``).
        seed: initialisation and shuffling.
        progress: ``tqdm.auto`` bars.

    Returns:
        The autoencoder; ``sae.info`` holds the training settings, time and the evaluation.
    """
    reader = CorpusReader(model, tokenizer, max_length)
    hook = canonical_name(model, hook)
    check_settings(
        "train_sae", corpus, activation,
        epochs=epochs, batch_size=batch_size, buffer_size=buffer_size, aux_k=aux_k,
    )  # fmt: skip
    sae = SparseAutoencoder(
        site_width(model, hook),
        n_features,
        activation,
        k if activation == "topk" else None,
        hook=hook,
        seed=seed,
    ).to(model_device(model))
    trainer = _Trainer(sae, lr, l1_coefficient, aux_k, dead_after)
    start = time.perf_counter()

    def rows(epoch: int) -> Iterator[torch.Tensor]:
        label = f"train_sae epoch {epoch + 1}/{epochs}" if progress else None
        return _activations(reader, corpus, hook, text_batch_size, truncate, label)

    run_epochs(
        rows, trainer.step, epochs=epochs, batch_size=batch_size, buffer_size=buffer_size,
        seed=seed,
    )  # fmt: skip
    sae.info = {
        "hook": hook,
        "model": reader.name,
        "activation": activation,
        "k": sae.k,
        "l1_coefficient": l1_coefficient if activation == "relu" else None,
        "steps": trainer.steps,
        "tokens_trained": trainer.tokens,
        "epochs": epochs,
        "seconds": round(time.perf_counter() - start, 1),
        "final_batch_loss": float(trainer.last_loss),
    }
    if eval_corpus is None and isinstance(corpus, Sequence):
        eval_corpus, sae.info["evaluation_texts"] = corpus[:64], "the first 64 training texts"
    if eval_corpus is not None:
        evaluation = evaluate_sae(model, tokenizer, sae, eval_corpus, max_length=max_length)
        sae.info["evaluation"] = asdict(evaluation) | {"loss_recovered": evaluation.loss_recovered}
    return sae


@torch.no_grad()
def evaluate_sae(
    model: Any,
    tokenizer: Any,
    sae: SparseAutoencoder,
    corpus: Iterable[str],
    hook: str | None = None,
    *,
    batch_size: int = 16,
    max_length: int | None = None,
    truncate: bool = True,
) -> SAEEvaluation:
    """Reconstruction quality, sparsity, dead features and the model's loss with ``sae``
    spliced in at ``hook`` (default ``sae.hook``), over ``corpus``.

    The loss is next-token cross-entropy over every real token but the last of each text,
    for causal language models (``None`` otherwise).
    """
    hook = sae.check_sites(model, hook)[0]
    reader = CorpusReader(model, tokenizer, max_length)
    sae = on_device(sae, model_device(model))
    sums, losses = ReconstructionSums(sae.n_features), SplicedLosses()
    for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=None):
        real = batch.mask.bool()
        with reading(model, [hook]) as records:
            clean = reader.forward(batch.input_ids, batch.mask)
        x = records[hook].float()[real.to(records[hook].device)]  # [tokens, d_in]
        features = sae.encode(x)
        sums.add(x, sae.decode(features), features)
        if clean is None or not reader.causal:
            continue
        with at_site(model, hook, lambda x: sae(x.float()).to(x.dtype)):
            spliced = reader.forward(batch.input_ids, batch.mask)
        with at_site(model, hook, torch.zeros_like):
            ablated = reader.forward(batch.input_ids, batch.mask)
        assert spliced is not None and ablated is not None  # the model gave clean logits
        losses.add(batch, clean=clean, spliced=spliced, ablated=ablated)
    if sums.n_tokens == 0:
        raise ValueError("corpus gave no tokens to evaluate on")
    return SAEEvaluation(
        n_tokens=sums.n_tokens,
        mse=sums.mse,
        fraction_variance_explained=sums.fraction_variance_explained,
        l0=sums.l0,
        dead_fraction=sums.dead_fraction,
        **losses.means(),
    )


def _activations(
    reader: CorpusReader,
    corpus: Iterable[str],
    hook: str,
    batch_size: int,
    truncate: bool,
    progress: str | None,
) -> Iterator[torch.Tensor]:
    """float32 ``[tokens, width]`` activation rows at ``hook``, batch by batch."""
    for batch in reader.stream(corpus, batch_size, truncate=truncate, progress=progress):
        acts = reader.read(batch.input_ids, batch.mask, [hook])[0]
        yield acts[batch.mask.bool()]  # a copy: the reader's buffer is reused
