"""attribute: the local replacement model is exact on every supported family.

For every family: the replacement at the prompt reproduces the model's logits; every feature's
and logit's value equals its incoming edges plus its constant (found by a separate pass with
every source at zero); and for sampled edges, scaling the source by ``1 + δ`` in the
replacement changes the target by ``δ × weight``.
"""

from __future__ import annotations

import pytest
import torch

import mi_widgets as mw
from mi_widgets.capture.hooks import capture_mode
from mi_widgets.circuits import Transcoder, TranscoderSet
from mi_widgets.circuits.replacement import LocalReplacement

PROMPT = "When Mary and John went to the store, John gave"
FAMILIES = ["gpt2", "gpt_neox", "llama", "mistral", "qwen2", "gemma", "gemma3_text", "olmo2"]
#: Gemma 2 is built with eager attention (no sdpa with soft-capping) and soft-caps its logits.
SOFT_CAPPED = ["gemma2"]
#: Relative tolerance of the sums (float32 through a few layers).
RTOL = 1e-4

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def random_transcoders(d_model: int, n_layers: int, *, skip: bool = False) -> TranscoderSet:
    """TopK transcoders with random weights and biases (and random skips when asked)."""
    generator = torch.Generator().manual_seed(7)
    transcoders = []
    for layer in range(n_layers):
        tc = Transcoder(d_model, 96, layer=layer, k=6, skip=skip, seed=layer)
        with torch.no_grad():
            tc.b_enc.copy_(torch.randn(96, generator=generator) * 0.1)
            tc.b_dec.copy_(torch.randn(d_model, generator=generator) * 0.1)
            if tc.W_skip is not None:
                tc.W_skip.copy_(torch.randn(d_model, d_model, generator=generator) * 0.05)
        transcoders.append(tc)
    return TranscoderSet(transcoders)


def model_logits(model, input_ids: torch.Tensor) -> torch.Tensor:
    """``[d_vocab]`` the model's own logits at the last position (eval mode)."""
    with torch.no_grad(), capture_mode(model, eager=False):
        if hasattr(model, "cfg"):
            return model(input_ids[None])[0, -1].float()
        return model(input_ids=input_ids[None]).logits[0, -1].float()


def check_sums(graph: mw.AttributionGraph) -> None:
    for kind in ("feature", "logit"):
        rows = graph.slices[kind]
        sums = graph.adjacency[rows].sum(1) + graph.constants[rows]
        values = graph.values[rows]
        scale = graph.adjacency[rows].abs().sum(1) + graph.constants[rows].abs()
        assert torch.all((sums - values).abs() <= RTOL * scale + 1e-6), kind
        assert torch.isfinite(values).all() and torch.isfinite(graph.constants[rows]).all()
    sources = slice(graph.slices["error"].start, graph.slices["embedding"].stop)
    assert graph.values[sources].isnan().all()
    assert not graph.adjacency[sources].any()  # errors and embeddings are only sources


def target_values(replacement: LocalReplacement, written, embeddings, graph) -> torch.Tensor:
    """``[n_nodes]`` the features' and logits' values in one replacement pass (NaN else)."""
    with torch.no_grad():
        run = replacement.run(written, embeddings)
        out = torch.full((graph.n_nodes,), float("nan"))
        pre = torch.stack([replacement.feature_values(run, layer)[0] for layer in range(2)])
        layer, pos, feature = graph.features.T
        out[graph.slices["feature"]] = pre[layer, pos, feature]
        out[graph.slices["logit"]] = replacement.logit_values(run, graph.logits)[0]
    return out


def check_perturbations(model, tokenizer, transcoders, graph, delta: float = 0.5) -> None:
    """The strongest edges of each source kind: scaling the source by ``1 + delta`` moves
    every target by ``delta × weight``."""
    replacement = LocalReplacement(model, transcoders, graph.input_ids)
    written, embeddings = replacement.written(), replacement.embeddings
    base = target_values(replacement, written, embeddings, graph)
    logits = torch.arange(graph.n_nodes)[graph.slices["logit"]]
    targets = torch.cat([torch.arange(graph.counts["feature"]), logits])
    checked = 0
    for kind in ("feature", "error", "embedding"):
        columns = graph.adjacency[:, graph.slices[kind]].abs().sum(0)
        for local in columns.topk(min(2, len(columns))).indices.tolist():
            source = graph.slices[kind].start + local
            moved_written, moved_embeddings = written.clone(), embeddings.clone()
            if kind == "feature":
                layer, pos, feature = graph.features[local].tolist()
                row = transcoders[layer].W_dec[feature].detach()
                moved_written[layer, pos] += delta * graph.activations[local] * row
            elif kind == "error":
                layer, pos = graph.errors[local].tolist()
                moved_written[layer, pos] += delta * replacement.errors[layer, pos]
            else:
                pos = int(graph.embeddings[local])
                moved_embeddings[pos] *= 1 + delta
            moved = target_values(replacement, moved_written, moved_embeddings, graph)
            change, expected = (moved - base)[targets], delta * graph.adjacency[targets, source]
            scale = graph.adjacency[targets].abs().sum(1) * delta
            assert torch.all((change - expected).abs() <= 1e-4 * scale + 1e-5), (kind, source)
            checked += int((expected.abs() > 1e-3).sum())
    assert checked > 0  # the sampled edges are not all zero


