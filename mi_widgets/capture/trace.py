"""What one forward pass leaves behind for the views: tokens and attention patterns."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Trace:
    """A captured forward pass over one text.

    Attributes:
        tokens: the ``N`` token strings, each exactly as the tokenizer decodes that token.
        input_ids: ``[N]`` int64 token ids.
        attention: ``Float[Tensor, "layer head query_pos key_pos"]`` attention probabilities,
            float32 on the CPU; row ``q`` of a head is what query position ``q`` attends to.
        causal: whether the model masks future positions (decoder models).
        model_name: the model's class name, for titles.
    """

    tokens: list[str]
    input_ids: torch.Tensor
    attention: torch.Tensor
    causal: bool
    model_name: str

    @property
    def n_layers(self) -> int:
        return self.attention.shape[0]

    @property
    def n_heads(self) -> int:
        return self.attention.shape[1]

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return (
            f"Trace({self.model_name}: {self.n_tokens} tokens, {self.n_layers} layers x "
            f"{self.n_heads} heads, causal={self.causal})"
        )
