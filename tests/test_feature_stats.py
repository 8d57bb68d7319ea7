"""feature_stats: every feature's dashboard data equals a brute-force computation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis._archive import write_archive
from mi_widgets.capture.reader import CorpusReader
from mi_widgets.sae import FeatureStats, SparseAutoencoder
from mi_widgets.sae.stats import feature_stats
from tests.conftest import GEMMA_AND_OLMO2

pytestmark = pytest.mark.usefixtures("torch_single_thread")

HOOK = "blocks.1.hook_resid_post"
K, CONTEXT, INTERVALS, PER_INTERVAL, BATCH = 5, 2, 4, 3, 3


@pytest.fixture(scope="module")
def scanned():
    model, tokenizer = mw.demo_model()
    corpus = ["", *mw.demo_corpus("eval")[:14]]
    sae = SparseAutoencoder(128, 48, "topk", k=6, hook=HOOK, seed=2)
    with torch.no_grad():
        sae.b_enc.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
        sae.b_enc[:3] = -100.0  # features that never fire: no examples at all
    stats = feature_stats(
        model, tokenizer, sae, corpus, k=K, context=CONTEXT, n_intervals=INTERVALS,
        interval_examples=PER_INTERVAL, batch_size=BATCH, dedupe=False, progress=False,
    )  # fmt: skip
    # the same features, text by text, from the same padded batches (bitwise the same floats)
    reader = CorpusReader(model, tokenizer)
    features, ids = {}, {}
    for batch in reader.stream(corpus, BATCH, truncate=True, progress=None):
        acts = sae.encode(reader.read(batch.input_ids, batch.mask, [HOOK])[0]).detach()
        for row, doc in enumerate(batch.doc_index.tolist()):
            n = int(batch.lengths[row])
            features[doc], ids[doc] = acts[row, :n].numpy(), batch.input_ids[row, :n].numpy()
    return model, tokenizer, sae, stats, features, ids


def test_top_examples_and_windows_equal_sorting_every_token(scanned):
    _, tokenizer, sae, stats, features, ids = scanned
    rows = [(doc, pos) for doc in sorted(features) for pos in range(len(ids[doc]))]
    values = np.concatenate([features[doc] for doc in sorted(features)])  # [tokens, feature]
    docs = np.array([d for d, _ in rows])
    positions = np.array([p for _, p in rows])
    rare = 0
    for f in range(sae.n_features):  # a reference: clarity over speed
        order = np.lexsort((positions, docs, -values[:, f]))[:K]
        order = order[values[order, f] > 0]  # a zero is no activation, never an example
        n = order.size
        rare += n < K
        np.testing.assert_array_equal(stats.values[f, :n], values[order, f])
        np.testing.assert_array_equal(stats.docs[f, :n], docs[order])
        np.testing.assert_array_equal(stats.positions[f, :n], positions[order])
        assert np.isnan(stats.values[f, n:]).all() and (stats.docs[f, n:] == -1).all()
        for example in stats.examples(f)[:2]:
            lo = max(example.position - CONTEXT, 0)
            hi = example.position + CONTEXT + 1
            window = ids[example.doc][lo:hi]
            assert example.tokens == tokenizer.batch_decode([[i] for i in window])
            np.testing.assert_array_equal(example.values, features[example.doc][lo:hi, f])
    assert rare > 0  # some features fired fewer than K times: their rows past that are empty
    assert stats.n_tokens == values.shape[0] and stats.n_docs == 15


def test_density_histogram_and_intervals_count_non_zero_activations(scanned):
    _, _, sae, stats, features, _ = scanned
    values = np.concatenate(list(features.values()))
    nonzero = values != 0
    np.testing.assert_array_equal(stats.n_firing, nonzero.sum(0))
    np.testing.assert_allclose(stats.sums, values.sum(0, dtype=np.float64), rtol=1e-5)
    np.testing.assert_allclose(stats.density, nonzero.mean(0))
    for f in range(sae.n_features):
        column = values[nonzero[:, f], f]
        expected = np.histogram(np.clip(column, -1024, 1024), stats.edges)[0]
        np.testing.assert_array_equal(stats.counts[f], expected)
        peak = column.max() if column.size else 0.0
        np.testing.assert_allclose(stats.interval_edges[f], np.linspace(0, 1, INTERVALS + 1) * peak)
        positive = column[column > 0]
        interval = np.clip(np.ceil(positive / peak * INTERVALS).astype(int) - 1, 0, INTERVALS - 1)
        np.testing.assert_array_equal(
            stats.interval_counts[f], np.bincount(interval, minlength=INTERVALS)
        )
        for low, high, count, examples in stats.interval_examples(f):
            assert len(examples) == min(count, PER_INTERVAL)
            assert len({(e.doc, e.position) for e in examples}) == len(examples)
            for example in examples:
                assert example.value == features[example.doc][example.position, f]
                assert low < example.value <= high * (1 + 1e-6) or (low == 0 and example.value > 0)


def test_logit_effects_and_neighbours_equal_the_weights(scanned):
    model, tokenizer, sae, stats, _, _ = scanned
    norm = model.gpt_neox.final_layer_norm.weight.detach()
    directions = sae.W_dec.detach()
    unembed = model.lm_head.weight.detach().T
    effects = ((directions - directions.mean(1, keepdim=True)) * norm) @ unembed
    cosine = (
        torch.nn.functional.normalize(directions, dim=1)
        @ torch.nn.functional.normalize(directions, dim=1).T
    )
    cosine.fill_diagonal_(-2)
    for f in (0, 7, 47):
        raised, lowered = stats.logits(f)
        top = effects[f].topk(10)
        assert [e.token for e in raised] == tokenizer.batch_decode([[i] for i in top.indices])
        np.testing.assert_allclose([e.value for e in raised], top.values, rtol=1e-4, atol=1e-5)
        bottom = effects[f].topk(10, largest=False)
        assert [e.token for e in lowered] == tokenizer.batch_decode([[i] for i in bottom.indices])
        best = cosine[f].topk(10)
        assert [n for n, _ in stats.neighbours(f)] == best.indices.tolist()
        np.testing.assert_allclose([c for _, c in stats.neighbours(f)], best.values, atol=1e-5)


def test_save_load_and_the_live_source(scanned, tmp_path):
    model, tokenizer, sae, stats, _, _ = scanned
    loaded = FeatureStats.load(stats.save(tmp_path / "features.npz"))
    for name in ("values", "docs", "interval_window_tokens", "counts", "logit_top", "nearest"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(stats, name))
    assert loaded.vocab == stats.vocab and loaded.hook == HOOK and loaded.origin is None
    assert "48 features" in repr(stats)
    text = "def add(a, b):\n    return a + b"
    tokens, acts = stats.origin.activations(text)
    trace = mw.trace(model, tokenizer, text)
    assert tokens == trace.tokens
    np.testing.assert_allclose(acts, sae.encode(trace.resid_post[1]).detach(), atol=1e-5)
    assert stats.origin.activations("")[0] == ["<|endoftext|>"]  # the tokenizer adds BOS


def test_bad_input_is_named(scanned):
    model, tokenizer, sae, stats, _, _ = scanned
    with pytest.raises(TypeError, match="corpus must be a list of texts"):
        feature_stats(model, tokenizer, sae, iter(["a"]), progress=False)
    with pytest.raises(ValueError, match="corpus is empty"):
        feature_stats(model, tokenizer, sae, [], progress=False)
    with pytest.raises(ValueError, match=r"the activations at blocks\.1\.hook_mlp_out are 128"):
        feature_stats(
            model, tokenizer, SparseAutoencoder(64, 8, "topk", k=2), ["a"], "blocks.1.hook_mlp_out"
        )
    with pytest.raises(ValueError, match="feature = 48 is out of range"):
        stats.examples(48)


def check_dashboard_data(model, tokenizer, linear_head: bool) -> None:
    """feature_stats at an MLP output and at MLP activations of a tiny 2-layer model."""
    texts = ["When Mary and John went to the store", "John gave a drink to Mary", "a b c d"]
    for hook, width in (("blocks.0.hook_mlp_out", 32), ("blocks.1.mlp.hook_post", 64)):
        sae = SparseAutoencoder(width, 16, "topk", k=3, hook=hook)
        stats = feature_stats(model, tokenizer, sae, texts, k=3, context=1, progress=False)
        assert stats.values.shape == (16, 3) and stats.n_docs == 3
        assert stats.n_firing.sum() == 3 * stats.n_tokens  # k = 3 features per token
        n_logits = 10 if linear_head and hook.endswith("mlp_out") else 0
        assert stats.logit_top.shape == (16, n_logits)


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert", *GEMMA_AND_OLMO2])
def test_every_family_gives_dashboard_data(tiny_family_models, tiny_gpt2, family):
    check_dashboard_data(tiny_family_models[family], tiny_gpt2[1], family != "bert")


@pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning")
def test_a_hooked_transformer_gives_dashboard_data(hooked):
    check_dashboard_data(*hooked, linear_head=True)


def test_pass_two_gives_the_same_whether_pass_one_kept_the_features_or_not(scanned, monkeypatch):
    from mi_widgets.sae import code_cache as module

    model, tokenizer, sae, stats, _, _ = scanned
    corpus = ["", *mw.demo_corpus("eval")[:14]]
    kept = []
    keep = module.CodeCache.keep

    def recorded(cache, *args):
        keep(cache, *args)
        kept.append(not cache.full)

    monkeypatch.setattr(module.CodeCache, "keep", recorded)
    for budget in (0, 200_000):  # none kept; the first batches kept, the rest run again
        again = feature_stats(
            model, tokenizer, sae, corpus, k=K, context=CONTEXT, n_intervals=INTERVALS,
            interval_examples=PER_INTERVAL, batch_size=BATCH, cache_bytes=budget,
            dedupe=False, progress=False,
        )  # fmt: skip
        for name in ("interval_counts", "interval_docs", "interval_positions", "values", "docs"):
            np.testing.assert_array_equal(getattr(again, name), getattr(stats, name))
        assert again.n_docs == stats.n_docs
    assert True in kept and kept[-1] is False  # the second run kept some batches, not all


def run_scanned(model, tokenizer, sae, texts, **options):
    """feature_stats with the options of the ``scanned`` fixture."""
    options = {"progress": False, "dedupe": False, "batch_size": BATCH, **options}
    return feature_stats(
        model, tokenizer, sae, texts, k=K, context=CONTEXT, n_intervals=INTERVALS,
        interval_examples=PER_INTERVAL, **options,
    )  # fmt: skip


def test_merge_of_two_halves_equals_one_pass_over_the_whole_corpus(scanned):
    model, tokenizer, sae, stats, _, _ = scanned
    corpus = ["", *mw.demo_corpus("eval")[:14]]
    halves = corpus[: 2 * BATCH], corpus[2 * BATCH :]  # the whole scan's batches: same floats
    first = [run_scanned(model, tokenizer, sae, half) for half in halves]
    with pytest.raises(ValueError, match=r"interval edges differ.*interval_max"):
        first[0].merge(first[1])  # each half cut its intervals at its own maximum
    maxima = np.maximum(first[0].max, first[1].max)
    np.testing.assert_array_equal(maxima, stats.max)
    parts = [run_scanned(model, tokenizer, sae, half, interval_max=maxima) for half in halves]
    merged = parts[0].merge(parts[1])
    assert (stats.interval_counts > PER_INTERVAL).any()  # some intervals were sampled from
    assert (parts[1].interval_docs >= 0).any() and (parts[0].interval_docs >= 0).any()
    for name in FeatureStats.ARRAYS:
        if name == "sums":  # float64 sums of per-batch sums, added in another order
            np.testing.assert_allclose(merged.sums, stats.sums, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(getattr(merged, name), getattr(stats, name), name)
    assert merged.vocab == stats.vocab and merged.hook == stats.hook
    assert (merged.n_tokens, merged.n_docs, merged.seed) == (stats.n_tokens, 15, 0)
    assert [e.tokens for e in merged.examples(10)] == [e.tokens for e in stats.examples(10)]
    # one pass with the whole corpus's maxima draws what two passes draw
    once = run_scanned(model, tokenizer, sae, corpus, interval_max=stats.max)
    for name in ("interval_docs", "interval_positions", "interval_window_tokens", "values"):
        np.testing.assert_array_equal(getattr(once, name), getattr(stats, name), name)


def test_merge_refuses_statistics_that_do_not_belong_together(scanned, tmp_path):
    model, tokenizer, sae, stats, _, _ = scanned
    with pytest.raises(TypeError, match="other must be a FeatureStats"):
        stats.merge(object())
    refusals = {
        "hook differs": replace(stats, hook="blocks.0.hook_resid_post"),
        "drawn with seed 0 and 1": replace(stats, seed=1),
        "different autoencoders": replace(stats, nearest=stats.nearest[:, ::-1]),
        r"k differs \(5 vs 4\)": replace(
            stats, values=stats.values[:, :4], window_tokens=stats.window_tokens[:, :4]
        ),
    }
    for message, other in refusals.items():
        with pytest.raises(ValueError, match=message):
            stats.merge(other)
    with pytest.raises(
        ValueError, match=r"interval_max must hold .* shape \(48,\); got shape \(3,\)"
    ):
        run_scanned(model, tokenizer, sae, ["a b"], interval_max=np.ones(3))
    with pytest.raises(ValueError, match="negative or non-finite"):
        run_scanned(model, tokenizer, sae, ["a b"], interval_max=np.full(48, np.nan))
    # a file written before the draw's seed was saved loads, and does not merge
    meta = {"hook": stats.hook, "vocab": stats.vocab, "n_tokens": 1, "n_docs": 15}
    arrays = {name: getattr(stats, name) for name in FeatureStats.ARRAYS}
    old = FeatureStats.load(write_archive(tmp_path / "old.npz", "FeatureStats", 1, arrays, meta))
    assert old.seed is None and old.source == ""
    np.testing.assert_array_equal(old.interval_docs, stats.interval_docs)
    with pytest.raises(ValueError, match="seed None and None"):
        old.merge(old)


def test_progress_shows_no_second_pass_when_pass_one_kept_every_text(scanned, capsys):
    model, tokenizer, sae, _, _, _ = scanned
    corpus = mw.demo_corpus("eval")[:6]
    run_scanned(model, tokenizer, sae, corpus, progress=True)
    bars = capsys.readouterr().err
    assert "feature_stats 1/2" in bars and "6/6" in bars
    assert "2/2" not in bars, "pass 2 read everything from the cache: no bar that reads 0 docs"
    run_scanned(model, tokenizer, sae, corpus, progress=True, cache_bytes=0)
    bars = capsys.readouterr().err
    assert "feature_stats 2/2:" in bars and "kept from pass 1" not in bars
    run_scanned(model, tokenizer, sae, corpus, progress=True, cache_bytes=100_000)
    bars = capsys.readouterr().err
    assert "feature_stats 2/2 (3 texts kept from pass 1):" in bars


def test_repeated_documents_give_distinct_examples_and_merge_exactly(scanned):
    """Each text three times, in batches of one (bitwise equal copies): every top and
    interval example is a different window, the first copy; halves merge into one pass."""
    model, tokenizer, sae, _, _, _ = scanned
    texts = mw.demo_corpus("eval")[:4]
    corpus = texts * 3
    options = {"batch_size": 1, "interval_max": None, "dedupe": True}
    stats = run_scanned(model, tokenizer, sae, corpus, **options)
    every = run_scanned(model, tokenizer, sae, corpus, **{**options, "dedupe": False})
    # one pass over the texts once: the same examples, numbered as the first copies
    once = run_scanned(model, tokenizer, sae, texts, **options)
    for name in ("values", "docs", "positions", "interval_docs", "interval_positions"):
        np.testing.assert_array_equal(getattr(stats, name), getattr(once, name), name)
    assert stats.dedupe and not every.dedupe
    windows = stats.token_ids(stats.window_tokens)  # [feature, k, window]
    found = stats.docs >= 0
    for f in range(sae.n_features):  # a check, not a hot path
        distinct = {tuple(w) for w in windows[f][found[f]]}
        assert len(distinct) == found[f].sum()
    repeated = every.token_ids(every.window_tokens)
    assert any(
        len({tuple(w) for w in repeated[f][every.docs[f] >= 0]}) < (every.docs[f] >= 0).sum()
        for f in range(sae.n_features)
    ), "without de-duplication the copies fill the top k"
    np.testing.assert_array_equal(stats.interval_counts, every.interval_counts)
    np.testing.assert_array_equal(stats.counts, every.counts)
    # merged halves equal one pass, de-duplicated across the halves too
    maxima = stats.max
    halves = corpus[:6], corpus[6:]
    parts = [
        run_scanned(model, tokenizer, sae, half, **{**options, "interval_max": maxima})
        for half in halves
    ]
    whole = run_scanned(model, tokenizer, sae, corpus, **{**options, "interval_max": maxima})
    merged = parts[0].merge(parts[1])
    for name in FeatureStats.ARRAYS:
        if name != "sums":
            np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name), name)
    assert merged.dedupe
    with pytest.raises(ValueError, match=r"dedupe differs \(True vs False\)"):
        parts[0].merge(replace(parts[1], dedupe=False))
