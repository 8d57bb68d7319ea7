"""A tiny GPT-2 built from config with random (seeded) weights, and an offline tokenizer.

Used by ``mi-widgets demo`` until trained demo weights ship in ``mi_widgets/demo/model``.
The tokenizer is a byte-level BPE trained in about a second on ``pydoc_data.topics``, the
Python documentation topics that come with every CPython, so nothing is downloaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from transformers import GPT2LMHeadModel, PreTrainedTokenizerFast

EOT = "<|endoftext|>"


def untrained_model(
    seed: int = 0, vocab_size: int = 2048
) -> tuple[GPT2LMHeadModel, PreTrainedTokenizerFast]:
    """A 2-layer, 4-head GPT-2 (d_model 128, context 256) with seeded random weights.

    Its attention shows no learned structure: it is for trying the views, not for findings.
    """
    from pydoc_data.topics import topics

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator((topics[name] for name in sorted(topics)), trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOT, bos_token=EOT)
    config = GPT2Config(
        vocab_size=bpe.get_vocab_size(),
        n_positions=256,
        n_embd=128,
        n_layer=2,
        n_head=4,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(seed)
    return GPT2LMHeadModel(config).eval(), tokenizer
