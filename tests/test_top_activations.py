"""top_activations: streamed top-k examples equal a brute-force scan, for every family."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis._streaming import TopState, batch_top
from mi_widgets.analysis.histograms import batch_histogram
from mi_widgets.analysis.top_activations import DEFAULT_EDGES
from tests.conftest import GEMMA_AND_OLMO2

FAMILIES = ("gpt2", "gpt2_base", "gpt_neox", "llama", "mistral", "qwen2", "bert", "bert_base")

pytestmark = pytest.mark.usefixtures("torch_single_thread")

CORPUS = [
    "When Mary and John went to the store, John gave a drink to Mary.",
    "Mary went to the store.",
    "",
    "John and Mary and John and Mary",
    "a drink",
    "the store, the store, the store",
    "When John went",
    "Mary gave John a drink at the store.",
]


def brute_force(acts_by_doc: list[np.ndarray], k: int) -> tuple[np.ndarray, ...]:
    """``(values, docs, positions)`` ``[neuron, k]`` by sorting every (value, doc, pos)."""
    rows = [(doc, pos) for doc, acts in enumerate(acts_by_doc) for pos in range(acts.shape[0])]
    values = np.concatenate([acts for acts in acts_by_doc if acts.shape[0]])  # [tokens, neuron]
    docs = np.array([doc for doc, _ in rows])
    positions = np.array([pos for _, pos in rows])
    out_values, out_docs, out_positions = [], [], []
    for m in range(values.shape[1]):  # a reference: clarity over speed
        order = np.lexsort((positions, docs, -values[:, m]))[:k]
        out_values.append(values[order, m])
        out_docs.append(docs[order])
        out_positions.append(positions[order])
    return np.array(out_values), np.array(out_docs), np.array(out_positions)


def brute_force_distinct(
    acts_by_doc: list[np.ndarray], ids_by_doc: list[list[int]], k: int, context: int
) -> tuple[np.ndarray, ...]:
    """Like :func:`brute_force`, but a window of token ids equal to that of a better-ranked
    example is skipped (``-1`` past the document ends); fewer than ``k``: NaN, doc -1."""
    rows = [(doc, pos) for doc, acts in enumerate(acts_by_doc) for pos in range(acts.shape[0])]
    values = np.concatenate([acts for acts in acts_by_doc if acts.shape[0]])
    windows = []
    for doc, pos in rows:
        padded = [-1] * context + list(ids_by_doc[doc]) + [-1] * context
        windows.append(tuple(padded[pos : pos + 2 * context + 1]))
    docs = np.array([doc for doc, _ in rows])
    positions = np.array([pos for _, pos in rows])
    out = np.full((3, values.shape[1], k), -1.0)
    out[0] = np.nan
    for m in range(values.shape[1]):  # a reference: clarity over speed
        seen, j = set(), 0
        for row in np.lexsort((positions, docs, -values[:, m])):
            if j < k and windows[row] not in seen:
                seen.add(windows[row])
                out[:, m, j] = values[row, m], docs[row], positions[row]
                j += 1
    return out[0], out[1].astype(np.int64), out[2].astype(np.int64)


def streamed_activations(
    model, tokenizer, corpus: list[str], layer: int, batch_size: int = 1
) -> list[np.ndarray]:
    """``mlp_post`` ``[pos, d_mlp]`` of each text, traced in the same padded batches as the
    scan (so the floats are bitwise the same); ``[0, d_mlp]`` for a text without tokens."""
    out = []
    for start in range(0, len(corpus), batch_size):
        chunk = corpus[start : start + batch_size]
        texts = [text for text in chunk if tokenizer(text)["input_ids"]]
        traces = iter(
            mw.trace(model, tokenizer, texts, layers=[layer], kinds="mlp") if texts else []
        )
        for text in chunk:
            if text in texts:
                out.append(next(traces).mlp_post[0].numpy())
            else:
                out.append(
                    np.zeros((0, getattr(model.config, "n_inner", None) or 64), dtype=np.float32)
                )
    return out


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_equals_brute_force_on_a_small_corpus(tiny_family_models, tiny_gpt2, batch_size):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    top = mw.top_activations(
        model, tokenizer, CORPUS, layer=1, k=5, context=2, batch_size=batch_size, progress=False
    )
    acts = streamed_activations(model, tokenizer, CORPUS, 1, batch_size)
    values, docs, positions = brute_force(acts, 5)
    np.testing.assert_allclose(top.values[0], values, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(top.docs[0], docs)
    np.testing.assert_array_equal(top.positions[0], positions)
    assert top.layers == (1,) and top.k == 5 and top.context == 2
    assert top.n_docs == len(CORPUS)
    assert top.n_tokens == sum(a.shape[0] for a in acts)
    every = np.concatenate(acts)
    np.testing.assert_allclose(top.density[0], (every > 0).mean(0))
    np.testing.assert_allclose(top.mean[0], every.mean(0), rtol=1e-5, atol=1e-6)
    expected_counts = np.stack(
        [np.histogram(np.clip(every[:, m], -1024, 1024), DEFAULT_EDGES)[0] for m in range(64)]
    )
    np.testing.assert_array_equal(top.counts[0], expected_counts)


def test_windows_hold_the_tokens_and_values_around_each_example(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    top = mw.top_activations(model, tokenizer, CORPUS, layer=0, k=4, context=3, progress=False)
    acts = streamed_activations(model, tokenizer, CORPUS, 0, 8)
    for neuron in (0, 17, 63):
        examples = top.examples(neuron)
        assert len(examples) == 4
        for example in examples:
            ids = tokenizer(CORPUS[example.doc])["input_ids"]
            strings = tokenizer.batch_decode([[i] for i in ids], clean_up_tokenization_spaces=False)
            start = max(0, example.position - 3)
            assert example.tokens == strings[start : example.position + 4]
            assert example.tokens[example.center] == strings[example.position]
            np.testing.assert_allclose(
                example.values, acts[example.doc][start : example.position + 4, neuron], rtol=1e-5
            )
            assert example.values[example.center] == pytest.approx(example.value)


def test_ties_go_to_the_earlier_document_then_position():
    # neuron 0: all equal; neuron 1: two values tied across documents and positions
    acts = torch.zeros(1, 3, 4, 2)
    acts[0, :, :, 1] = torch.tensor([[1.0, 2.0, 2.0, 0.0], [2.0, 1.0, 0.0, 0.0], [3.0, 2.0, 0, 0]])
    acts[0, 0, 1, 0] = -0.0  # equal to 0.0: no effect on the order
    lengths = torch.tensor([4, 2, 3])
    ids = torch.arange(12).reshape(3, 4)
    state = TopState.empty(1, 2, k=4, window=3)
    state.absorb(batch_top(acts, ids, lengths, k=4, context=1), k=4)
    assert state.docs[0, 0].tolist() == [0, 0, 0, 0]
    assert state.positions[0, 0].tolist() == [0, 1, 2, 3]
    assert state.values[0, 1].tolist() == [3.0, 2.0, 2.0, 2.0]
    assert list(zip(state.docs[0, 1].tolist(), state.positions[0, 1].tolist(), strict=True)) == [
        (2, 0),
        (0, 1),
        (0, 2),
        (1, 0),
    ]
    # padding (doc 1 position 2, doc 2 position 3) is never an example; windows stop at ends
    window_ids, window_values = state.windows()
    assert window_ids[0, 1, 3].tolist() == [-1, 4, 5]
    assert window_values[0, 1, 3, 1:].tolist() == [2.0, 1.0] and window_values[0, 1, 3, 0].isnan()


def test_default_histogram_bins_match_bucketize_at_every_edge():
    edges = DEFAULT_EDGES
    near = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)])
    values = np.concatenate([near, [0.0, -0.0, 5e-5, -5e-5, 3000.0, -3000.0, 0.3, -7.5]])
    values = values.astype(np.float32)
    counts = batch_histogram(torch.from_numpy(values)[None, :, None], torch.tensor(edges))
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)
    np.testing.assert_array_equal(counts[0, 0].numpy(), np.bincount(bins, minlength=edges.size - 1))
    custom = np.linspace(-3, 5, 9, dtype=np.float32)
    counts = batch_histogram(torch.from_numpy(values)[None, :, None], torch.from_numpy(custom))
    bins = np.clip(np.searchsorted(custom, values, side="right") - 1, 0, custom.size - 2)
    np.testing.assert_array_equal(
        counts[0, 0].numpy(), np.bincount(bins, minlength=custom.size - 1)
    )


def test_ties_are_independent_of_the_batch_size(tiny_gpt2):
    """A ReLU model whose neurons are 0 on most tokens: lots of exact ties."""
    from transformers import AutoModelForCausalLM, GPT2Config

    tokenizer = tiny_gpt2[1]
    torch.manual_seed(3)
    config = GPT2Config(
        n_layer=1,
        n_head=2,
        n_embd=16,
        n_inner=32,
        vocab_size=len(tokenizer),
        n_positions=64,
        activation_function="relu",
        bos_token_id=0,
        eos_token_id=0,
    )
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():
        model.transformer.h[
            0
        ].mlp.c_fc.bias -= 0.15  # most neurons silent (exactly 0) most of the time
    corpus = [text for text in CORPUS if text] * 3
    for batch_size in (1, 4, 100):
        top = mw.top_activations(
            model,
            tokenizer,
            corpus,
            layer=0,
            k=12,
            context=1,
            batch_size=batch_size,
            dedupe=False,
            progress=False,
        )
        acts = streamed_activations(model, tokenizer, corpus, 0, batch_size)
        values, docs, positions = brute_force(acts, 12)
        assert (values == 0).sum() > 10, "the ReLU model gives ties at 0"
        assert (values[:, :-1] == values[:, 1:])[values[:, 1:] > 0].any(), "and repeated texts"
        np.testing.assert_array_equal(top.values[0], values)
        np.testing.assert_array_equal(top.docs[0], docs)
        np.testing.assert_array_equal(top.positions[0], positions)


@pytest.mark.parametrize("name", [*FAMILIES, *GEMMA_AND_OLMO2])
def test_every_family_matches_its_trace(tiny_family_models, tiny_gpt2, name):
    model, tokenizer = tiny_family_models[name], tiny_gpt2[1]
    was_training = model.training
    corpus = [text for text in CORPUS if text][:5]
    top = mw.top_activations(
        model, tokenizer, corpus, layer=[0, -1], k=3, context=1, batch_size=2, dedupe=False,
        progress=False,
    )  # fmt: skip
    assert model.training == was_training
    assert top.layers == (0, 1) and top.values.shape == (2, 64, 3)
    for j, layer in enumerate(top.layers):
        acts = streamed_activations(model, tokenizer, corpus, layer, 2)
        values, docs, positions = brute_force(acts, 3)
        np.testing.assert_allclose(top.values[j], values, rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(top.docs[j], docs)
        np.testing.assert_array_equal(top.positions[j], positions)


@pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning")
def test_transformer_lens_model(hooked):
    model, tokenizer = hooked
    corpus = [text for text in CORPUS if text]
    top = mw.top_activations(model, tokenizer, corpus, layer=1, k=3, batch_size=3, progress=False)
    acts = [
        trace.mlp_post[0].numpy()
        for start in range(0, len(corpus), 3)
        for trace in mw.trace(model, tokenizer, corpus[start : start + 3], layers=[1], kinds="mlp")
    ]
    values, docs, positions = brute_force(acts, 3)
    np.testing.assert_allclose(top.values[0], values, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(top.docs[0], docs)
    np.testing.assert_array_equal(top.positions[0], positions)


def test_generator_corpus_save_load_and_merge(tiny_family_models, tiny_gpt2, tmp_path):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    run = lambda texts: mw.top_activations(  # noqa: E731
        model, tokenizer, texts, layer=1, k=4, context=2, batch_size=2, progress=False
    )
    whole = run(text for text in CORPUS)  # a generator: no len, read once
    first, second = run(CORPUS[:4]), run(CORPUS[4:])  # the same batches as the whole scan
    merged = first.merge(second)
    for name in ("values", "docs", "positions", "counts", "n_firing"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name), err_msg=name)
    assert merged.n_tokens == whole.n_tokens and merged.n_docs == whole.n_docs
    assert [e.tokens for e in merged.examples(5)] == [e.tokens for e in whole.examples(5)]

    path = whole.save(tmp_path / "top.npz")
    loaded = mw.TopActivations.load(path)
    assert loaded.layers == whole.layers and loaded.vocab == whole.vocab
    for name in ("values", "window_tokens", "window_values", "counts", "edges", "sums"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(whole, name))
    for a, b in zip(loaded.examples(3), whole.examples(3), strict=True):
        assert (a.value, a.doc, a.position, a.tokens, a.center) == (
            b.value,
            b.doc,
            b.position,
            b.tokens,
            b.center,
        )
        np.testing.assert_array_equal(a.values, b.values)
    counts, edges = loaded.histogram(3)
    assert counts.sum() == loaded.n_tokens and edges.shape == (counts.size + 1,)


def test_fewer_tokens_than_k(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    top = mw.top_activations(model, tokenizer, ["a drink"], layer=0, k=10, progress=False)
    n = len(tokenizer("a drink")["input_ids"])
    assert (top.docs[0] >= 0).sum(-1).tolist() == [n] * 64
    assert np.isnan(top.values[0, :, n:]).all()
    assert len(top.examples(0)) == n


def test_bad_input_gets_errors_naming_the_argument(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    run = lambda corpus=CORPUS, **kw: mw.top_activations(  # noqa: E731
        model, tokenizer, corpus, **{"layer": 0, "progress": False, **kw}
    )
    with pytest.raises(ValueError, match="layer = 2 is out of range"):
        run(layer=2)
    with pytest.raises(TypeError, match="layer must"):
        run(layer="1")
    with pytest.raises(ValueError, match="corpus is empty"):
        run([])
    with pytest.raises(ValueError, match="none of them gave any token"):
        run(["", ""])
    with pytest.raises(TypeError, match="single str"):
        run("just one text")
    with pytest.raises(TypeError, match=r"corpus\[1\] must be a str"):
        run(["fine", 3])
    with pytest.raises(ValueError, match=r"corpus\[0\] is \d+ tokens long .* at most 64"):
        run(["Mary went to the store. " * 20])
    with pytest.raises(ValueError, match=r"at most 4 \(max_length\)"):
        run(max_length=4)
    assert run(max_length=4, truncate=True).positions.max() <= 3
    with pytest.raises(ValueError, match="max_length = 65 is out of range"):
        run(max_length=65)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        run(k=0)
    with pytest.raises(ValueError, match="context must be an int >= 0"):
        run(context=-1)
    with pytest.raises(ValueError, match="batch_size"):
        run(batch_size=0)
    with pytest.raises(ValueError, match="bins must"):
        run(bins=[1.0])
    with pytest.raises(TypeError, match="Hugging Face model"):
        mw.top_activations(object(), tokenizer, CORPUS, layer=0)
    top = run(k=2)
    with pytest.raises(ValueError, match="neuron = 64 is out of range"):
        top.examples(64)
    with pytest.raises(ValueError, match="layer = 1 has no examples"):
        top.examples(0, layer=1)


def test_the_demo_model_on_its_offline_corpus():
    from mi_widgets.demo import CORPUS_PATH, MODEL_DIR

    if not (MODEL_DIR / "model.safetensors").is_file() or not CORPUS_PATH.is_file():
        pytest.skip("the demo model is not built yet (scripts/train_demo_model.py)")
    model, tokenizer = mw.demo_model()
    texts = mw.demo_corpus("eval")[:40]
    top = mw.top_activations(
        model, tokenizer, texts, layer=-1, k=5, batch_size=8, truncate=True, progress=False
    )
    assert top.n_docs == 40 and (top.docs >= 0).all()
    assert all(example.tokens for example in top.examples(0))


@pytest.mark.parametrize("dedupe", [False, True])
def test_streaming_over_many_batches_equals_sorting_everything(monkeypatch, dedupe):
    """Ties, NaN, padding and a neuron that beats its top k in every batch, over enough
    batches that every path of the per-batch search runs (and each must agree). With
    ``dedupe``, token ids from a vocabulary of 2 repeat windows within and across batches:
    a window equal to a better-ranked one is skipped."""
    from mi_widgets.analysis import _streaming

    paths = []  # per batch: which search it took, and the most candidates of one neuron
    rows_above, top_per_list = _streaming._rows_above, _streaming.top_per_list

    def recorded_above(*args):
        rows = rows_above(*args)
        if rows is None:
            paths.append("dense")
        return rows

    def recorded_lists(lists, *args):  # lists, values, n_lists, k
        paths.append(int(torch.bincount(lists).max()))
        return top_per_list(lists, *args)

    monkeypatch.setattr(_streaming, "_rows_above", recorded_above)
    monkeypatch.setattr(_streaming, "top_per_list", recorded_lists)
    generator = torch.Generator().manual_seed(0)
    n_layers, n_neurons, k, n_batches, n_texts, n_pos = 2, 40, 3, 30, 4, 12
    scan = _streaming.Scan(k, 1, torch.tensor(DEFAULT_EDGES), dedupe=dedupe)
    documents = []  # (layer, neuron) activations [pos, neuron] per document, unpadded
    for b in range(n_batches):
        acts = (torch.randn(n_layers, n_texts, n_pos, n_neurons, generator=generator) * 2).round()
        acts[:, :, :, 0] = torch.arange(n_texts * n_pos).view(n_texts, n_pos) + b * 100.0
        acts[torch.rand(acts.shape, generator=generator) < 0.02] = float("nan")
        acts[acts == 0] = -0.0
        lengths = torch.randint(1, n_pos + 1, (n_texts,), generator=generator)
        ids = torch.randint(0, 2 if dedupe else 50, (n_texts, n_pos), generator=generator)
        scan.add(acts, ids, lengths, torch.arange(n_texts) + b * n_texts)
        documents += [(acts[:, t, : lengths[t]], ids[t, : lengths[t]]) for t in range(n_texts)]
    # the first batches rank all rows; later ones only those above each running k-th
    # value: at most k for some neurons, more for others (neuron 0 beats it on every row)
    counts = [path for path in paths if path != "dense"]
    assert paths[0] == "dense" and len(counts) > n_batches // 2
    assert max(counts) > k
    window_ids, window_values = scan.state.windows()

    def window(doc: int, pos: int) -> tuple[int, ...]:
        ids = [-1, *documents[doc][1].tolist(), -1]
        return tuple(ids[pos : pos + 3])

    skipped = 0
    for layer in range(n_layers):
        for neuron in range(n_neurons):  # a reference: clarity over speed
            candidates = [
                (-float(acts[layer, pos, neuron]), doc, pos)
                for doc, (acts, _) in enumerate(documents)
                for pos in range(acts.shape[1])
                if not acts[layer, pos, neuron].isnan()
            ]
            best, seen = [], set()
            for candidate in sorted(candidates):
                if len(best) < k and not (dedupe and window(*candidate[1:]) in seen):
                    best.append(candidate)
                    seen.add(window(*candidate[1:]))
            skipped += best != sorted(candidates)[:k]
            assert scan.state.values[layer, neuron].tolist() == [-v for v, _, _ in best]
            assert scan.state.docs[layer, neuron].tolist() == [d for _, d, _ in best]
            assert scan.state.positions[layer, neuron].tolist() == [p for _, _, p in best]
            for j, (_, doc, pos) in enumerate(best):
                acts, ids = documents[doc]
                lo, hi = max(pos - 1, 0), min(pos + 2, acts.shape[1])
                expected = [-1] * (lo - pos + 1) + ids[lo:hi].tolist()
                expected += [-1] * (3 - len(expected))
                assert window_ids[layer, neuron, j].tolist() == expected
                np.testing.assert_array_equal(
                    window_values[layer, neuron, j][window_ids[layer, neuron, j] >= 0],
                    acts[layer, lo:hi, neuron],
                )
    assert (skipped > 0) == dedupe, "repeated windows changed the top k"


def test_merge_equals_one_pass_in_every_array_and_refuses_other_scans(
    tiny_family_models, tiny_gpt2
):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]

    def run(texts, **changes):
        options = {"layer": [0, 1], "k": 3, "context": 1, "batch_size": 2, **changes}
        return mw.top_activations(model, tokenizer, texts, progress=False, **options)

    whole, first, second = run(CORPUS), run(CORPUS[:6]), run(CORPUS[6:])
    merged = first.merge(second)
    for name in mw.TopActivations.ARRAYS:
        if name == "sums":  # float64 sums of per-batch sums, added in another order
            np.testing.assert_allclose(merged.sums, whole.sums, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name), name)
    assert merged.vocab == whole.vocab and len(merged.vocab) < len(first.vocab) + len(second.vocab)
    assert (merged.layers, merged.n_tokens, merged.n_docs) == (whole.layers, whole.n_tokens, 8)
    with pytest.raises(TypeError, match="other must be a TopActivations"):
        first.merge(object())
    with pytest.raises(ValueError, match=r"layers differs \(\(0, 1\) vs \(0,\)\)"):
        first.merge(run(CORPUS[6:], layer=0))
    with pytest.raises(ValueError, match=r"context differs \(1 vs 2\)"):
        first.merge(run(CORPUS[6:], context=2))
    with pytest.raises(ValueError, match="histogram edges differ"):
        first.merge(run(CORPUS[6:], bins=[-1.0, 0.0, 1.0]))


@pytest.mark.parametrize("batch_size", [1, 4, 100])
def test_repeated_documents_give_distinct_examples(tiny_family_models, tiny_gpt2, batch_size):
    """Each text three times: by default every example is a different window (the first
    copy in corpus order), as a reference that skips repeated windows finds; with
    ``dedupe=False`` the copies fill the top k, as before."""
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    corpus = [text for text in CORPUS if text] * 3
    options = {"layer": 1, "k": 10, "context": 2, "batch_size": batch_size, "progress": False}
    top = mw.top_activations(model, tokenizer, corpus, **options)
    acts = streamed_activations(model, tokenizer, corpus, 1, batch_size)
    ids = [tokenizer(text)["input_ids"] for text in corpus]
    values, docs, positions = brute_force_distinct(acts, ids, 10, 2)
    np.testing.assert_array_equal(top.values[0], values)
    np.testing.assert_array_equal(top.docs[0], docs)
    np.testing.assert_array_equal(top.positions[0], positions)
    assert top.dedupe
    if batch_size != 4:  # copies in batches of the same shape: bitwise equal activations
        assert top.docs.max() < len(corpus) // 3, "of equal copies the first is kept"
    for neuron in (0, 31, 63):
        contexts = [(tuple(e.tokens), e.center) for e in top.examples(neuron)]
        assert len(contexts) == 10 and len(set(contexts)) == 10
    every = mw.top_activations(model, tokenizer, corpus, dedupe=False, **options)
    values, docs, positions = brute_force(acts, 10)
    np.testing.assert_array_equal(every.docs[0], docs)
    np.testing.assert_array_equal(every.positions[0], positions)
    distinct = [len({(tuple(e.tokens), e.center) for e in every.examples(n)}) for n in range(64)]
    assert max(distinct) <= 4, "without de-duplication each example appears three times"
    np.testing.assert_array_equal(every.counts, top.counts)
    np.testing.assert_array_equal(every.n_firing, top.n_firing)


def test_a_batch_of_repeated_texts_keeps_each_window_once():
    """Two copies of a text and a third text sharing one window: of equal windows the
    higher activation stays, of equal activations the earlier document."""
    acts = torch.tensor([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [0.0, 5.0, 1.0, 0.5]])
    ids = torch.tensor([[5, 6, 7, 8], [5, 6, 7, 8], [9, 6, 7, 8]])
    lengths = torch.tensor([4, 4, 4])
    for dedupe, values, docs in (
        (True, [5.0, 4.0, 3.0, 2.0, 1.0, 0.0], [2, 0, 0, 0, 0, 2]),
        (False, [5.0, 4.0, 4.0, 3.0, 3.0, 2.0], [2, 0, 1, 0, 1, 0]),
    ):
        state = TopState.empty(1, 1, k=6, window=3)
        batch = batch_top(acts[None, :, :, None], ids, lengths, k=6, context=1, dedupe=dedupe)
        state.absorb(batch, k=6)
        assert state.values[0, 0].tolist() == values
        assert state.docs[0, 0].tolist() == docs
    # doc 2's windows (6, 7, 8) and (7, 8, -1) equal docs 0 and 1's, which are higher
    assert state.positions[0, 0].tolist()[:2] == [1, 3]
