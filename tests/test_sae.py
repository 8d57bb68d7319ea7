"""Sparse autoencoders: the module, training on streamed activations, evaluation."""

from __future__ import annotations

import pytest
import torch

import mi_widgets as mw
from mi_widgets.sae import SparseAutoencoder, evaluate_sae, train_sae
from mi_widgets.sae.training import _Trainer
from tests.conftest import GEMMA_AND_OLMO2

pytestmark = pytest.mark.usefixtures("torch_single_thread")

HOOK = "blocks.1.hook_resid_post"


@pytest.fixture(scope="module")
def demo():
    return mw.demo_model()


def splitting_autoencoder(d: int, hook: str = HOOK) -> SparseAutoencoder:
    """Features ``relu(x)`` and ``relu(-x)``: an exact reconstruction, ``x = f+ - f-``."""
    eye = torch.eye(d)
    return SparseAutoencoder.from_tensors(
        torch.cat([eye, -eye], dim=1),
        torch.zeros(2 * d),
        torch.cat([eye, -eye]),
        torch.zeros(d),
        activation="relu",
        hook=hook,
    )


def test_encode_and_decode_follow_the_activation_function():
    torch.manual_seed(0)
    x = torch.randn(5, 7, 16)
    topk = SparseAutoencoder(16, 64, "topk", k=3, seed=1)
    features = topk.encode(x)
    assert features.shape == (5, 7, 64)
    assert ((features > 0).sum(-1) <= 3).all() and (features >= 0).all()
    pre = topk.pre_activations(x)
    best = pre.topk(3, dim=-1)
    torch.testing.assert_close(features.gather(-1, best.indices), best.values.relu())
    torch.testing.assert_close(topk(x), features @ topk.W_dec + topk.b_dec)
    torch.testing.assert_close(topk.W_dec.norm(dim=1), torch.ones(64))
    relu = SparseAutoencoder(16, 64, "relu", seed=1)
    torch.testing.assert_close(relu.encode(x), relu.pre_activations(x).relu())
    jump = SparseAutoencoder.from_tensors(
        relu.W_enc, relu.b_enc, relu.W_dec, relu.b_dec, activation="jumprelu",
        threshold=torch.full((64,), 0.5),
    )  # fmt: skip
    pre = jump.pre_activations(x)
    torch.testing.assert_close(jump.encode(x), torch.where(pre > 0.5, pre, 0.0))
    jump.threshold.fill_(-0.5)  # a threshold below 0 still keeps activations >= 0
    torch.testing.assert_close(jump.encode(x), pre.relu())
    exact = splitting_autoencoder(16)
    torch.testing.assert_close(exact(x), x)


def test_bad_shapes_and_settings_are_named():
    sae = SparseAutoencoder(16, 64, "topk", k=4, hook=HOOK)
    with pytest.raises(ValueError, match=r"x has shape \(3, 8\).*d_in = 16.*blocks.1"):
        sae.encode(torch.zeros(3, 8))
    with pytest.raises(ValueError, match="activation = 'gelu' is not supported"):
        SparseAutoencoder(16, 64, "gelu")
    with pytest.raises(ValueError, match="k = 65 is more than n_features = 64"):
        SparseAutoencoder(16, 64, "topk", k=65)
    with pytest.raises(ValueError, match=r"W_dec has shape \(16, 64\).*expected \(64, 16\)"):
        SparseAutoencoder.from_tensors(
            torch.zeros(16, 64), torch.zeros(64), torch.zeros(16, 64), torch.zeros(16)
        )
    with pytest.raises(ValueError, match="threshold is required"):
        SparseAutoencoder.from_tensors(
            torch.zeros(16, 64), torch.zeros(64), torch.zeros(64, 16), torch.zeros(16),
            activation="jumprelu",
        )  # fmt: skip


