"""`prepare`: read a corpus once; write shuffled, sharded TFRecord files and a manifest.

A user with 10 GB of CSV prepares once (`restext prepare`) and trains many times, on one host or
many: `restext train --train prepared/` reads the shards with C++ ops only, and `tf.distribute`
gives each worker its own shards (`AutoShardPolicy.FILE`).

How it stays within bounded memory, whatever the corpus' size:

* **Shuffle: a two-pass scatter.** Pass 1 streams the source and writes each row to one of the
  `shards` temporary files, chosen at random (seeded). Pass 2 shuffles each temporary file in
  memory and writes it as the final shard. A temporary file larger than `shuffle_memory` bytes is
  first scattered again, at random, into parts that fit, each shuffled in turn and appended to the
  shard. The result is a uniform shuffle of the whole corpus (every row's shard and place are
  random and independent of its content); memory holds one part, at most `shuffle_memory` bytes of
  records (plus Python's ~50 bytes per record).
* **Vocabulary: bounded counting.** Pass 1 counts the words of every row (with the tokenizer's
  own splitting, on batches, in `tf.data`) into a table of at most `2 * max_words` entries,
  exact while the corpus has fewer distinct tokens than that (`corpus_counts.BoundedCounts`).
* Labels and a histogram of lengths are counted in the same pass.

With a tokenizer, pass 2 also stores each row's token ids (`"token_ids"`), from the vocabulary
adapted over the whole corpus.
"""

from __future__ import annotations

import json
import math
import posixpath
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from keras_restext.checks import check_positive_int, require
from keras_restext.data.corpus_counts import CorpusCounts
from keras_restext.data.labels import LabelVocabulary
from keras_restext.data.sources import infer_format, read_dataset
from keras_restext.data.sources.tfrecord import MANIFEST_FILE, SUFFIX, TEXT, feature_spec, serialize_example
from keras_restext.data.textdata import TextData
from keras_restext.data.tokenizers import WordTokenizer
from keras_restext.errors import ArgumentError

SCATTER_DIR = ".scatter"
VOCABULARY_FILE = "vocabulary.txt"
READ_BATCH = 1024  # rows per batch of pass 1 (counting runs on batches in `tf.data`)
WRITE_BATCH = 4096  # records per batch of pass 2
MANIFEST_VERSION = 1


def shard_name(index: int, shards: int) -> str:
    """`train-00003-of-00008.tfrecord`."""
    return f"train-{index:05d}-of-{shards:05d}{SUFFIX}"


def _counting_tokenizer(tokenizer) -> WordTokenizer:
    """The tokenizer whose words the vocabulary counts: the given word tokenizer, else the default one."""
    return tokenizer if isinstance(tokenizer, WordTokenizer) else WordTokenizer(max_tokens=None)


