"""An export served the way TF Serving serves it, against `tf.saved_model.load`, on a whole data file.

    python -m benchmarks.session_loader_parity savedmodels/sst2/1 ../shared/data/sst2/test.tsv

Prints the max |Δp| between the TF1 session loader (TF Serving, `saved_model_cli run`) and the TF2
eager loader over every text of the file, how many predicted labels differ, and what the export
weighs on disk: the SavedModel (graph and variables) against the `model.keras` beside it.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import tensorflow as tf

from benchmarks.measure import folder_size
from keras_restext.data import read_dataset
from keras_restext.export import SIGNATURE, predict_with_session_loader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("saved_model", help="a SavedModel version folder, e.g. savedmodels/sst2/1")
    parser.add_argument("data", help="a labelled data file (its texts are read)")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    texts = read_dataset(args.data).texts_and_labels()[0]
    batches = [texts[i : i + args.batch_size] for i in range(0, len(texts), args.batch_size)]
    signature = tf.saved_model.load(args.saved_model).signatures[SIGNATURE]
    eager = np.concatenate([signature(text=tf.constant(batch))["probabilities"].numpy() for batch in batches])
    session = np.concatenate([predict_with_session_loader(args.saved_model, batch)["probabilities"] for batch in batches])

    print(f"texts: {len(texts)} ({args.data})")
    print(f"max |Δp| session loader vs tf.saved_model.load: {np.abs(session - eager).max():.3g}")
    print(f"labels that differ: {int((session.argmax(1) != eager.argmax(1)).sum())}")
    graph = os.path.getsize(os.path.join(args.saved_model, "saved_model.pb"))
    variables = folder_size(os.path.join(args.saved_model, "variables"))
    keras_file = os.path.join(args.saved_model, "model.keras")
    print(f"SavedModel: {(graph + variables) / 1e6:.1f} MB (graph {graph / 1e6:.1f} MB, variables {variables / 1e6:.1f} MB)")
    if os.path.isfile(keras_file):
        print(f"model.keras: {os.path.getsize(keras_file) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