def test_save_and_load_give_the_same_autoencoder(tmp_path):
    sae = SparseAutoencoder(16, 64, "topk", k=4, hook=HOOK, seed=3)
    sae.info = {"steps": 7}
    loaded = SparseAutoencoder.load(sae.save(tmp_path / "sae.safetensors"))
    assert (loaded.activation, loaded.k, loaded.hook, loaded.info) == (
        "topk",
        4,
        HOOK,
        {"steps": 7},
    )
    for name, tensor in sae.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor)
    torch.save({"x": 1}, tmp_path / "other.safetensors")
    with pytest.raises(Exception):  # noqa: B017 - not a safetensors file at all
        SparseAutoencoder.load(tmp_path / "other.safetensors")


def test_training_recovers_planted_sparse_directions():
    """Activations made of 48 sparse unit directions in 24 dimensions: the trained decoder
    rows find them (the structure an SAE is meant to find, in miniature)."""
    generator = torch.Generator().manual_seed(0)
    directions = torch.nn.functional.normalize(torch.randn(48, 24, generator=generator), dim=1)
    sae = SparseAutoencoder(24, 96, "topk", k=3, seed=0)
    trainer = _Trainer(sae, lr=3e-3, l1=0.0, aux_k=32, dead_after=4096)
    for _ in range(600):
        chosen = torch.rand(1024, 48, generator=generator).argsort(dim=1)[:, :2]
        strength = torch.rand(1024, 2, generator=generator) + 0.5
        x = (strength[..., None] * directions[chosen]).sum(1)
        trainer.step(x)
    torch.testing.assert_close(sae.W_dec.norm(dim=1), torch.ones(96))
    best = (directions @ sae.W_dec.detach().T).max(dim=1).values  # each planted direction
    assert (best > 0.95).float().mean() >= 0.9, best


def test_train_sae_on_the_demo_model_reconstructs_and_reports(demo):
    model, tokenizer = demo
    texts = mw.demo_corpus("train")[:300]
    sae = train_sae(
        model, tokenizer, texts, "blocks.-1.hook_resid_post", n_features=256, k=16,
        batch_size=1024, buffer_size=8192, eval_corpus=mw.demo_corpus("eval")[:20],
        progress=False,
    )  # fmt: skip
    assert sae.hook == HOOK and sae.d_in == 128 and sae.n_features == 256
    report = sae.info["evaluation"]
    assert report["l0"] <= 16 and report["fraction_variance_explained"] > 0.6
    assert report["loss_clean"] < report["loss_spliced"] < report["loss_zero_ablated"]
    assert report["loss_recovered"] > 0.5 and report["dead_fraction"] < 0.5
    assert sae.info["tokens_trained"] > 20_000 and sae.info["steps"] > 10


@pytest.mark.parametrize("family", GEMMA_AND_OLMO2)
def test_train_and_evaluate_on_post_norm_families(tiny_family_models, tiny_gpt2, family):
    """An SAE trains at the MLP output (after the post norm where there is one); the exact
    autoencoder spliced there leaves the model's loss (soft-capped logits: Gemma 2) as it is."""
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    texts = ["When Mary and John went to the store, John gave a drink to Mary."] * 4
    hook = "blocks.0.hook_mlp_out"
    sae = train_sae(model, tokenizer, texts, hook, n_features=64, k=4, batch_size=16,
                    buffer_size=64, eval_corpus=texts[:1], progress=False)  # fmt: skip
    assert sae.d_in == 32 and sae.info["steps"] > 0 and sae.hook == hook
    exact = evaluate_sae(model, tokenizer, splitting_autoencoder(32, hook), texts[:1])
    assert exact.fraction_variance_explained == pytest.approx(1.0, abs=1e-6)
    trace = mw.trace(model, tokenizer, texts[0])
    assert exact.loss_clean == pytest.approx(float(trace.loss.nanmean()), abs=1e-5)
    assert exact.loss_spliced == pytest.approx(exact.loss_clean, abs=1e-5)
    assert exact.loss_zero_ablated != pytest.approx(exact.loss_clean, abs=1e-4)


