"""`LimitVocabulary`: keeps the first ids of a frequency-ranked vocabulary, the rest become OOV."""

from __future__ import annotations

import keras
from keras import ops

from keras_restext.data.tokenizers.base import OOV_ID


@keras.saving.register_keras_serializable(package="keras_restext")
class LimitVocabulary(keras.layers.Layer):
    """Maps token ids `>= vocab_size` to the out-of-vocabulary id 1; padding (0) and smaller ids pass.

    The tokenizers rank their vocabularies by frequency, so this keeps the `vocab_size - 2` most
    frequent entries. It lets one id stream feed two branches of different reach: the wide
    `BagOfTokensLogits` (one weight per class and token) reads a large vocabulary, while the deep
    model's embedding (`embedding_dim` weights per token) keeps a small one.

    Args:
        vocab_size: int >= 2, the ids kept, padding and OOV included.

    Example:
    >>> keras.ops.convert_to_numpy(LimitVocabulary(4)(keras.ops.convert_to_tensor([[2, 3, 4, 9, 0]]))).tolist()
    [[2, 3, 1, 1, 0]]
    """

    def __init__(self, vocab_size: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(vocab_size, int) or vocab_size < 2:
            raise ValueError(f"`vocab_size` must be an int >= 2. Received: vocab_size={vocab_size!r}")
        self.vocab_size = vocab_size

    def call(self, token_ids):
        return ops.where(token_ids >= self.vocab_size, ops.cast(OOV_ID, token_ids.dtype), token_ids)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size}
