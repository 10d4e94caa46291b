"""One worker of a two-worker `MultiWorkerMirroredStrategy` run on loopback; prints JSON.

Usage: TF_CONFIG=... python multiworker_worker.py OUTPUT_DIR
"""

import hashlib
import json
import os
import sys

import numpy as np
import tensorflow as tf

import keras  # noqa: E402

from keras_restext import build_resnet_classifier  # noqa: E402
from keras_restext.training.distribute import (  # noqa: E402
    get_strategy,
    global_batch_size,
    is_chief,
    patch_for_multiworker,
    remove_worker_dir,
    with_shard_policy,
    write_dir,
)

output = sys.argv[1]
strategy = get_strategy("multiworker")

rng = np.random.default_rng(0)
ids = rng.integers(2, 200, size=(64, 16)).astype("int32")
ids[::3, 10:] = 0  # some padding
targets = keras.utils.to_categorical(rng.integers(0, 3, size=64), 3)
data = tf.data.Dataset.from_tensor_slices((ids, targets)).batch(global_batch_size(8, strategy))
data = with_shard_policy(data)  # DATA: each worker keeps its share of every batch

with strategy.scope():
    keras.utils.set_random_seed(0)
    model = build_resnet_classifier(3, 200, preset="restext_small", head_dropout=0.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy")
patch_for_multiworker(model)

backup = write_dir(os.path.join(output, "backup"), strategy)
model.fit(data, epochs=2, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup)])

final = write_dir(output, strategy)
os.makedirs(final, exist_ok=True)
model.save(os.path.join(final, "final.keras"))
remove_worker_dir(output, strategy)
remove_worker_dir(os.path.join(output, "backup"), strategy)

digest = hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in model.get_weights())).hexdigest()
print(json.dumps({"chief": is_chief(strategy), "final_dir": final, "backup_dir": backup, "replicas": strategy.num_replicas_in_sync, "weights": digest}))
