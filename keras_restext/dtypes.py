"""The dtype of the layers that return token ids: their output's, an integer, under every policy.

Keras' convention, which KerasHub's tokenizers and its layer-test harness follow: a layer's `dtype`
is the dtype of what it returns. A layer that returns token ids therefore has an integer dtype
(int32 by default) whatever the global float policy, and refuses a float dtype or a mixed policy
(under `mixed_float16` a float16 id of 3001 reads as 3000.0).
"""

from __future__ import annotations

import keras

ID_DTYPE = "int32"


def is_integer_dtype(dtype) -> bool:
    """Whether `dtype` (a name or a dtype) is a signed or unsigned integer dtype."""
    return keras.backend.standardize_dtype(dtype).startswith(("int", "uint"))


def id_dtype_policy(dtype=None, *, int32_only: bool = False, returns: str = "token ids") -> keras.DTypePolicy:
    """The dtype policy of a layer that returns token ids.

    Args:
        dtype: None (int32), a dtype name or a `keras.DTypePolicy`.
        int32_only: allow int32 alone (a layer whose arithmetic or consumers are int32).
        returns: what the layer returns, for the error message.

    Returns:
        A `keras.DTypePolicy` with an integer compute dtype.

    Raises:
        ValueError: a float dtype, a mixed policy, or (with `int32_only`) another integer dtype.

    Example:
    >>> id_dtype_policy().name
    'int32'
    >>> id_dtype_policy("mixed_float16")
    Traceback (most recent call last):
    ...
    ValueError: `dtype` must be an integer dtype such as 'int32' (...). Received: dtype='mixed_float16'
    """
    policy = keras.dtype_policies.get(ID_DTYPE if dtype is None else dtype)
    if int32_only and policy.compute_dtype != ID_DTYPE:
        raise ValueError(f"`dtype` must be 'int32' (the layer returns int32 {returns}). Received: dtype={policy.name!r}")
    if not is_integer_dtype(policy.compute_dtype):
        raise ValueError(
            f"`dtype` must be an integer dtype such as 'int32' (the layer returns {returns}). "
            f"Received: dtype={policy.name!r}"
        )
    return policy


def id_dtype_config(config: dict) -> dict:
    """A saved config of an id layer whose dtype is not an integer, with the dtype set to int32.

    Layers saved before they declared their output's dtype hold another one: the float policy of
    the run that saved them (`{"class_name": "DTypePolicy", "config": {"name": "float32"}}`, or a
    mixed policy), or "string" (the tokenizers' old compute dtype). Their `.keras` files and
    exports still load, with int32 ids as before.

    Example:
    >>> id_dtype_config({"dtype": "string", "max_length": 8})
    {'dtype': 'int32', 'max_length': 8}
    """
    dtype = config.get("dtype")
    if dtype is None or is_integer_dtype(keras.dtype_policies.get(dtype).compute_dtype):
        return config
    return {**config, "dtype": ID_DTYPE}


__all__ = ["ID_DTYPE", "id_dtype_config", "id_dtype_policy", "is_integer_dtype"]
