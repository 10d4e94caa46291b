"""Trains one seeded model on 2 logical CPU replicas (MirroredStrategy) and on one device; prints JSON.

Run as a script: logical devices must be configured before TensorFlow starts, so not inside pytest.
"""

import json
import sys

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from keras_restext import build_resnet_classifier  # noqa: E402
from keras_restext.training.distribute import get_strategy, global_batch_size  # noqa: E402

PER_REPLICA = 8
rng = np.random.default_rng(0)
ids = np.zeros((64, 20), "int32")
for row in range(64):  # ragged rows, so masking is exercised too
    length = rng.integers(3, 21)
    ids[row, :length] = rng.integers(2, 200, size=length)
targets = keras.utils.to_categorical(rng.integers(0, 3, size=64), 3)


def build():
    keras.utils.set_random_seed(0)
    return build_resnet_classifier(
        3, 200, preset="restext_small", head_dropout=0.0, embedding_dropout=0.0, norm="layer", stage_blocks=(2,)
    )


initial = build().get_weights()


def train(strategy):
    with strategy.scope():
        model = build()
        model.set_weights(initial)
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="categorical_crossentropy")
    # Both runs see the same global batch: the mirrored run's per-replica batch x 2 replicas.
    data = tf.data.Dataset.from_tensor_slices((ids, targets)).batch(global_batch_size(PER_REPLICA, mirrored))
    history = model.fit(data, epochs=3, verbose=0, shuffle=False)
    return history.history["loss"], model.get_weights()


mirrored = get_strategy("mirrored")
assert mirrored.num_replicas_in_sync == 2, mirrored.extended.worker_devices
mirrored_loss, mirrored_weights = train(mirrored)
single_loss, single_weights = train(get_strategy("default"))
json.dump(
    {
        "replicas": mirrored.num_replicas_in_sync,
        "mirrored_loss": mirrored_loss,
        "single_loss": single_loss,
        "max_weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(mirrored_weights, single_weights)),
        "max_weight_change": max(float(np.abs(a - b).max()) for a, b in zip(initial, single_weights)),
    },
    sys.stdout,
)
