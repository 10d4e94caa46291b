"""Small helpers shared by the mask-aware layers.

Every layer in this package follows one rule: a padded time step (mask False) holds zeros on the way
out, and is set to zero (or to the most negative value, before a max) on the way in. That rule is what
makes a prediction independent of how much padding a batch carries.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
from keras import ops


def zero_masked_steps(x, mask):
    """Returns `x` with the padded steps (`mask` False) set to zero; `x` unchanged when `mask` is None."""
    if mask is None:
        return x
    return x * ops.cast(ops.expand_dims(mask, -1), x.dtype)


def most_negative(dtype) -> float:
    """The lowest finite value of a float dtype, bfloat16 included (used to hide padded steps from a max)."""
    name = getattr(dtype, "name", dtype)
    return float(ml_dtypes.finfo(np.dtype(name)).min)


def fill_masked_steps(x, mask, value: float):
    """Returns `x` with the padded steps replaced by `value`."""
    if mask is None:
        return x
    return ops.where(ops.expand_dims(mask, -1), x, ops.cast(value, x.dtype))
