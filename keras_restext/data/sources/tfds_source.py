"""TensorFlow Datasets by name: `"tfds:NAME[:SPLIT]"`, e.g. `"tfds:imdb_reviews"`,
`"tfds:ag_news_subset:test"`, `"tfds:glue/sst2:validation"`, `"tfds:imdb_reviews:train[:10%]"`.

The split defaults to "train". The text key defaults to the first feature named like a text column
("text", "sentence", "description", ...; pass `text_column=["title", "description"]` to join
several) and the label key to "label". Integer `ClassLabel` labels become their names, which are
also the `label_names` (so the label vocabulary keeps TFDS's order). Nothing is downloaded unless
`download=True`: the dataset must be prepared in `data_dir` (TFDS's default `~/tensorflow_datasets`).
"""

from __future__ import annotations

import tensorflow as tf

from keras_restext.data.errors import DataError
from keras_restext.data.sources.delimited import TEXT_COLUMN_NAMES
from keras_restext.data.textdata import TextData


def parse_tfds_name(source: str) -> tuple[str, str]:
    """`"tfds:glue/sst2:validation"` → `("glue/sst2", "validation")`; the split defaults to "train"."""
    body = source[len("tfds:"):]
    name, _, split = body.partition(":")
    if not name:
        raise DataError("no dataset name after 'tfds:'", path=source, expected="tfds:NAME[:SPLIT], e.g. tfds:imdb_reviews:train")
    return name, split or "train"


def read_tfds(
    source: str,
    *,
    text_column=None,
    label_column=None,
    label_delimiter: str | None = None,
    data_dir: str | None = None,
    download: bool = False,
    limit: int | None = None,
) -> TextData:
    """Loads a TFDS split as `(text, label)` strings; see the module docstring."""
    import tensorflow_datasets as tfds  # imported here: slow to import, and only this source needs it

    name, split = parse_tfds_name(source)
    try:
        builder = tfds.builder(name, data_dir=data_dir)
        features = builder.info.features
        dataset = tfds.load(name, split=split, data_dir=data_dir, download=download, as_supervised=False)
    except Exception as err:  # tfds raises many types (AssertionError, DatasetNotFoundError, ...)
        reason = " ".join(str(err).split()).split(" Available datasets:")[0][:300]
        raise DataError(
            f"cannot load the TFDS dataset {name!r}, split {split!r} ({type(err).__name__}: {reason})",
            path=source,
            expected="a TFDS name that is prepared in data_dir (tfds build NAME), or download=True",
        ) from None
    keys = list(features.keys())
    if text_column is None:
        found = [k for n in TEXT_COLUMN_NAMES for k in keys if k.lower() == n]
        if not found:
            problem = f"cannot tell which feature holds the text among {keys}"
            raise DataError(problem, path=source, expected="text_column= naming it")
        text_keys = found[:1]
    else:
        text_keys = [text_column] if isinstance(text_column, str) else list(text_column)
    label_key = label_column or "label"
    for key in (*text_keys, label_key):
        if key not in keys:
            raise DataError(f"no feature {key!r} in {name}", path=source, expected=f"one of the features {keys}")
        if key in text_keys and features[key].dtype != tf.string:
            problem = f"feature {key!r} is {features[key].dtype}, not text"
            raise DataError(problem, path=source, expected="a string feature for the text")

    label_feature = features[label_key]
    names = list(getattr(label_feature, "names", None) or []) or None
    names_table = tf.constant(names) if names else None

    def to_pair(example):
        texts = [example[k] for k in text_keys]
        text = texts[0] if len(texts) == 1 else tf.strings.join(texts, separator=" ")
        label = example[label_key]
        if names_table is not None:
            label = tf.gather(names_table, tf.cast(label, tf.int32))
        elif label.dtype != tf.string:
            label = tf.strings.as_string(label)
        return text, label

    dataset = dataset.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if limit is not None:
        dataset = dataset.take(limit)
    return TextData(dataset=dataset, path=source, label_names=names, format="tfds", multi_label_delimiter=label_delimiter)


__all__ = ["parse_tfds_name", "read_tfds"]
