"""Toy models trained in seconds that show a phenomenon on their own (superposition)."""

from .superposition import ToySuperposition, train_toy_superposition

__all__ = ["ToySuperposition", "train_toy_superposition"]
