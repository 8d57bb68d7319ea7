"""Shared fixtures: tiny models built from config (no download) and known attention."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest
import torch

#: Tokens that must show literally and inject nothing (issue: untrusted tokens).
HOSTILE_TOKENS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&amp;",
    '"quotes"',
    "\n",
    "\t",
    "",
    "🦄",
    "שלום",
    " plain",
]


@pytest.fixture(scope="session")
def tiny_gpt2():
    """A 2-layer, 4-head GPT-2 with random weights and a byte-level BPE tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, GPT2Config, PreTrainedTokenizerFast

    torch.manual_seed(0)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    text = ["When Mary and John went to the store, John gave a drink to Mary."] * 20
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(text, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>")
    config = GPT2Config(
        n_layer=2,
        n_head=4,
        n_embd=32,
        vocab_size=bpe.get_vocab_size(),
        n_positions=64,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = AutoModelForCausalLM.from_config(config).eval()
    return model, tokenizer


def identity_attention(n_layers: int, n_heads: int, n_tokens: int) -> np.ndarray:
    """Every query attends only to itself: ``[layer, head, N, N]`` identity matrices."""
    return np.broadcast_to(
        np.eye(n_tokens, dtype=np.float32), (n_layers, n_heads, n_tokens, n_tokens)
    ).copy()


def random_causal_attention(
    n_layers: int, n_heads: int, n_tokens: int, seed: int = 0
) -> np.ndarray:
    """Row-normalised random causal attention ``[layer, head, N, N]``."""
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(n_layers, n_heads, n_tokens, n_tokens, generator=generator)
    mask = torch.ones(n_tokens, n_tokens, dtype=torch.bool).triu(1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1).numpy()
