"""Reading transcoders stored by circuit-tracer and SAELens: files written here in their
layouts from known weights load into transcoders that compute the same features and outputs.

circuit-tracer's layout is the one of circuit-tracer 0.5.0,
``circuit_tracer/transcoder/single_layer_transcoder.py`` (``SingleLayerTranscoder.
to_safetensors`` writes ``W_enc [d_transcoder, d_model]`` used through ``F.linear``,
``W_dec [d_transcoder, d_model]``, ``b_enc``, ``b_dec``, optional ``W_skip`` used as
``x @ W_skip.T`` and ``activation_function.threshold``; ``TranscoderSet.to_safetensors`` writes
``layer_{i}.safetensors``; its JumpReLU is ``x * (x > threshold)``). circuit-tracer cannot be
installed beside this package (it pins transformers < 5), so its forward pass is restated
below from that file. SAELens' files are written by SAELens itself (6.x, ``SAE.save_model``
of ``sae_lens/saes/transcoder.py``'s classes).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from mi_widgets.circuits import Transcoder, TranscoderSet


def circuit_tracer_tensors(d_model=12, d_transcoder=40, skip=False, jumprelu=False, seed=0):
    generator = torch.Generator().manual_seed(seed)
    tensors = {
        "W_enc": torch.randn(d_transcoder, d_model, generator=generator),
        "W_dec": torch.randn(d_transcoder, d_model, generator=generator),
        "b_enc": torch.randn(d_transcoder, generator=generator),
        "b_dec": torch.randn(d_model, generator=generator),
    }
    if skip:
        tensors["W_skip"] = torch.randn(d_model, d_model, generator=generator)
    if jumprelu:
        tensors["activation_function.threshold"] = torch.rand(d_transcoder, generator=generator)
    return tensors


def circuit_tracer_forward(tensors, x):
    """``SingleLayerTranscoder.encode`` and ``forward`` of circuit-tracer 0.5.0."""
    pre = F.linear(x, tensors["W_enc"], tensors["b_enc"])
    threshold = tensors.get("activation_function.threshold")
    acts = F.relu(pre) if threshold is None else pre * (pre > threshold)
    out = acts @ tensors["W_dec"] + tensors["b_dec"]
    if "W_skip" in tensors:
        out = out + x @ tensors["W_skip"].T
    return acts, out


@pytest.mark.parametrize(
    ("skip", "jumprelu", "d_transcoder"),
    [(False, False, 40), (True, False, 40), (True, True, 40), (False, True, 12)],
)
def test_a_circuit_tracer_file_computes_what_circuit_tracer_computes(
    tmp_path, skip, jumprelu, d_transcoder
):
    tensors = circuit_tracer_tensors(d_transcoder=d_transcoder, skip=skip, jumprelu=jumprelu)
    save_file(tensors, str(tmp_path / "layer_3.safetensors"))
    tc = Transcoder.load_circuit_tracer(tmp_path / "layer_3.safetensors", layer=3)
    assert (tc.layer, tc.activation, tc.W_skip is not None) == (
        3, "jumprelu" if jumprelu else "relu", skip,
    )  # fmt: skip
    x = torch.randn(7, 12)
    acts, out = circuit_tracer_forward(tensors, x)
    with torch.no_grad():
        torch.testing.assert_close(tc.encode(x), acts)
        torch.testing.assert_close(tc(x), out, rtol=1e-4, atol=1e-4)


def test_the_first_release_layout_with_a_transposed_decoder_loads(tmp_path):
    tensors = circuit_tracer_tensors()
    old = {**tensors, "W_dec": tensors["W_dec"].T.contiguous()}  # [d_model, d_transcoder]
    save_file(old, str(tmp_path / "old.safetensors"))
    tc = Transcoder.load_circuit_tracer(tmp_path / "old.safetensors", layer=0)
    x = torch.randn(3, 12)
    with torch.no_grad():
        torch.testing.assert_close(tc(x), circuit_tracer_forward(tensors, x)[1])


def test_a_circuit_tracer_folder_is_a_transcoder_set(tmp_path):
    for layer in range(3):
        save_file(circuit_tracer_tensors(seed=layer), str(tmp_path / f"layer_{layer}.safetensors"))
    tcs = TranscoderSet.load_circuit_tracer(tmp_path)
    assert tcs.layers == [0, 1, 2]
    x = torch.randn(2, 12)
    with torch.no_grad():
        torch.testing.assert_close(
            tcs[2](x), circuit_tracer_forward(circuit_tracer_tensors(seed=2), x)[1]
        )
    (tmp_path / "layer_1.safetensors").unlink()
    with pytest.raises(ValueError, match=r"one per layer; found layers \[0, 2\]"):
        TranscoderSet.load_circuit_tracer(tmp_path)


def test_files_that_are_not_circuit_tracer_transcoders_are_refused(tmp_path):
    ours = Transcoder(12, 40, k=4, layer=0).save(tmp_path / "ours.safetensors")
    with pytest.raises(
        ValueError, match="not a circuit-tracer transcoder file: it has a tensor threshold"
    ):
        Transcoder.load_circuit_tracer(ours, layer=0)
    partial = circuit_tracer_tensors()
    del partial["b_dec"]
    save_file(partial, str(tmp_path / "partial.safetensors"))
    with pytest.raises(ValueError, match="it has no tensor b_dec"):
        Transcoder.load_circuit_tracer(tmp_path / "partial.safetensors", layer=0)
    wrong = {**circuit_tracer_tensors(), "W_dec": torch.zeros(5, 12)}
    save_file(wrong, str(tmp_path / "wrong.safetensors"))
    with pytest.raises(
        ValueError, match=r"W_dec has shape \(5, 12\).*expected \(12, 40\) or \(40, 12\)"
    ):
        Transcoder.load_circuit_tracer(tmp_path / "wrong.safetensors", layer=0)
    negative = circuit_tracer_tensors(jumprelu=True)
    negative["activation_function.threshold"][0] = -1.0
    save_file(negative, str(tmp_path / "negative.safetensors"))
    with pytest.raises(ValueError, match="negative JumpReLU thresholds"):
        Transcoder.load_circuit_tracer(tmp_path / "negative.safetensors", layer=0)
    (tmp_path / "text.safetensors").write_text("not tensors")
    with pytest.raises(ValueError, match="is not a safetensors file"):
        Transcoder.load_circuit_tracer(tmp_path / "text.safetensors", layer=0)


@pytest.mark.parametrize(
    "architecture",
    ["Transcoder", "SkipTranscoder", "JumpReLUTranscoder", "JumpReLUSkipTranscoder"],
)
def test_a_saelens_transcoder_converts_exactly_from_its_folder_and_object(tmp_path, architecture):
    sae_lens = pytest.importorskip("sae_lens")
    config = getattr(sae_lens, f"{architecture}Config")(
        d_in=12, d_sae=40, d_out=10, apply_b_dec_to_input=False
    )
    config.metadata.hook_name = "blocks.4.hook_mlp_in"
    theirs = getattr(sae_lens, architecture)(config)
    torch.manual_seed(0)
    with torch.no_grad():
        for name, parameter in theirs.named_parameters():
            parameter.copy_(
                torch.rand_like(parameter) if name == "threshold" else torch.randn_like(parameter)
            )
    theirs.save_model(tmp_path / "saved")
    x = torch.randn(6, 12)
    for source in (tmp_path / "saved", theirs):
        ours = Transcoder.from_saelens(source)
        assert ours.layer == 4 and ours.info["source_hook_in"] == "blocks.4.hook_mlp_in"
        assert ours.activation == ("jumprelu" if "JumpReLU" in architecture else "relu")
        with torch.no_grad():
            torch.testing.assert_close(ours.encode(x), theirs.encode(x))
            torch.testing.assert_close(ours(x), theirs(x), rtol=1e-4, atol=1e-4)
    assert Transcoder.from_saelens(theirs, layer=1).layer == 1


def test_what_saelens_stores_that_is_not_a_transcoder_is_refused(tmp_path):
    sae_lens = pytest.importorskip("sae_lens")
    sae_lens.StandardSAE(sae_lens.StandardSAEConfig(d_in=12, d_sae=40)).save_model(tmp_path / "sae")
    with pytest.raises(ValueError, match="architecture 'standard', expected one of transcoder"):
        Transcoder.from_saelens(tmp_path / "sae")
    config = sae_lens.TranscoderConfig(d_in=12, d_sae=40, d_out=12, apply_b_dec_to_input=False)
    with pytest.raises(ValueError, match=r"layer is required: .* reads hook_name None"):
        Transcoder.from_saelens(sae_lens.Transcoder(config))
    with pytest.raises(ValueError, match=r"has no cfg\.json"):
        Transcoder.from_saelens(tmp_path)
    with pytest.raises(TypeError, match="source must be a SAELens transcoder"):
        Transcoder.from_saelens(object())
