"""The demo model's architecture with seeded random weights: attention before any training."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from . import MODEL_DIR

if TYPE_CHECKING:
    from transformers import GPTNeoXForCausalLM, PreTrainedTokenizerFast


def untrained_model(seed: int = 0) -> tuple[GPTNeoXForCausalLM, PreTrainedTokenizerFast]:
    """A model with the demo model's config and tokenizer but random (seeded) weights.

    Its attention has no learned structure; compare it with :func:`mi_widgets.demo.demo_model`
    to see what training built.
    """
    from transformers import AutoConfig, GPTNeoXForCausalLM, PreTrainedTokenizerFast

    config = AutoConfig.from_pretrained(MODEL_DIR, local_files_only=True)
    torch.manual_seed(seed)
    model = GPTNeoXForCausalLM(config)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(MODEL_DIR, local_files_only=True)
    return model.eval(), tokenizer
