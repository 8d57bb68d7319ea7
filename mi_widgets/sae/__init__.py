"""Sparse autoencoders: the model, training on streamed activations, and feature statistics."""

from .model import SparseAutoencoder
from .stats import FeatureSource, FeatureStats, feature_stats
from .training import SAEEvaluation, evaluate_sae, train_sae

__all__ = [
    "FeatureSource",
    "FeatureStats",
    "SAEEvaluation",
    "SparseAutoencoder",
    "evaluate_sae",
    "feature_stats",
    "train_sae",
]
