"""The global view of a model: for each class, the words and n-grams that push hardest towards it.

The wide branch (`BagOfTokensLogits`) gives each feature j a logit `scale * idf[j] / norm * W[j, c]`
in a text that holds it; `norm` belongs to the text, not to the feature, so the feature's own push
towards class c, across texts, is `scale * idf[j] * (W[j, c] - mean over classes of W[j, :])`: its
weight times its idf (the typical weight it gets in a text), measured against the other classes (a
softmax moves only with the differences of its logits). The model card lists the top ones per class.
Hashed character n-grams (`wide_ngrams`) have no names to show, and a model without a wide branch
has no such weights: both give None.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_restext.data.tokenizers import Tokenizer
from keras_restext.layers import BagOfTokensLogits, HashedNGrams
from keras_restext.models.nested_layers import leaf_layers
from keras_restext.serving import serving_labels, serving_tasks
from keras_restext.token_ids import OOV_ID

TOP_FEATURES = 10


def class_features(serving_model: keras.Model, k: int = TOP_FEATURES) -> dict[str, list[tuple[str, float]]] | None:
    """The `k` words and n-grams that push hardest towards each class, from the wide branch.

    Args:
        serving_model: a one-task raw-string serving model (`build_serving_model`, `model.keras`).
        k: features per class.

    Returns:
        Class name → `[(feature, push)]`, strongest first (push in logit units, as described in the
        module docstring); None for a model without a wide branch over named tokens, or of several tasks.
    """
    if serving_tasks(serving_model) is not None:
        return None
    layers = leaf_layers(serving_model)
    wide = [layer for layer in layers if isinstance(layer, BagOfTokensLogits)]
    tokenizers = [layer for layer in layers if isinstance(layer, Tokenizer)]
    if len(wide) != 1 or not tokenizers or any(isinstance(layer, HashedNGrams) for layer in layers):
        return None
    vocabulary = tokenizers[0].get_vocabulary()
    weights = keras.ops.convert_to_numpy(wide[0].token_weights).astype(np.float64)[: len(vocabulary)]
    idf = keras.ops.convert_to_numpy(wide[0].idf).astype(np.float64)[: len(vocabulary)]
    push = wide[0].scale * idf[:, None] * (weights - weights.mean(axis=1, keepdims=True))
    push[: OOV_ID + 1] = -np.inf  # padding and out-of-vocabulary: no word to name
    push[idf == 0] = -np.inf  # never seen in training: the weights never learned
    features = {}
    for index, name in enumerate(serving_labels(serving_model)):
        best = np.argsort(-push[:, index], kind="stable")[:k]
        features[name] = [(vocabulary[j], float(push[j, index])) for j in best if np.isfinite(push[j, index])]
    return features


__all__ = ["TOP_FEATURES", "class_features"]