def _counted_batches(data: TextData, counter: WordTokenizer) -> tf.data.Dataset:
    """Batches of `(texts, labels, lengths, words, word counts)`: the counting runs in `tf.data`."""

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops: no source conversion needed
    def count(texts, labels):
        words = counter.words(texts)
        values, _, counts = tf.unique_with_counts(words.flat_values)
        return texts, labels, words.row_lengths(), values, counts

    return data.dataset.batch(READ_BATCH).map(count, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def scatter(data: TextData, folder: str, parts: int, rng: np.random.Generator, counts: CorpusCounts,
            counter: WordTokenizer) -> list[str]:  # fmt: skip
    """Pass 1: every row of `data` to one of `parts` record files under `folder`, at random, while
    `counts` counts it. Returns the files."""
    paths = [posixpath.join(folder, f"part-{i:05d}{SUFFIX}") for i in range(parts)]
    writers = [tf.io.TFRecordWriter(path) for path in paths]
    try:
        for texts, labels, lengths, words, word_counts in _counted_batches(data, counter).as_numpy_iterator():
            counts.add(labels, lengths, words, word_counts)
            for text, label, part in zip(texts, labels, rng.integers(parts, size=len(texts))):
                writers[part].write(serialize_example(text, label))
    finally:
        for writer in writers:
            writer.close()
    return paths


def _records(path: str) -> np.ndarray:
    """All records of one file, as an object array of bytes."""
    batches = list(tf.data.TFRecordDataset(path).batch(WRITE_BATCH).as_numpy_iterator())
    return np.concatenate(batches) if batches else np.array([], dtype=object)


def _scatter_records(path: str, parts: int, rng: np.random.Generator) -> list[str]:
    """The records of `path` spread at random over `parts` files beside it (then `path` deleted)."""
    paths = [f"{path}.{i}" for i in range(parts)]
    writers = [tf.io.TFRecordWriter(p) for p in paths]
    try:
        for batch in tf.data.TFRecordDataset(path).batch(WRITE_BATCH).as_numpy_iterator():
            for record, part in zip(batch, rng.integers(parts, size=len(batch))):
                writers[part].write(record)
    finally:
        for writer in writers:
            writer.close()
    tf.io.gfile.remove(path)
    return paths


def shuffle_file(path: str, write: Callable[[np.ndarray], None], rng: np.random.Generator, shuffle_memory: int) -> int:
    """Pass 2 for one file: its records in a uniformly random order, given to `write` in batches,
    holding at most about `shuffle_memory` bytes of records at a time. Returns the records written."""
    size = tf.io.gfile.stat(path).length
    if size > shuffle_memory:  # too large to hold: scatter into parts that fit, each shuffled in turn
        parts = 2 * math.ceil(size / shuffle_memory)  # twice as many: random parts vary in size
        return sum(shuffle_file(part, write, rng, shuffle_memory) for part in _scatter_records(path, parts, rng))
    records = _records(path)
    records = records[rng.permutation(len(records))]
    for start in range(0, len(records), WRITE_BATCH):
        write(records[start : start + WRITE_BATCH])
    tf.io.gfile.remove(path)
    return len(records)


def _with_token_ids(tokenizer) -> Callable[[np.ndarray], list[bytes]]:
    """Serialized `(text, label)` records → the same records with their `"token_ids"`."""
    spec = feature_spec()

    def encode(records: np.ndarray) -> list[bytes]:
        parsed = tf.io.parse_example(records, spec)
        ids = tokenizer.tokenize_ragged(parsed[TEXT]).to_list()
        texts, labels = parsed[TEXT].numpy(), parsed["label"].numpy()
        return [serialize_example(t, lab, row) for t, lab, row in zip(texts, labels, ids)]

    return encode


def _vocabulary(counts: CorpusCounts, tokenizer, vocabulary_size: int | None) -> list[str]:
    """The vocabulary adapted over the whole corpus: ranked as `WordTokenizer.adapt` ranks it, with
    the tokenizer's `max_tokens`, `min_count` and `words_first` when it is a word tokenizer."""
    words = counts.words
    limit, min_count = vocabulary_size, 1
    if isinstance(tokenizer, WordTokenizer):
        limit = limit or (None if tokenizer.max_tokens is None else tokenizer.max_tokens - 2)
        min_count = tokenizer.min_count
    ranked = words.ranked(None, min_count)
    if isinstance(tokenizer, WordTokenizer) and tokenizer.words_first:
        ranked = sorted(ranked, key=lambda t: b" " in t or words.counts[t] < 2)
    tokens = [t.decode("utf-8", errors="replace") for t in ranked[:limit]]
    return list(dict.fromkeys(tokens))


def _read_once(source, options: dict) -> dict:
    """`read_dataset`'s options for one pass: csv/tsv through the Python reader (`native=False`), as
    the C++ reader would first read the whole file in Python to check it (three reads, not one)."""
    delimited = options.get("format", infer_format(source) if isinstance(source, str) else None) in ("csv", "tsv")
    return {"native": False, **options} if delimited else options


def _ready(tokenizer) -> bool:
    try:
        tokenizer._check_ready()
    except ValueError:
        return False
    return True


def _check_arguments(output: str, shards: int, shuffle_memory: int, vocabulary_size, tokenizer) -> None:
    check_positive_int("shards", shards)
    check_positive_int("shuffle_memory", shuffle_memory)
    check_positive_int("vocabulary_size", vocabulary_size, allow_none=True)
    require(shuffle_memory >= 2**20, "shuffle_memory", shuffle_memory, "at least 1 MiB (2**20 bytes)")
    if tf.io.gfile.exists(output) and tf.io.gfile.listdir(output):
        raise ArgumentError(f"`output` {output!r} is not empty: prepare writes into a new or empty folder",
                            argument="output")  # fmt: skip
    if tokenizer is not None and not isinstance(tokenizer, WordTokenizer) and not _ready(tokenizer):
        raise ArgumentError(
            f"`tokenizer` {type(tokenizer).__name__} has no vocabulary: prepare adapts word tokenizers only "
            "(a char tokenizer with an alphabet, or one given its vocabulary, needs none)",
            argument="tokenizer",
        )


def prepare(
    source,
    output: str,
    *,
    shards: int = 8,
    tokenizer=None,
    seed: int = 0,
    shuffle_memory: int = 256 * 2**20,
    max_words: int = 1_000_000,
    vocabulary_size: int | None = None,
    read_options: dict | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Reads `source` once and writes shuffled, sharded TFRecord files and `manifest.json`.

    Args:
        source: anything `read_dataset` reads (a csv/tsv/jsonl file or glob, a folder, ...).
        output: a new or empty folder (any `tf.io.gfile` filesystem).
        shards: the number of `.tfrecord` files: at least the number of workers that will read them.
        tokenizer: a tokenizer layer (`make_tokenizer`) to store token ids with the texts; a
            `WordTokenizer` without a vocabulary is adapted over the whole corpus first.
        seed: the shuffle's seed; the same seed and source give the same files.
        shuffle_memory: the most bytes of records held in memory at once while shuffling.
        max_words: the bound of the word counts (`corpus_counts.BoundedCounts`).
        vocabulary_size: tokens in `vocabulary.txt` (default: the word tokenizer's `max_tokens - 2`,
            else every token counted).
        read_options: `read_dataset`'s keyword arguments (columns, format, ...).
        log: called with progress lines.

    Returns:
        The manifest (also written to `output/manifest.json`).

    Example:
    >>> import tempfile
    >>> texts, labels = ["a fine film", "a dull film", "fine"], ["pos", "neg", "pos"]
    >>> manifest = prepare((texts, labels), tempfile.mkdtemp(), shards=2)
    >>> manifest["examples"], manifest["labels"]["counts"]
    (3, {'neg': 1, 'pos': 2})
    """
    _check_arguments(output, shards, shuffle_memory, vocabulary_size, tokenizer)
    say = log or (lambda message: None)
    data = read_dataset(source, **_read_once(source, read_options or {}))
    rng = np.random.default_rng(seed)
    counts = CorpusCounts(max_words, data.multi_label_delimiter)
    counter = _counting_tokenizer(tokenizer)
    tf.io.gfile.makedirs(posixpath.join(output, SCATTER_DIR))
    say(f"pass 1: reading {data.path} into {shards} scattered files, counting words and labels")
    parts = scatter(data, posixpath.join(output, SCATTER_DIR), shards, rng, counts, counter)
    require(counts.examples > 0, "source", data.path, "data with at least one example")
    vocabulary = _vocabulary(counts, tokenizer, vocabulary_size)
    with tf.io.gfile.GFile(posixpath.join(output, VOCABULARY_FILE), "w") as stream:
        stream.write("".join(token + "\n" for token in vocabulary))
    if isinstance(tokenizer, WordTokenizer) and not _ready(tokenizer):
        tokenizer.set_vocabulary(vocabulary)
    say(f"pass 2: shuffling {counts.examples} examples into {shards} shards under {output}")
    files = _write_shards(parts, output, rng, shuffle_memory, tokenizer)
    tf.io.gfile.rmtree(posixpath.join(output, SCATTER_DIR))
    manifest = _manifest(data, counts, files, vocabulary, tokenizer, seed)
    with tf.io.gfile.GFile(posixpath.join(output, MANIFEST_FILE), "w") as stream:
        stream.write(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest


def _write_shards(parts: list[str], output: str, rng, shuffle_memory: int, tokenizer) -> list[dict]:
    """Pass 2: each scattered file shuffled into its shard (with token ids if `tokenizer`)."""
    encode = _with_token_ids(tokenizer) if tokenizer is not None else None
    files = []
    for index, part in enumerate(parts):
        name = shard_name(index, len(parts))
        with tf.io.TFRecordWriter(posixpath.join(output, name)) as writer:

            def write(records, writer=writer):
                for record in encode(records) if encode else records:
                    writer.write(record)

            files.append({"file": name, "examples": shuffle_file(part, write, rng, shuffle_memory)})
    return files


def _manifest(data: TextData, counts: CorpusCounts, files: list[dict], vocabulary: list[str], tokenizer,
              seed: int) -> dict:  # fmt: skip
    """What a prepared folder holds, for `read_tfrecord` and for people."""
    names = data.label_names or LabelVocabulary.from_data(list(counts.labels)).names
    token_ids = None
    if tokenizer is not None:
        config = {k: v for k, v in tokenizer.get_config().items() if k != "vocabulary"}
        token_ids = {"tokenizer": type(tokenizer).__name__, "config": config, "vocabulary_file": VOCABULARY_FILE}
    return {
        "format": "keras_restext prepared shards",
        "version": MANIFEST_VERSION,
        "source": data.path,
        "source_format": data.format,
        "examples": counts.examples,
        "skipped": data.skipped,
        "shards": files,
        "labels": {"names": list(names), "counts": dict(sorted(counts.labels.items()))},
        "multi_label_delimiter": data.multi_label_delimiter,
        "length_histogram": counts.histogram(),
        "vocabulary": {"file": VOCABULARY_FILE, "size": len(vocabulary), **counts.words.summary()},
        "token_ids": token_ids,
        "shuffle": {"method": "two-pass scatter", "seed": seed},
    }


__all__ = ["VOCABULARY_FILE", "prepare", "scatter", "shard_name", "shuffle_file"]