def test_evaluation_of_an_exact_autoencoder(demo):
    model, tokenizer = demo
    texts = mw.demo_corpus("eval")[:8]
    result = evaluate_sae(model, tokenizer, splitting_autoencoder(128), texts)
    assert result.fraction_variance_explained == pytest.approx(1.0, abs=1e-6)
    assert result.mse == pytest.approx(0.0, abs=1e-9)
    assert result.loss_spliced == pytest.approx(result.loss_clean, abs=1e-4)
    assert result.loss_zero_ablated > result.loss_clean + 1
    assert result.loss_recovered == pytest.approx(1.0, abs=1e-4)
    assert "variance explained 1.000" in str(result)


def test_a_hook_that_does_not_fit_gets_a_clear_error(demo):
    model, tokenizer = demo
    with pytest.raises(ValueError, match="is not a hook point of GPTNeoXForCausalLM"):
        train_sae(model, tokenizer, ["a b c"], "blocks.1.resid", progress=False)
    wide = SparseAutoencoder(512, 64, "topk", k=4, hook=HOOK)
    with pytest.raises(ValueError, match=r"blocks.1.hook_resid_post are 128 wide.*d_in = 512"):
        evaluate_sae(model, tokenizer, wide, ["a b c"])
    with pytest.raises(ValueError, match="hook is required"):
        evaluate_sae(model, tokenizer, SparseAutoencoder(128, 64, "topk", k=4), ["a b c"])
    with pytest.raises(ValueError, match="needs a corpus that can be read again"):
        train_sae(model, tokenizer, iter(["a b c"]), HOOK, epochs=2, progress=False)


@pytest.mark.parametrize("architecture", ["StandardSAE", "TopKSAE", "JumpReLUSAE"])
def test_a_saelens_autoencoder_converts_exactly(architecture):
    sae_lens = pytest.importorskip("sae_lens")
    config = getattr(sae_lens, f"{architecture}Config")(
        d_in=16, d_sae=64, **({"k": 4} if architecture == "TopKSAE" else {})
    )
    theirs = getattr(sae_lens, architecture)(config)
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.normal_()
    ours = SparseAutoencoder.from_saelens(theirs)
    assert ours.activation == {"StandardSAE": "relu", "TopKSAE": "topk"}.get(
        architecture, "jumprelu"
    )
    x = torch.randn(6, 16)
    with torch.no_grad():
        torch.testing.assert_close(ours.encode(x), theirs.encode(x))
        torch.testing.assert_close(ours(x), theirs.decode(theirs.encode(x)), rtol=1e-4, atol=1e-4)


def test_a_saelens_autoencoder_with_unsupported_settings_is_refused():
    sae_lens = pytest.importorskip("sae_lens")
    config = sae_lens.StandardSAEConfig(d_in=16, d_sae=64, normalize_activations="layer_norm")
    with pytest.raises(ValueError, match="normalize_activations = 'layer_norm'"):
        SparseAutoencoder.from_saelens(sae_lens.StandardSAE(config))
    with pytest.raises(ValueError, match="cannot read a SAELens"):
        SparseAutoencoder.from_saelens(object())


def test_an_evaluation_whose_ablation_costs_nothing_has_no_recovered_fraction():
    from mi_widgets.sae.training import SAEEvaluation

    same = SAEEvaluation(
        n_tokens=10,
        mse=0.5,
        fraction_variance_explained=0.9,
        l0=4.0,
        dead_fraction=0.0,
        loss_clean=2.0,
        loss_spliced=2.5,
        loss_zero_ablated=2.0,
    )
    assert same.loss_recovered is None
    assert str(same).endswith("loss 2.000 → 2.500 spliced (2.000 zero-ablated)")
    usual = SAEEvaluation(10, 0.5, 0.9, 4.0, 0.0, 2.0, 2.5, 4.0)
    assert usual.loss_recovered == 0.75
    assert str(usual).endswith("(4.000 zero-ablated; 75.0 % recovered)")
