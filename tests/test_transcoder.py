"""Transcoders and transcoder sets: shapes, the activation shared with sparse autoencoders, the
skip connection, saving, and clear errors for what does not fit."""

from __future__ import annotations

import pytest
import torch

from mi_widgets import SparseAutoencoder
from mi_widgets.circuits import Transcoder, TranscoderSet


def test_encode_decode_follow_the_formula_with_and_without_skip():
    tc = Transcoder(8, 32, d_out=6, activation="relu", layer=0, skip=True, seed=1)
    with torch.no_grad():
        tc.b_enc.normal_()
        tc.b_dec.normal_()
        tc.W_skip.normal_()
    x = torch.randn(4, 8)
    features = torch.relu(x @ tc.W_enc + tc.b_enc)
    torch.testing.assert_close(tc.encode(x), features)
    torch.testing.assert_close(tc(x), features @ tc.W_dec + tc.b_dec + x @ tc.W_skip)
    with pytest.raises(ValueError, match=r"skip connection: decode\(features, x\) needs x"):
        tc.decode(features)
    plain = Transcoder(8, 32, d_out=6, activation="relu", layer=0)
    assert plain.W_skip is None
    torch.testing.assert_close(plain(x), plain.encode(x) @ plain.W_dec + plain.b_dec)


@pytest.mark.parametrize("activation", ["topk", "relu", "jumprelu"])
def test_the_activation_is_the_sparse_autoencoders(activation):
    pre = torch.randn(5, 64) + 0.3
    threshold = torch.rand(64)
    args = {"activation": activation, "k": 7 if activation == "topk" else None}
    tc = Transcoder(16, 64, layer=0, **args)
    sae = SparseAutoencoder(16, 64, **args)
    tc.threshold.copy_(threshold)
    sae.threshold.copy_(threshold)
    torch.testing.assert_close(tc.activate(pre), sae.activate(pre))
    if activation == "topk":
        assert int((tc.activate(pre) != 0).sum(-1).max()) <= 7


def test_save_and_load_keep_every_weight(tmp_path):
    tc = Transcoder(8, 16, activation="jumprelu", k=None, layer=3, skip=True, seed=2)
    with torch.no_grad():
        tc.threshold.uniform_()
        tc.W_skip.normal_()
    tc.info["variance_explained"] = 0.9
    loaded = Transcoder.load(tc.save(tmp_path / "tc.safetensors"))
    assert (loaded.layer, loaded.activation, loaded.info) == (3, "jumprelu", tc.info)
    for name, tensor in tc.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor)
    SparseAutoencoder(8, 16, k=4).save(tmp_path / "sae.safetensors")
    with pytest.raises(ValueError, match=r"not a file written by Transcoder\.save"):
        Transcoder.load(tmp_path / "sae.safetensors")


def test_bad_arguments_name_what_was_expected():
    with pytest.raises(ValueError, match=r"layer must be an int >= 0"):
        Transcoder(8, 16, k=4, layer=-1)
    with pytest.raises(ValueError, match=r"k = 20 is more than n_features = 16"):
        Transcoder(8, 16, k=20, layer=0)
    with pytest.raises(ValueError, match=r"x has shape \(3, 5\).*layer 0 reads d_in = 8"):
        Transcoder(8, 16, k=4, layer=0).encode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"W_skip has shape \(8, 3\).*expected \(8, 6\)"):
        Transcoder.from_tensors(
            torch.zeros(8, 16), torch.zeros(16), torch.zeros(16, 6), torch.zeros(6),
            layer=0, W_skip=torch.zeros(8, 3),
        )  # fmt: skip
    with pytest.raises(ValueError, match="threshold is required"):
        Transcoder.from_tensors(
            torch.zeros(8, 16), torch.zeros(16), torch.zeros(16, 8), torch.zeros(8),
            layer=0, activation="jumprelu",
        )  # fmt: skip


def test_a_set_holds_one_transcoder_per_layer_and_checks_the_model(tmp_path, tiny_gpt2):
    model = tiny_gpt2[0]
    d_model = model.config.n_embd
    tcs = TranscoderSet.of([Transcoder(d_model, 32, layer=i, k=4, seed=i) for i in (1, 0)])
    assert tcs.layers == [0, 1] and tcs[-1].layer == 1
    tcs.check_model(model)
    loaded = TranscoderSet.load(tcs.save(tmp_path / "tcs"))
    torch.testing.assert_close(loaded[1].W_enc, tcs[1].W_enc)
    with pytest.raises(ValueError, match=r"one transcoder per layer 0\.\.1, got layers \[0, 2\]"):
        TranscoderSet([Transcoder(d_model, 32, layer=i) for i in (0, 2)])
    with pytest.raises(ValueError, match=r"transcoders for 1 layers but GPT2LMHeadModel has 2"):
        TranscoderSet([Transcoder(d_model, 32, layer=0)]).check_model(model)
    narrow = TranscoderSet([Transcoder(d_model // 2, 32, layer=i) for i in (0, 1)])
    with pytest.raises(
        ValueError, match=rf"\[0\] reads d_in = {d_model // 2}.*d_model = {d_model}"
    ):
        narrow.check_model(model)
    with pytest.raises(IndexError, match="layer 2 has no transcoder"):
        tcs[2]
    with pytest.raises(TypeError, match="TranscoderSet or a list"):
        TranscoderSet.of(tcs[0])
