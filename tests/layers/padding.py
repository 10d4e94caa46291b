"""Helpers for padding-invariance tests: the same sequences, padded to different lengths with garbage."""

from __future__ import annotations

import numpy as np


def padded_copies(values: np.ndarray, lengths: list[int], padded_length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pads `values[:, :length]` per row to `padded_length`, filling padded steps with large random values."""
    rng = np.random.default_rng(seed)
    batch, _, channels = values.shape
    out = rng.normal(scale=100.0, size=(batch, padded_length, channels)).astype(values.dtype)
    mask = np.zeros((batch, padded_length), bool)
    for row, length in enumerate(lengths):
        out[row, :length] = values[row, :length]
        mask[row, :length] = True
    return out, mask
