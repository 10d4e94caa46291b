"""Export a Keras text classifier as a raw-string SavedModel, reload it, and predict with it.

The throughput and latency figures of the Keras models (ours and the Kim CNN) are measured on the
exported artifact, reloaded with `tf.saved_model.load`, with tokenization inside the graph: the
number a deployment would see, not the number of `model.predict` on pre-tokenized ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from benchmarks.measure import Predict


def export_text_classifier(
    path: str | Path,
    model: keras.Model,
    vectorize: Callable[[tf.Tensor], tf.Tensor],
    *,
    track: Sequence[object] = (),
) -> str:
    """Writes a SavedModel with one endpoint, `serve(texts: string[None]) -> probabilities[None, C]`.

    Args:
        path: the output folder.
        model: the Keras classifier on token ids.
        vectorize: strings `[batch]` → token ids `[batch, time]`, built from the Keras layers in `track`
            (e.g. a `TextVectorization`), so that their lookup tables are saved with the model.
        track: the layers `vectorize` uses.

    Returns:
        The folder, as a string.
    """
    archive = keras.export.ExportArchive()
    archive.track(model)
    for layer in track:
        archive.track(layer)
    archive.add_endpoint(
        name="serve",
        fn=lambda texts: model(vectorize(texts), training=False),
        input_signature=[tf.TensorSpec([None], tf.string, name="texts")],
    )
    archive.write_out(str(path), verbose=False)
    return str(path)


def load_predict(path: str | Path, class_names: Sequence[str], *, max_batch: int = 256) -> Predict:
    """Reloads an exported model; returns `predict(list[str]) -> list of class names`.

    Longer lists are cut into batches of `max_batch` texts, to bound memory.
    """
    served = tf.saved_model.load(str(path))
    names = np.asarray(class_names)

    def predict(texts: list[str]) -> list[str]:
        found = []
        for start in range(0, len(texts), max_batch):
            batch = tf.constant(texts[start : start + max_batch], dtype=tf.string)
            found.extend(names[np.argmax(served.serve(batch).numpy(), axis=-1)])
        return found

    return predict


def saved_model_mb(path: str | Path) -> float:
    """The size of an exported folder on disk, in MiB."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20
