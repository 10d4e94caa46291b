"""The residual branch's attributions: integrated gradients on the token embeddings.

Integrated gradients (Sundararajan et al., 2017) attribute `F(x) - F(x')` to the inputs along the
straight path from a baseline `x'` to `x`:

    IG_i = (x_i - x'_i) * integral over a in [0, 1] of dF/dx_i (x' + a (x - x')) da

Here `F` is the deep logit of the explained class (the trunk's, before the wide branch is added),
`x` the embeddings of the text's tokens and the baseline `x'` ALL-ZERO embeddings under the SAME
padding mask: the trunk sees a text of as many positions that carry no token information. The
integral is the trapezoid rule over `steps` equal intervals (`steps + 1` gradient evaluations, run
as batches). A position's attribution is its IG summed over the embedding's channels. By
completeness the attributions sum to `F(x) - F(x')` up to the rule's error, which shrinks as
`steps` grows (tests/explain hold it within `COMPLETENESS_TOLERANCE`).
"""

from __future__ import annotations

import inspect

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_restext.models.preprocessor import SINGLE_TASK

DEFAULT_STEPS = 64
STEPS_PER_BATCH = 33  # gradient evaluations per batch: bounds memory on long texts
# |sum of attributions - (F(x) - F(x'))| <= COMPLETENESS_TOLERANCE * max(1, |F(x) - F(x')|) at
# DEFAULT_STEPS: the trapezoid rule's error on a piecewise-linear (ReLU, max-pooling) trunk.
COMPLETENESS_TOLERANCE = 0.05
_INFERENCE_IDENTITY = (keras.layers.Dropout, keras.layers.SpatialDropout1D)


def _takes_mask(layer: keras.layers.Layer) -> bool:
    return "mask" in inspect.signature(layer.call).parameters


def _deep_path(target) -> tuple[list, keras.layers.Layer, list, list, keras.layers.Layer]:
    """The network's layers in order: before the embedding (id maps), the embedding, the trunk after
    it, the head's pooling and dense layers, and the dense layer of the deep logits."""
    layers = target.layers
    ordered = list(layers.values())
    names = list(layers)
    start, end = names.index("embedding"), names.index("final_activation")
    id_maps = [layer for layer in ordered[:start] if not isinstance(layer, keras.layers.InputLayer)]
    trunk = [layer for layer in ordered[start + 1 : end + 1] if not isinstance(layer, _INFERENCE_IDENTITY)]
    head = [layers[name] for name in ("kmax_pooling", "flatten", "pooling") if name in layers]
    head += [layers[name] for name in names if name.startswith("head_dense_")]
    logits = layers.get(f"{SINGLE_TASK}_deep_logits", layers[SINGLE_TASK])
    return id_maps, layers["embedding"], trunk, head, logits


def _deep_logits(path, embeddings, mask):
    """The deep logits `[batch, classes]` of embeddings `[batch, time, dim]` under `mask`."""
    _, _, trunk, head, dense = path
    x = embeddings
    for layer in trunk:
        output = layer(x, mask=mask) if _takes_mask(layer) else layer(x)
        # A downsampling block halves the mask with the length.
        mask = layer.compute_mask(x, mask) if _takes_mask(layer) else mask
        x = output
    for layer in head:
        x = layer(x, mask=mask) if _takes_mask(layer) else layer(x)
    return ops.matmul(ops.cast(x, "float32"), ops.cast(dense.kernel, "float32")) + ops.cast(dense.bias, "float32")


def trunk_inputs(target, token_ids: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
    """The embeddings `[1, time, dim]` the trunk reads of one text's ids `[time]`, and their mask:
    after the id maps before the embedding (the words alone of word n-grams, the deep vocabulary)."""
    id_maps, embedding, *_ = _deep_path(target)
    ids = ops.convert_to_tensor(token_ids[None].astype("int32"))
    for layer in id_maps:
        ids = layer(ids)
    return embedding(ids), ops.not_equal(ids, 0)


def integrated_gradients(target, token_ids: np.ndarray, class_index: int, steps: int = DEFAULT_STEPS) -> tuple[np.ndarray, float, float]:
    """Integrated gradients of the deep logit of `class_index` on one text's token embeddings.

    Args:
        target: an `ExplainTarget`.
        token_ids: the text's token ids `[time]`, without padding.
        class_index: the class explained.
        steps: the trapezoid rule's intervals.

    Returns:
        `(attributions, logit, baseline_logit)`: one attribution per position the trunk reads (the
        words of word n-gram ids), the deep logit of the text and of the all-zero baseline.
    """
    path = _deep_path(target)
    embeddings, mask = trunk_inputs(target, token_ids)
    embeddings = tf.cast(embeddings, "float32")
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype="float32")
    rule = np.full(steps + 1, 1.0 / steps)
    rule[[0, -1]] /= 2  # the trapezoid rule's end points
    total = np.zeros(embeddings.shape[1:], np.float64)
    logits = []
    for start in range(0, steps + 1, STEPS_PER_BATCH):
        chunk = alphas[start : start + STEPS_PER_BATCH]
        batch = tf.constant(chunk)[:, None, None] * embeddings
        with tf.GradientTape() as tape:
            tape.watch(batch)
            out = _deep_logits(path, tf.cast(batch, embeddings.dtype), tf.repeat(mask, len(chunk), axis=0))[:, class_index]
        gradients = tape.gradient(out, batch).numpy().astype(np.float64)
        total += np.tensordot(rule[start : start + len(chunk)], gradients, axes=1)
        logits.extend(out.numpy().tolist())
    attributions = np.sum(total * embeddings.numpy()[0], axis=-1)
    return attributions, float(logits[-1]), float(logits[0])


__all__ = ["COMPLETENESS_TOLERANCE", "DEFAULT_STEPS", "integrated_gradients", "trunk_inputs"]
