"""Pure, vectorised analysis of captured activations."""

from .head_scores import (
    attention_patterns,
    duplicate_token_score,
    first_token_score,
    induction_score,
    previous_token_score,
    repeated_random_tokens,
)

__all__ = [
    "attention_patterns",
    "duplicate_token_score",
    "first_token_score",
    "induction_score",
    "previous_token_score",
    "repeated_random_tokens",
]
