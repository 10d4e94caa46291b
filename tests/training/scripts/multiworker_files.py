"""One worker of a two-worker run on several training files; prints JSON with the files whose rows
the worker's training pipeline read (counted as they pass through it) and its final weights.

Usage: TF_CONFIG=... python multiworker_files.py TRAIN_GLOB VALIDATION_FILE OUTPUT_DIR
"""

import collections
import dataclasses
import hashlib
import json
import sys

import numpy as np
import tensorflow as tf

from keras_restext.training import single_task, train
from keras_restext.training.distribute import get_strategy, is_chief

train_glob, validation, output = sys.argv[1:4]
# Each training row the pipeline reads, under the file named by its first word: how often, which rows.
reads = collections.Counter()
rows = collections.defaultdict(set)


def record(text, label):
    name = text.numpy().split()[0].decode()
    reads[name] += 1
    rows[name].add(text.numpy())
    return text


original = single_task.build_pipeline


def counting_pipeline(data, tokenizer, labels, **options):
    if options.get("shuffle"):  # the training split
        def count(text, label):
            return tf.ensure_shape(tf.py_function(record, [text, label], tf.string), []), label

        data = dataclasses.replace(data, dataset=data.dataset.map(count))
    return original(data, tokenizer, labels, **options)


single_task.build_pipeline = counting_pipeline
strategy = get_strategy("multiworker")
result = train(
    train=train_glob, validation=validation, preset="restext_small", epochs=2, batch_size=8, bucket=False,
    cache=False, output=output, strategy=strategy, verbose=0, log=None,  # no cache: every epoch reads the files
)
weights = result.classifier.get_weights()
print(json.dumps({
    "chief": is_chief(strategy),
    "rows_per_file": {name: len(texts) for name, texts in sorted(rows.items())},
    "reads_per_file": dict(sorted(reads.items())),
    "weights": hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in weights)).hexdigest(),
}))
