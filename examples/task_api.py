"""The task API end to end on MR: raw strings in, a SavedModel out, served by plain TensorFlow.

    python examples/task_api.py            (from the repository root; about a minute on 2 CPU cores)

from_preset → fit on Python lists of raw strings → predict → save_to_preset → from_preset(dir)
(identical predictions) → export → a process that imports only TensorFlow serves the same
probabilities.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import keras
import numpy as np

from keras_restext import ResTextClassifier
from keras_restext.data import read_dataset

texts, labels = read_dataset("../shared/data/mr/train.csv").texts_and_labels()
test_texts, test_labels = read_dataset("../shared/data/mr/test.csv").texts_and_labels()

keras.utils.set_random_seed(0)
classifier = ResTextClassifier.from_preset("restext_base", num_classes=2)
classifier.compile()  # the preset's recipe (AdamW, warm-up + cosine decay, label smoothing): the default, shown here
start = time.time()
classifier.fit(texts, labels, verbose=2)
print(f"fit: {time.time() - start:.1f}s")
probabilities = classifier.predict(test_texts, verbose=0)
names = classifier.preprocessor.labels
accuracy = np.mean([names[i] == label for i, label in zip(probabilities.argmax(1), test_labels)])
print(f"test accuracy: {accuracy:.4f}")

folder = tempfile.mkdtemp()
preset = classifier.save_to_preset(os.path.join(folder, "mr_preset"))
print(f"config.json: {os.path.getsize(os.path.join(preset, 'config.json')) / 1000:.1f} KB")
restored = ResTextClassifier.from_preset(preset)
print("from_preset(dir) predictions identical:", np.array_equal(restored.predict(test_texts, verbose=0), probabilities))

export = classifier.export(os.path.join(folder, "savedmodels", "mr", "1"))
serve = (
    "import json, sys, tensorflow as tf\n"
    "serve = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
    "texts = json.load(sys.stdin)\n"
    "print(json.dumps(serve(text=tf.constant(texts))['probabilities'].numpy().tolist()))\n"
    "assert not [m for m in sys.modules if m.startswith('keras_restext')]\n"
)
served = subprocess.run(
    [sys.executable, "-c", serve, export], input=json.dumps(test_texts), capture_output=True, text=True,
    cwd=folder, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, check=True,
)  # fmt: skip
served = np.array(json.loads(served.stdout.strip().splitlines()[-1]))
print(f"TensorFlow-only process: max |Δp| {np.abs(served - probabilities).max():.2e} over {len(test_texts)} texts")
