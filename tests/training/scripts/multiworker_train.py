"""One worker of a two-worker `restext train` run (MultiWorkerMirroredStrategy on loopback); prints JSON.

Usage: TF_CONFIG=... python multiworker_train.py DATA_DIR OUTPUT_DIR
"""

import hashlib
import json
import os
import sys

import numpy as np

from keras_restext.training import train
from keras_restext.training.distribute import get_strategy, is_chief

data, output = sys.argv[1], sys.argv[2]
strategy = get_strategy("multiworker")
result = train(
    train=os.path.join(data, "train.tsv"),
    validation=os.path.join(data, "dev.tsv"),
    preset="restext_small",
    epochs=2,
    batch_size=8,
    bucket=False,
    output=os.path.join(output, "run"),
    export=os.path.join(output, "export"),
    strategy=strategy,
    verbose=0,
    log=None,
)
weights = result.classifier.get_weights()
print(json.dumps({
    "chief": is_chief(strategy),
    "replicas": strategy.num_replicas_in_sync,
    "weights": hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in weights)).hexdigest(),
    "export_path": result.export_path,
    "output_dir": result.output_dir,
}))
