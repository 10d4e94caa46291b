"""`LimitVocabulary`: keeps the first ids of a frequency-ranked vocabulary, the rest become OOV."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.checks import check_int
from keras_restext.dtypes import id_dtype_config, id_dtype_policy
from keras_restext.token_ids import OOV_ID


@keras.saving.register_keras_serializable(package="keras_restext")
class LimitVocabulary(keras.layers.Layer):
    """Maps token ids `>= vocab_size` to the out-of-vocabulary id 1; padding (0) and smaller ids pass.

    The tokenizers rank their vocabularies by frequency, so this keeps the `vocab_size - 2` most
    frequent entries. It lets one id stream feed two branches of different reach: the wide
    `BagOfTokensLogits` (one weight per class and token) reads a large vocabulary, while the deep
    model's embedding (`embedding_dim` weights per token) keeps a small one.

    Args:
        vocab_size: int >= 2, the ids kept, padding and OOV included.
        dtype: the integer dtype of the ids it returns (default "int32"). Ids stay integers under
            every dtype policy, so a float dtype or a mixed policy is refused.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, ...).

    Example:
    >>> layer = LimitVocabulary(4)
    >>> keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor([[2, 3, 4, 9, 0]]))).tolist()
    [[2, 3, 1, 1, 0]]
    >>> layer.compute_dtype
    'int32'
    """

    def __init__(self, vocab_size: int, dtype=None, **kwargs):
        vocab_size = check_int("vocab_size", vocab_size, 2)
        # The layer's dtype is its output's: ids, not the float compute dtype of the global policy.
        super().__init__(dtype=id_dtype_policy(dtype), **kwargs)
        self.vocab_size = vocab_size

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, self.compute_dtype)
        return ops.where(token_ids >= self.vocab_size, ops.cast(OOV_ID, self.compute_dtype), token_ids)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size}

    @classmethod
    def from_config(cls, config: dict) -> LimitVocabulary:
        # Models saved before the layer declared an integer dtype hold the float policy of their run.
        return cls(**id_dtype_config(config))
