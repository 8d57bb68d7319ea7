"""Steering: alpha x direction is added to the residual stream at one layer inside the block,
for every family, and the hook is gone afterwards, also after an exception."""

from __future__ import annotations

import pytest
import torch

import mi_widgets as mw
from mi_widgets.capture.sites import reading
from tests.conftest import GEMMA_AND_OLMO2

pytestmark = [
    pytest.mark.usefixtures("torch_single_thread"),
    pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning"),
]

TEXT = "When Mary and John went to the store, John gave a drink to"
FAMILIES = ("gpt2", "gpt2_base", "gpt_neox", "llama", "mistral", "qwen2", "bert", "bert_base")
FAMILIES += GEMMA_AND_OLMO2
SITES = ["blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"]


def run(model, input_ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        if hasattr(model, "cfg"):
            return model(input_ids)
        out = model(input_ids=input_ids)
    return out.logits if hasattr(out, "logits") else out.last_hidden_state


def models(tiny_family_models, family):
    model = tiny_family_models[family]
    model.eval()
    return model


def check_steering(model, input_ids: torch.Tensor, width: int) -> None:
    direction = torch.randn(width, generator=torch.Generator().manual_seed(3))
    clean_out = run(model, input_ids)
    with reading(model, SITES) as clean:
        run(model, input_ids)
    clean = dict(clean)
    with mw.steer(model, direction, layer=0, alpha=2.5) as added, reading(model, SITES) as steered:
        steered_out = run(model, input_ids)
    torch.testing.assert_close(added, 2.5 * direction)
    # the stream leaving block 0 is shifted at every position, and enters block 1 shifted
    shifted = clean["blocks.0.hook_resid_post"] + 2.5 * direction
    torch.testing.assert_close(steered["blocks.0.hook_resid_post"], shifted)
    torch.testing.assert_close(steered["blocks.1.hook_resid_pre"], shifted)
    assert not torch.allclose(
        steered["blocks.1.hook_resid_post"], clean["blocks.1.hook_resid_post"]
    )
    assert not torch.allclose(steered_out, clean_out)
    torch.testing.assert_close(run(model, input_ids), clean_out)  # the hook is gone

    # only the chosen positions, at the other site
    steer = mw.steer(
        model, direction, layer=1, alpha=-1.0, positions=[0, -1], site="hook_resid_pre"
    )
    with steer, reading(model, SITES) as partial:
        run(model, input_ids)
    expected = clean["blocks.1.hook_resid_pre"].clone()
    expected[:, [0, -1]] -= direction
    torch.testing.assert_close(partial["blocks.1.hook_resid_pre"], expected)

    # an exception inside the block still removes the hook
    with pytest.raises(RuntimeError, match="boom"), mw.steer(model, direction, layer=-1, alpha=9.0):
        raise RuntimeError("boom")
    torch.testing.assert_close(run(model, input_ids), clean_out)


@pytest.mark.parametrize("family", FAMILIES)
def test_steering_adds_the_direction_in_every_family(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = models(tiny_family_models, family), tiny_gpt2[1]
    input_ids = torch.tensor([tokenizer(TEXT)["input_ids"]])
    check_steering(model, input_ids, model.config.hidden_size)


def test_steering_a_hooked_transformer(hooked):
    model, tokenizer = hooked
    input_ids = torch.tensor([tokenizer(TEXT)["input_ids"]])
    check_steering(model, input_ids, model.cfg.d_model)


def test_steering_along_a_probe_moves_its_prediction(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    model.eval()
    texts = [f"item {i} is {'red' if i % 2 else 'blue'}" for i in range(32)]
    probes = mw.probe(model, tokenizer, texts, [i % 2 for i in range(32)], layers=[0])
    probe = probes[0]
    ids = torch.tensor([tokenizer(texts[0])["input_ids"]])
    with reading(model, ["blocks.0.hook_resid_post"]) as clean:
        run(model, ids)
    before = probe.predict(clean["blocks.0.hook_resid_post"][0, -1:])
    with mw.steer(model, probe, alpha=5.0), reading(model, ["blocks.0.hook_resid_post"]) as after:
        run(model, ids)  # the probe gives its layer
    moved = probe.predict(after["blocks.0.hook_resid_post"][0, -1:])
    # logit moves by alpha * (coef . unit direction) = alpha * |coef|
    expected = 5.0 * float(torch.tensor(probe.coef).norm())
    assert float((moved - before)[0]) == pytest.approx(expected, rel=1e-3)


def test_generate_under_steering_differs_and_returns_after(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    model.eval()
    ids = torch.tensor([tokenizer("John gave a drink")["input_ids"]])
    settings = {"max_new_tokens": 6, "do_sample": False, "pad_token_id": 0}
    clean = model.generate(ids, **settings)
    direction = model.transformer.wte.weight[7].detach()
    with mw.steer(model, direction, layer=1, alpha=50.0, normalize=True):
        steered = model.generate(ids, **settings)
    assert not torch.equal(clean, steered)
    assert torch.equal(model.generate(ids, **settings), clean)


def test_bad_input_is_named(tiny_gpt2):
    model, _ = tiny_gpt2
    with (
        pytest.raises(ValueError, match=r"layer = 2 is out of range: GPT2LMHeadModel has 2 layers"),
        mw.steer(model, torch.zeros(32), layer=2),
    ):
        pass
    with (
        pytest.raises(
            ValueError, match=r"direction has shape \[16\] but the residual stream has d_model = 32"
        ),
        mw.steer(model, torch.zeros(16), layer=0),
    ):
        pass
    with pytest.raises(TypeError, match="layer is required"), mw.steer(model, torch.zeros(32)):
        pass
    with (
        pytest.raises(ValueError, match="alpha must be a finite number"),
        mw.steer(model, torch.zeros(32), layer=0, alpha=float("nan")),
    ):
        pass
    with (
        pytest.raises(ValueError, match="cannot be normalised"),
        mw.steer(model, torch.zeros(32), layer=0, normalize=True),
    ):
        pass
    ids = torch.tensor([[1, 2, 3]])
    with (
        pytest.raises(
            IndexError, match=r"positions \[5\] are out of range for a forward pass over 3"
        ),
        mw.steer(model, torch.ones(32), layer=0, positions=5),
    ):
        run(model, ids)
