"""`ResTextClassifier.fit` on raw strings on 2 logical CPU replicas (MirroredStrategy) and on one
device, from the same initial weights; prints JSON.

Run as a script: logical devices must be configured before TensorFlow starts, so not inside pytest.
"""

import json
import sys

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from keras_restext import ResTextClassifier  # noqa: E402

rng = np.random.default_rng(0)
WORDS = [f"w{i}" for i in range(40)]
# 2-6 words: one length bucket, so every batch holds 16 texts and splits evenly over the replicas.
TEXTS = [" ".join(rng.choice(WORDS, size=rng.integers(2, 7))) for _ in range(64)]
LABELS = [["neg", "neutral", "pos"][i % 3] for i in range(64)]


def build():
    keras.utils.set_random_seed(0)
    classifier = ResTextClassifier.from_preset(
        "restext_small", num_classes=3, head_dropout=0.0, norm="layer", stage_blocks=(2,)
    )
    classifier.compile(optimizer=keras.optimizers.SGD(0.1))
    return classifier


initial = build().get_weights()


def train(strategy):
    with strategy.scope():
        classifier = build()
        classifier.set_weights(initial)
    history = classifier.fit(TEXTS, LABELS, batch_size=16, epochs=3, shuffle=False, verbose=0)
    probabilities = classifier.predict(TEXTS[:8], verbose=0)
    return history.history["loss"], classifier.get_weights(), probabilities


mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
mirrored_loss, mirrored_weights, mirrored_probabilities = train(mirrored)
single_loss, single_weights, single_probabilities = train(tf.distribute.get_strategy())
json.dump(
    {
        "replicas": mirrored.num_replicas_in_sync,
        "mirrored_loss": mirrored_loss,
        "single_loss": single_loss,
        "max_weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(mirrored_weights, single_weights)),
        "max_weight_change": max(float(np.abs(a - b).max()) for a, b in zip(initial, single_weights)),
        "max_probability_diff": float(np.abs(mirrored_probabilities - single_probabilities).max()),
    },
    sys.stdout,
)
