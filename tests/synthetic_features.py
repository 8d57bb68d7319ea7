"""Feature statistics for tests: a FeatureStats filled with known values, a fake model that
colours new text, and real statistics of the demo model.

Every number is a closed-form function of the feature index (no randomness), so a test can
say which colour a token or which height a bar must have. Some features are dead, some have
fewer top examples than ``k`` (rows padded with doc -1 and NaN), one top example per feature
sits at the start of its document (its window cut), and hostile token strings are the maximum
tokens of many examples.
"""

from __future__ import annotations

import re

import numpy as np

from mi_widgets.sae.stats import FeatureStats
from tests.conftest import HOSTILE_TOKENS

#: Histogram edges shared by all features: powers of two, 2**-6 .. 2**3 (9 log-2 bins).
EDGES = 2.0 ** np.arange(-6, 4)


def is_dead(feature: np.ndarray | int, dead_every: int) -> np.ndarray:
    """Features ``dead_every - 1``, ``2 * dead_every - 1``, ... never fire."""
    return np.asarray(feature) % dead_every == dead_every - 1


def synthetic_stats(
    n_features: int = 24,
    *,
    k: int = 4,
    context: int = 2,
    n_intervals: int = 3,
    per_interval: int = 2,
    n_logits: int = 3,
    n_nearest: int = 4,
    n_words: int = 30,
    dead_every: int = 5,
) -> FeatureStats:
    """Statistics of ``n_features`` features with the values documented on each array below.

    ``max`` of feature ``f``: ``1 + (f % 8) / 2``; top example ``j``: ``max * (k - j) / k``;
    a window token ``w`` away from the centre: the centre's value ``/ 2**|w|``; interval
    ``i``'s examples: the middle of the interval. Vocabulary: ``HOSTILE_TOKENS`` then
    ``" w0"``, ``" w1"``, ...
    """
    f = np.arange(n_features)[:, None]
    j = np.arange(k)[None, :]
    vocab = [*HOSTILE_TOKENS, *(f" w{i}" for i in range(n_words))]
    n_vocab = len(vocab)
    dead = is_dead(f, dead_every)  # [F, 1]
    peak = np.where(dead, np.nan, 1 + (f % 8) / 2)
    # features f % 3 == 1 found only k - 2 examples
    found = np.where(dead, 0, np.where(f % 3 == 1, max(k - 2, 1), k))
    present = j < found  # [F, k]
    values = np.where(present, peak * (k - j) / k, np.nan).astype(np.float32)
    docs = np.where(present, (f * 7 + j) % 50, -1)
    positions = np.where(present, np.where(j == 1, 0, context + j), -1)
    w = np.arange(-context, context + 1)  # offset from the centre
    # examples 3j, 3j + 1 and 3j + 2 share their maximum token, as top examples often do
    tokens = f[..., None] * 3 + np.where(w == 0, j[..., None] // 3, j[..., None]) * 5
    tokens = (tokens + (w + context) * 7) % n_vocab  # [F, k, W]
    inside = present[..., None] & (positions[..., None] + w >= 0)
    window_tokens = np.where(inside, tokens, -1).astype(np.int32)
    window_values = np.where(inside, values[..., None] / 2.0 ** np.abs(w), np.nan)

    i = np.arange(n_intervals)[None, :, None]
    m = np.arange(per_interval)[None, None, :]
    f3 = f[..., None]
    edges = np.where(dead, 0, np.linspace(0, 1, n_intervals + 1)[None, :] * peak)
    drawn = ~dead[..., None] & ~((i == 0) & (m == per_interval - 1))  # [F, I, m]
    centre = (edges[:, :-1, None] + edges[:, 1:, None]) / 2
    interval_tokens = f3[..., None] * 3 + i[..., None] * 11 + m[..., None] * 5 + (w + context) * 7
    interval_values = np.where(drawn[..., None], centre[..., None] / 2.0 ** np.abs(w), np.nan)

    counts = np.where(
        dead, 0, ((f + np.arange(len(EDGES) - 1)) % 4) * (np.arange(len(EDGES) - 1) + 1)
    )
    n_firing = counts.sum(axis=1)
    n_tokens = 10_000
    n = np.arange(n_logits)[None, :]
    return FeatureStats(
        hook="blocks.1.hook_resid_post",
        values=values,
        docs=docs.astype(np.int64),
        positions=positions.astype(np.int64),
        window_tokens=window_tokens,
        window_values=window_values.astype(np.float32),
        interval_edges=edges.astype(np.float32),
        interval_counts=np.where(dead, 0, (f + np.arange(n_intervals)) * 3 + 1).astype(np.int64),
        interval_docs=np.where(drawn, (f3 + i * 5 + m) % 50, -1).astype(np.int64),
        interval_positions=np.where(drawn, context + m, -1).astype(np.int64),
        interval_window_tokens=np.where(drawn[..., None], interval_tokens % n_vocab, -1).astype(
            np.int32
        ),
        interval_window_values=interval_values.astype(np.float32),
        vocab=vocab,
        vocab_ids=np.arange(n_vocab, dtype=np.int64) + 100,
        edges=EDGES.astype(np.float32),
        counts=counts.astype(np.int64),
        n_firing=n_firing.astype(np.int64),
        sums=(n_firing * np.nan_to_num(peak[:, 0]) / 2).astype(np.float64),
        logit_top=((f * 5 + n) % n_vocab).astype(np.int32),
        logit_top_values=np.broadcast_to(2.0 - 0.5 * n, (n_features, n_logits)).astype(np.float32),
        logit_bottom=((f * 5 + 13 + n) % n_vocab).astype(np.int32),
        logit_bottom_values=np.broadcast_to(-0.5 * (n_logits - n), (n_features, n_logits)).astype(
            np.float32
        ),
        nearest=((f + 1 + np.arange(n_nearest)) % n_features).astype(np.int64),
        nearest_cosine=np.broadcast_to(
            0.9 - 0.1 * np.arange(n_nearest), (n_features, n_nearest)
        ).astype(np.float32),
        n_tokens=n_tokens,
        n_docs=50,
        source="synthetic statistics",
    )


class FakeOrigin:
    """Colours text like a model would, deterministically: tokens are the text split before
    each space (a token keeps its leading space); feature ``f`` at a token is
    ``((sum of its code points + f) % 5) / 2`` (0, 0.5, ..., 2)."""

    def __init__(self, n_features: int) -> None:
        self.n_features = n_features
        self.calls = 0

    def activations(self, text: str) -> tuple[list[str], np.ndarray]:
        self.calls += 1
        tokens = re.findall(r"\s*\S+", text) or [text]
        codes = np.array([sum(map(ord, token)) for token in tokens])[:, None]
        acts = ((codes + np.arange(self.n_features)) % 5) / 2
        return tokens, acts.astype(np.float32)

    @staticmethod
    def expected(text: str, feature: int) -> tuple[list[str], np.ndarray]:
        """The tokens of ``text`` and feature ``feature``'s activation at each."""
        tokens, acts = FakeOrigin(feature + 1).activations(text)
        return tokens, acts[:, feature]


def demo_stats(hook: str = "blocks.1.hook_resid_post", n_texts: int = 8) -> FeatureStats:
    """Real statistics (with their live ``origin``): 48 features of an untrained TopK
    autoencoder on the demo model, over its first held-out texts."""
    import torch

    import mi_widgets as mw
    from mi_widgets.sae import SparseAutoencoder

    model, tokenizer = mw.demo_model()
    width = 128 if hook.endswith("resid_post") else 512
    sae = SparseAutoencoder(width, 48, "topk", k=6, hook=hook, seed=2)
    with torch.no_grad():
        sae.b_enc.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
    corpus = mw.demo_corpus("eval")[:n_texts]
    return mw.feature_stats(
        model, tokenizer, sae, corpus, k=5, context=3, n_intervals=4, interval_examples=3,
        n_nearest=4, progress=False,
    )  # fmt: skip
