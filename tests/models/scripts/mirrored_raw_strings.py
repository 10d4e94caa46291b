"""`ResTextClassifier.fit` on raw strings on 2 logical CPU replicas (MirroredStrategy) and on one
device, from the same initial weights, without and with a deep-supervised wide & deep head (its own
training step); prints JSON.

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


def build(deep_loss_weight):
    keras.utils.set_random_seed(0)
    wide = {"wide_scale": 2.0, "deep_loss_weight": deep_loss_weight} if deep_loss_weight else {}
    classifier = ResTextClassifier.from_preset(
        "restext_small", num_classes=3, head_dropout=0.0, norm="layer", stage_blocks=(2,), **wide
    )
    classifier.compile(optimizer=keras.optimizers.SGD(0.1))
    return classifier


def train(strategy, deep_loss_weight):
    with strategy.scope():
        classifier = build(deep_loss_weight)
        initial = classifier.get_weights()
    history = classifier.fit(TEXTS, LABELS, batch_size=16, epochs=3, shuffle=False, verbose=0)
    probabilities = classifier.predict(TEXTS[:8], verbose=0)
    return initial, history.history["loss"], classifier.get_weights(), probabilities


mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
report = {"replicas": mirrored.num_replicas_in_sync}
for key, deep_loss_weight in (("plain", 0.0), ("deep_supervised", 0.5)):
    initial, mirrored_loss, mirrored_weights, mirrored_probabilities = train(mirrored, deep_loss_weight)
    single_initial, single_loss, single_weights, single_probabilities = train(tf.distribute.get_strategy(), deep_loss_weight)
    report[key] = {
        "mirrored_loss": mirrored_loss,
        "single_loss": single_loss,
        "max_initial_diff": max(float(np.abs(a - b).max()) for a, b in zip(initial, single_initial)),
        "max_weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(mirrored_weights, single_weights)),
        "max_weight_change": max(float(np.abs(a - b).max()) for a, b in zip(initial, single_weights)),
        "max_probability_diff": float(np.abs(mirrored_probabilities - single_probabilities).max()),
    }
json.dump(report, sys.stdout)