def replayed_logits(model, tokenizer, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's own logits ``[d_vocab]`` at the prompt's last position, checked against the
    replacement's, and ``[batch, d_vocab]`` what the replacement's final residual unembeds to
    in one pass over ``batch`` copies (before any soft-cap)."""
    input_ids = torch.tensor(tokenizer(PROMPT)["input_ids"])
    replacement = LocalReplacement(model, random_transcoders(32, 2, skip=True), input_ids)
    expected = model_logits(model, input_ids)
    torch.testing.assert_close(replacement.logits, expected, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        run = replacement.run(replacement.written(), replacement.embeddings, batch=batch)
    readout = replacement.readout
    return expected, run.final.float() @ readout.unembed + readout.unembed_bias


@pytest.mark.parametrize("family", FAMILIES)
def test_replacement_reproduces_the_models_logits(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    expected, logits = replayed_logits(model, tokenizer, batch=3)
    for copy in logits:
        torch.testing.assert_close(copy, expected, rtol=1e-4, atol=1e-4)
    assert model.config._attn_implementation == "sdpa"  # restored
    assert model.training  # as built: restored after the passes


@pytest.mark.parametrize("family", SOFT_CAPPED)
def test_replacement_logit_nodes_are_the_logits_before_the_soft_cap(
    tiny_family_models, tiny_gpt2, family
):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    cap = model.config.final_logit_softcapping
    expected, before_cap = replayed_logits(model, tokenizer, batch=2)
    for copy in before_cap:
        torch.testing.assert_close(torch.tanh(copy / cap) * cap, expected, rtol=1e-4, atol=1e-4)
        assert (copy - expected).abs().max() > 1e-3  # the cap bends the logits
    assert model.config._attn_implementation == "eager"


@pytest.mark.parametrize("family", FAMILIES + SOFT_CAPPED)
@pytest.mark.parametrize("skip", [False, True], ids=["no-skip", "skip"])
def test_values_are_incoming_edges_plus_constants(tiny_family_models, tiny_gpt2, family, skip):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    transcoders = random_transcoders(32, 2, skip=skip)
    graph = mw.attribute(model, tokenizer, PROMPT, transcoders, batch_size=16)
    n_pos = len(graph.tokens)
    assert graph.counts == {"feature": 2 * n_pos * 6, "error": 2 * n_pos, "embedding": n_pos,
                            "logit": graph.counts["logit"]}  # fmt: skip
    check_sums(graph)
    check_perturbations(model, tokenizer, transcoders, graph)


def test_the_demo_model_is_exact_and_prunes_to_its_logits():
    model, tokenizer = mw.demo_model()
    transcoders = random_transcoders(128, 2, skip=True)
    graph = mw.attribute(model, tokenizer, "key = value; key = value; key =", transcoders)
    replacement = LocalReplacement(model, transcoders, graph.input_ids)
    with torch.no_grad():
        run = replacement.run(replacement.written(), replacement.embeddings)
    logits = run.final[0] @ replacement.readout.unembed + replacement.readout.unembed_bias
    torch.testing.assert_close(logits, model_logits(model, graph.input_ids), rtol=1e-4, atol=1e-4)
    check_sums(graph)
    check_perturbations(model, tokenizer, transcoders, graph)
    small = graph.prune()
    assert small.logits.tolist() == graph.logits.tolist()
    assert small.counts["embedding"] == graph.counts["embedding"]
    for scores in (graph.scores(), small.scores()):
        assert 0 <= scores.replacement <= 1 and 0 <= scores.completeness <= 1


def test_transformer_lens_models_are_exact(hooked):
    model, tokenizer = hooked
    transcoders = random_transcoders(32, 2, skip=True)
    input_ids = torch.tensor(tokenizer(PROMPT)["input_ids"])
    replacement = LocalReplacement(model, transcoders, input_ids)
    torch.testing.assert_close(replacement.logits, model_logits(model, input_ids))
    graph = mw.attribute(model, tokenizer, PROMPT, transcoders)
    check_sums(graph)
    check_perturbations(model, tokenizer, transcoders, graph)


def test_logit_nodes_follow_the_probabilities_or_the_named_tokens(tiny_family_models, tiny_gpt2):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    transcoders = random_transcoders(32, 2)
    input_ids = torch.tensor(tokenizer(PROMPT)["input_ids"])
    probabilities = model_logits(model, input_ids).softmax(-1)
    top = probabilities.sort(descending=True)
    graph = mw.attribute(model, tokenizer, PROMPT, transcoders, max_logits=4)
    assert graph.logits.tolist() == top.indices[:4].tolist()
    torch.testing.assert_close(graph.logit_probabilities, top.values[:4])
    assert graph.logit_position == len(input_ids) - 1
    one = mw.attribute(model, tokenizer, PROMPT, transcoders, logit_probability=1e-6)
    assert one.logits.tolist() == top.indices[:1].tolist()
    # enough tokens to reach 10% of the probability, no more
    needed = int((top.values.cumsum(0) < 0.1).sum()) + 1
    tenth = mw.attribute(model, tokenizer, PROMPT, transcoders, logit_probability=0.1,
                         max_logits=1000)  # fmt: skip
    assert len(tenth.logits) == needed
    named = mw.attribute(model, tokenizer, PROMPT, transcoders, logit_tokens=[" John", 5])
    assert named.logits.tolist() == [tokenizer(" John")["input_ids"][0], 5]
    assert named.logit_tokens[0] == " John"
    check_sums(named)


def test_max_features_keeps_the_most_influential_and_says_what_it_drops(
    tiny_family_models, tiny_gpt2
):
    model, tokenizer = tiny_family_models["llama"], tiny_gpt2[1]
    transcoders = random_transcoders(32, 2)
    full = mw.attribute(model, tokenizer, PROMPT, transcoders)
    kept = mw.attribute(model, tokenizer, PROMPT, transcoders, max_features=20, batch_size=8)
    assert kept.counts["feature"] == 20
    assert kept.metadata["dropped_features"] == full.counts["feature"] - 20
    index = {node: i for i, node in enumerate(full.node_ids)}
    rows = torch.tensor([index[node] for node in kept.node_ids])
    dropped = torch.ones(full.n_nodes, dtype=torch.bool)
    dropped[rows] = False
    # the same edges where both ends are kept
    torch.testing.assert_close(kept.adjacency, full.adjacency[rows][:, rows])
    targets = torch.cat([torch.arange(20), torch.arange(kept.n_nodes)[kept.slices["logit"]]])
    missing = kept.values - (kept.adjacency.sum(1) + kept.constants)
    expected = full.adjacency[rows][:, dropped].sum(1)
    torch.testing.assert_close(missing[targets], expected[targets], rtol=1e-4, atol=1e-5)
    # the first features kept are the most influential on the logits directly
    direct = full.adjacency[full.slices["logit"], : full.counts["feature"]].abs()
    influence = (full.logit_probabilities[:, None] * direct / full.adjacency[
        full.slices["logit"]].abs().sum(1, keepdim=True)).sum(0)  # fmt: skip
    strongest = {full.node_ids[i] for i in influence.topk(8).indices.tolist()}
    assert strongest <= set(kept.node_ids)


def test_bert_is_refused_with_the_reason(tiny_family_models, tiny_gpt2):
    transcoders = random_transcoders(32, 2)
    with pytest.raises(ValueError, match=r"encoder attends both ways.*post-norm"):
        mw.attribute(tiny_family_models["bert"], tiny_gpt2[1], PROMPT, transcoders)


@pytest.mark.parametrize(
    ("transcoders", "message"),
    [
        (lambda: [Transcoder(16, 32, layer=i, k=4) for i in range(2)],
         r"transcoders\[0\] reads d_in = 16 .* d_model = 32"),
        (lambda: [Transcoder(32, 32, layer=0, k=4)],
         "transcoders has transcoders for 1 layers but GPT2LMHeadModel has 2 blocks"),
        (lambda: [Transcoder(32, 32, layer=0, k=4), Transcoder(32, 32, layer=2, k=4)],
         r"transcoders must have one transcoder per layer 0..1, got layers \[0, 2\]"),
        (lambda: "not transcoders", "transcoders must be a TranscoderSet or a list"),
    ],
    ids=["width", "layers", "missing-layer", "type"],
)  # fmt: skip
def test_transcoders_that_do_not_match_are_refused(tiny_family_models, tiny_gpt2, transcoders,
                                                    message):  # fmt: skip
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    with pytest.raises((ValueError, TypeError), match=message):
        mw.attribute(model, tokenizer, PROMPT, transcoders())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"prompt": "Mary " * 80}, r"prompt is \d+ tokens long but GPT2LMHeadModel takes at most 64"),
        ({"logit_tokens": [" Mary and"]}, r"logit_tokens\[0\] = ' Mary and' is 2 tokens"),
        ({"logit_tokens": [10**6]}, r"logit_tokens\[0\] = 1000000 is not a token id"),
        ({"logit_probability": 0}, r"logit_probability must be in \(0, 1\]"),
        ({"max_features": 0}, "max_features must be an int >= 1"),
        ({"batch_size": 0}, "batch_size must be an int >= 1"),
    ],
    ids=["long-prompt", "two-tokens", "bad-id", "probability", "max-features", "batch-size"],
)  # fmt: skip
def test_bad_input_names_the_argument(tiny_family_models, tiny_gpt2, options, message):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    prompt = options.pop("prompt", PROMPT)
    with pytest.raises(ValueError, match=message):
        mw.attribute(model, tokenizer, prompt, random_transcoders(32, 2), **options)


def test_unknown_norms_are_refused():
    from mi_widgets.capture.readout import norm_parameters

    class GemmaStyleRMSNorm(torch.nn.Module):  # (1 + weight) scaling: not a known norm
        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(8))

    with pytest.raises(ValueError, match=r"block 0 norm \(GemmaStyleRMSNorm\) is not a known"):
        norm_parameters(GemmaStyleRMSNorm(), 8, "block 0 norm")


@pytest.mark.parametrize("activation", ["relu", "jumprelu"])
def test_relu_transcoders_with_uneven_features_per_position(tiny_family_models, tiny_gpt2,
                                                            activation):  # fmt: skip
    model, tokenizer = tiny_family_models["gpt_neox"], tiny_gpt2[1]
    generator = torch.Generator().manual_seed(3)
    transcoders = TranscoderSet([
        Transcoder.from_tensors(
            torch.randn(32, 64, generator=generator) * 0.3,
            torch.randn(64, generator=generator) * 0.5 - 0.6,
            torch.randn(64, 32, generator=generator) * 0.2,
            torch.zeros(32),
            layer=layer,
            activation=activation,
            threshold=torch.full((64,), 0.05),
        )
        for layer in range(2)
    ])  # fmt: skip
    graph = mw.attribute(model, tokenizer, PROMPT, transcoders, batch_size=8)
    per_position = torch.bincount(graph.features[:, 0] * 100 + graph.features[:, 1])
    assert len(set(per_position[per_position > 0].tolist())) > 1  # uneven counts
    check_sums(graph)
    check_perturbations(model, tokenizer, transcoders, graph)


def test_the_demo_transcoders_explain_most_of_the_demo_prompt():
    model, tokenizer = mw.demo_model()
    graph = mw.attribute(model, tokenizer, "key = value; key = value; key =", mw.demo_transcoders())
    check_sums(graph)
    scores = graph.scores()
    # trained transcoders: most influence starts at the embeddings, not at the errors
    assert 0.5 < scores.replacement <= 1 and 0.5 < scores.completeness <= 1
    small = graph.prune()
    assert small.logits.tolist() == graph.logits.tolist()
    assert 0 < small.counts["feature"] < graph.counts["feature"]
    best = small.top_paths(k=3)
    assert [path.weight for path in best] == sorted((path.weight for path in best), reverse=True)
    assert all(small.node_kinds[path.nodes[0]] == "embedding" for path in best)
    assert all(small.node_kinds[path.nodes[-1]] == "logit" for path in best)


@pytest.mark.parametrize("family", ["gemma2", "olmo2"])
def test_ablating_a_feature_on_a_post_norm_family_edits_what_joins_the_stream(
    tiny_family_models, tiny_gpt2, family
):
    """The transcoder writes ``hook_mlp_out``, after the post-MLP norm: ablating a feature in
    the real model equals subtracting its decoded output there (Gemma 2: soft-capped logits)."""
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    transcoders = random_transcoders(32, 2)
    graph = mw.attribute(model, tokenizer, PROMPT, transcoders, max_logits=3)
    graph.attach_model(model, tokenizer, transcoders)
    index = int(graph.activations[: graph.counts["feature"]].abs().argmax())
    layer, pos, feature = graph.features[index].tolist()
    node = graph.node_ids[index]
    same = graph.intervene({node: float(graph.activations[index])})
    torch.testing.assert_close(
        torch.as_tensor(same.new_probabilities), torch.as_tensor(same.old_probabilities)
    )
    ablated = graph.intervene({node: 0.0}, top_k=3)
    shift = graph.activations[index] * transcoders[layer].W_dec[feature].detach()

    def edit(out):
        out = out.clone()
        out[:, pos] -= shift
        return out

    with (
        torch.no_grad(),
        capture_mode(model, eager=False),
        mw.capture.sites.at_site(model, f"blocks.{layer}.hook_mlp_out", edit),
    ):
        expected = model(graph.input_ids[None]).logits[0, -1].softmax(-1)
    torch.testing.assert_close(
        torch.as_tensor(ablated.new_probabilities), expected.topk(3).values, atol=1e-6, rtol=1e-5
    )
