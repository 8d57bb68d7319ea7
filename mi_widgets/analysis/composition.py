"""Head composition: how much of what an earlier head writes a later head reads (Elhage et al.
2021, "A Mathematical Framework for Transformer Circuits").

>>> comp = mw.composition_scores(model)
>>> comp.scores.shape                     # [kind, layer, head, layer, head]
(3, 2, 4, 2, 4)
>>> [(w, r, round(s, 2)) for w, r, s in comp.top("K", 2)]  # (writer, reader, excess)
[((0, 0), (1, 0), 0.14), ((0, 2), (1, 0), 0.13)]

In TransformerLens' row-vector convention (:mod:`mi_widgets.capture.attention_weights`) a
head's QK circuit is ``W_QK = W_Q W_Kᵀ`` ``[d_model, d_model]`` (its attention score from a
query residual ``x_q`` to a key residual ``x_k`` is ``x_q W_QK x_kᵀ``) and its OV circuit is
``W_OV = W_V W_O`` ``[d_model, d_model]`` (a key residual ``x`` adds ``x W_OV`` to the query's
residual stream). With ``W_OV¹`` of a head in an earlier layer and ``W_QK²``, ``W_OV²`` of a
head in a later layer, the three compositions are

- **Q**: the earlier head's output feeds the later head's queries, ``M = W_OV¹ W_QK²``;
- **K**: it feeds the later head's keys, ``M = W_OV¹ W_QK²ᵀ``;
- **V**: it feeds the later head's values, ``M = W_OV¹ W_OV²``;

and the score is ``‖M‖_F / (‖W_OV¹‖_F ‖W_QK²‖_F)`` (``‖W_OV²‖_F`` for V), between 0 and 1:
high when the earlier head writes the directions the later head reads, near the baseline
when the two are unrelated. These are Elhage et al.'s ``‖W_QKᵀ W_OV‖``, ``‖W_QK W_OV‖`` and
``‖W_OV W_OV‖`` written for row vectors (``M`` is their matrix transposed; the norms are
equal). Norm weights are folded in; biases and rotary embeddings are left out (see
:mod:`~mi_widgets.capture.attention_weights`).

The **baseline** is the mean score of random matrices of the same shapes (Gaussian
``W_Q, W_K, W_V [d_model, d_head]`` and ``W_O [d_head, d_model]``): unrelated maps still
overlap a little, about ``1 / sqrt(d_model)``. Scores well above it mean composition.

Every score is computed on factors ``[d_head, d_head]`` (``‖A B C ᵀ‖_F`` with orthonormal
bases of ``A`` and ``C`` from a QR decomposition), all head pairs of a reading layer at once;
no ``[d_model, d_model]`` matrix per head is formed.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..capture.attention_weights import AttentionWeights, attention_weights
from ..checks import as_float32
from ._archive import read_archive, write_archive

#: The composition kinds, in the order of the first axis of the scores.
KINDS = ("Q", "K", "V")

_VERSION = 1


@dataclass(frozen=True, eq=False)
class CompositionScores:
    """Q-, K- and V-composition of every pair of heads in different layers.

    Attributes:
        scores: float32 ``[kind, layer, head, layer, head]``: ``scores[k, l1, h1, l2, h2]`` is
            how much head ``l1.h1`` (the writer, earlier) composes with head ``l2.h2`` (the
            reader, later) by kind ``KINDS[k]``; NaN unless ``l1 < l2``.
        baseline: float32 ``[kind]`` the mean score of random matrices of the same shapes.
        model_name: the model the weights came from.
    """

    scores: np.ndarray
    baseline: np.ndarray
    model_name: str = ""

    def __post_init__(self) -> None:
        scores = as_float32(self.scores, "scores")
        if (
            scores.ndim != 5
            or scores.shape[0] != len(KINDS)
            or scores.shape[1:3] != scores.shape[3:]
        ):
            raise ValueError(
                "scores must have shape [kind=3, layer, head, layer, head], got "
                f"{list(scores.shape)}"
            )
        baseline = as_float32(self.baseline, "baseline")
        if baseline.shape != (len(KINDS),):
            raise ValueError(f"baseline must have shape [3] (Q, K, V), got {list(baseline.shape)}")
        for array in (scores, baseline):
            array.setflags(write=False)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "baseline", baseline)
        object.__setattr__(self, "model_name", str(self.model_name))

    @property
    def n_layers(self) -> int:
        return int(self.scores.shape[1])

    @property
    def n_heads(self) -> int:
        return int(self.scores.shape[2])

    def check_kind(self, kind: Any, argument: str = "kind") -> int:
        """The index of ``kind`` in :data:`KINDS`, else a ValueError naming the valid kinds."""
        if kind not in KINDS:
            raise ValueError(f"{argument}={kind!r} is not a composition kind; valid: Q, K, V")
        return KINDS.index(kind)

    def __getitem__(self, kind: str) -> np.ndarray:
        """The ``[layer, head, layer, head]`` scores of one kind (``"Q"``, ``"K"``, ``"V"``)."""
        return self.scores[self.check_kind(kind)]

    def excess(self, kind: str) -> np.ndarray:
        """``[layer, head, layer, head]`` scores of ``kind`` minus the random baseline."""
        index = self.check_kind(kind)
        return self.scores[index] - self.baseline[index]

    def top(self, kind: str, k: int = 5) -> list[tuple[tuple[int, int], tuple[int, int], float]]:
        """The ``k`` pairs composing most by ``kind`` as ``((layer, head) of the writer,
        (layer, head) of the reader, score minus baseline)``, strongest first."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        excess = self.excess(kind)
        pairs = []
        for index in _largest(excess, int(k)):
            l1, h1, l2, h2 = (int(i) for i in np.unravel_index(index, excess.shape))
            pairs.append(((l1, h1), (l2, h2), float(excess.flat[index])))
        return pairs

    def partners(
        self, kind: str, layer: int, head: int, k: int = 3
    ) -> dict[str, list[tuple[int, int, float]]]:
        """The ``k`` heads that compose most with head ``layer.head`` by ``kind``:
        ``"writers"`` (earlier heads it reads from) and ``"readers"`` (later heads that read
        it), each as ``(layer, head, score minus baseline)``, strongest first."""
        excess = self.excess(kind)
        sides = {"writers": excess[:, :, layer, head], "readers": excess[layer, head]}
        return {
            side: [
                (*divmod(int(i), self.n_heads), float(values.flat[i])) for i in _largest(values, k)
            ]
            for side, values in sides.items()
        }

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write one ``.npz`` file (``scores``, ``baseline`` and ``meta.json``)."""
        arrays = {"scores": self.scores, "baseline": self.baseline}
        meta = {"kinds": list(KINDS), "model_name": self.model_name}
        return write_archive(path, "CompositionScores", _VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | pathlib.Path) -> CompositionScores:
        """Read a file written by :meth:`save`."""
        arrays, meta = read_archive(path, "CompositionScores", _VERSION)
        return cls(arrays["scores"], arrays["baseline"], meta.get("model_name", ""))

    def __repr__(self) -> str:
        lines = [
            f"CompositionScores({self.n_layers} layers x {self.n_heads} heads"
            + (f", {self.model_name})" if self.model_name else ")")
        ]
        for index, kind in enumerate(KINDS):
            best = "  ".join(
                f"L{w[0]}H{w[1]}->L{r[0]}H{r[1]} {s:+.3f}" for w, r, s in self.top(kind, 3)
            )
            lines.append(f"  {kind}  baseline {self.baseline[index]:.3f}  top {best}")
        return "\n".join(lines)


def composition_scores(
    model: Any, *, baseline_samples: int = 64, seed: int = 0
) -> CompositionScores:
    """Q-, K- and V-composition scores of every pair of heads in different layers.

    Args:
        model: a Hugging Face GPT-2, GPT-NeoX/Pythia or Llama-style model (Mistral, Qwen2;
            grouped-query heads are fine) or a TransformerLens ``HookedTransformer``.
        baseline_samples: random heads per side for the baseline (``n²`` random pairs).
        seed: seed of the random baseline matrices.

    Returns:
        :class:`CompositionScores`: ``scores [kind, layer, head, layer, head]`` (writer
        first, reader second; NaN unless the writer's layer is earlier) and ``baseline
        [kind]``.

    Raises:
        ValueError: for a model whose heads cannot be read this way (BERT and other
            post-norm models, unknown attention modules), naming the class.
    """
    if (
        isinstance(baseline_samples, bool)
        or not isinstance(baseline_samples, int)
        or (baseline_samples < 2)
    ):
        raise ValueError(f"baseline_samples must be an int >= 2, got {baseline_samples!r}")
    weights = attention_weights(model)
    n_layers, n_heads, d_model, d_head = weights.shape
    scores = torch.full((len(KINDS), n_layers, n_heads, n_layers, n_heads), float("nan"))
    factors = _Factors(weights)
    for reader in range(1, n_layers):  # one batch of every writer x reader head pair per layer
        scores[:, :reader, :, reader] = factors.scores(slice(0, reader), reader)
    return CompositionScores(
        scores.numpy(),
        _random_baseline(d_model, d_head, baseline_samples, seed),
        type(model).__name__,
    )


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """Flat indices of the ``k`` largest values of ``values`` (NaN left out), largest first."""
    flat = values.ravel()
    order = np.argsort(-np.nan_to_num(flat, nan=-np.inf), kind="stable")
    return order[~np.isnan(flat[order])][:k]


class _Factors:
    """The low-rank factors of every head's circuits, for norms of products.

    ``W_OV = W_V W_O`` and ``W_QK = W_Q W_Kᵀ`` are ``A Bᵀ`` with ``A, B [d_model, d_head]``;
    a QR decomposition ``A = Q R`` with orthonormal ``Q`` gives ``‖A X‖_F = ‖R X‖_F``.
    """

    def __init__(self, weights: AttentionWeights) -> None:
        w_o_t = weights.W_O.transpose(-1, -2)  # [layer, head, d_model, d_head]
        self.w_q, self.w_k, self.w_v, self.w_o = weights.W_Q, weights.W_K, weights.W_V, weights.W_O
        self.r_q, self.r_k, self.r_v, self.r_o = (
            torch.linalg.qr(m, mode="r").R for m in (weights.W_Q, weights.W_K, weights.W_V, w_o_t)
        )
        # ‖W_OV‖_F = ‖R_V R_Oᵀ‖_F, ‖W_QK‖_F = ‖R_Q R_Kᵀ‖_F: [layer, head]
        self.ov_norm = torch.linalg.matrix_norm(self.r_v @ self.r_o.transpose(-1, -2))
        self.qk_norm = torch.linalg.matrix_norm(self.r_q @ self.r_k.transpose(-1, -2))

    def scores(self, writers: slice, reader: int) -> torch.Tensor:
        """``[kind, writer_layer, writer_head, reader_head]`` for every head of the layers
        ``writers`` writing to every head of layer ``reader``."""
        w_o = self.w_o[writers]  # [wl, wh, d_head, d_model]
        r_v = self.r_v[writers]  # [wl, wh, d_head, d_head]
        # middle factors W_O¹ X² [wl, wh, rh, d_head, d_head] for X = W_Q, W_K, W_V
        middle = [
            torch.einsum("lhed,rdf->lhref", w_o, m[reader]) for m in (self.w_q, self.w_k, self.w_v)
        ]
        outer = (self.r_k[reader], self.r_q[reader], self.r_o[reader])  # Q, K, V right sides
        kinds = []
        for mid, right in zip(middle, outer, strict=True):
            product = torch.einsum("lhae,lhref,rbf->lhrab", r_v, mid, right)
            kinds.append(torch.linalg.matrix_norm(product))
        numerators = torch.stack(kinds)  # [kind, wl, wh, rh]
        reader_norms = torch.stack(
            [self.qk_norm[reader], self.qk_norm[reader], self.ov_norm[reader]]
        )  # [kind, rh]
        writer_norms = self.ov_norm[writers]  # [wl, wh]
        return numerators / (writer_norms[None, :, :, None] * reader_norms[:, None, None, :])


def _random_baseline(d_model: int, d_head: int, n: int, seed: int) -> np.ndarray:
    """``[kind]`` the mean score of ``n`` random writer heads with ``n`` random reader heads
    (Gaussian weights of the real shapes)."""
    generator = torch.Generator().manual_seed(seed)

    def gaussian(*shape: int) -> torch.Tensor:
        return torch.randn(2, n, *shape, generator=generator)

    weights = AttentionWeights(
        W_Q=gaussian(d_model, d_head),
        W_K=gaussian(d_model, d_head),
        W_V=gaussian(d_model, d_head),
        W_O=gaussian(d_head, d_model),
    )
    return _Factors(weights).scores(slice(0, 1), 1).mean(dim=(1, 2, 3)).numpy()
