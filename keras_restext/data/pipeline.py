"""`build_pipeline`: `(text, label)` examples → batches of `(token_ids, targets)` for `model.fit`."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import tensorflow as tf

from keras_restext.checks import check_positive_int
from keras_restext.data.labels import LabelVocabulary
from keras_restext.data.textdata import TextData
from keras_restext.errors import ArgumentError

AUTOTUNE = tf.data.AUTOTUNE
TOKENIZE_BATCH = 1024  # texts per tokenizer call


def default_bucket_boundaries(max_length: int) -> list[int]:
    """Length boundaries 8, 12, 16, 24, 32, 48, ... below `max_length`, then `max_length + 1`.

    Steps of about 1.5× (a batch is padded to its longest row, so to at most 1.5× its shortest):
    buckets of 2× wasted much of an MR epoch's convolutions on padding, and finer steps did not
    make MR training measurably faster (benchmarks/README.md has the figures).
    """
    boundaries, edge = [], 8
    while edge < max_length:
        boundaries.append(edge)
        edge = edge * 3 // 2 if edge & (edge - 1) == 0 else edge * 4 // 3  # 8, 12, 16, 24, 32, ...
    return boundaries + [max_length + 1]


def _ragged_ids(tokenizer, texts: tf.Tensor) -> tf.RaggedTensor:
    """Token ids without padding; works for any tokenizer that pads with 0."""
    if hasattr(tokenizer, "tokenize_ragged"):
        return tokenizer.tokenize_ragged(texts)
    return tf.RaggedTensor.from_tensor(tf.cast(tokenizer(texts), tf.int32), padding=0)


def _at_least_one_column(ids: tf.Tensor) -> tf.Tensor:
    return tf.pad(ids, [[0, 0], [0, tf.maximum(1 - tf.shape(ids)[1], 0)]])


def build_pipeline(
    data: TextData | tf.data.Dataset,
    tokenizer,
    labels: LabelVocabulary | None,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    epoch: tf.Variable | None = None,
    shuffle_buffer: int = 10000,
    bucket: bool = False,
    bucket_boundaries: list[int] | None = None,
    static_shapes: bool = False,
    cache: bool = False,
    repeat: bool = False,
    autotune: bool = False,
) -> tf.data.Dataset:
    """Tokenizes and batches examples in `tf.data`: the input side of training and evaluation.

    The order of operations: tokenize and encode the labels on batches of 1024 texts (`map` with
    `num_parallel_calls=AUTOTUNE`, deterministic), split back into examples, each still padded to
    its tokenization batch's longest row → cache (the token ids, in memory) → shuffle (per example,
    seeded, reshuffled every epoch) → repeat → batch, cut back to the batch's longest row →
    prefetch. No step runs per example but the split, the shuffle and the batching themselves.
    With `bucket=True`, the examples are instead grouped by length (`bucket_by_sequence_length`)
    so that a batch holds texts of similar length and carries little padding. The same `seed`
    gives the same batches.

    Args:
        data: a `TextData`, or a `tf.data.Dataset` of `(text, label)` string pairs.
        tokenizer: a tokenizer layer (`make_tokenizer`), adapted; any callable mapping strings
            `[batch]` to int ids `[batch, length]` padded with 0 also works.
        labels: the `LabelVocabulary` that encodes the targets; None yields token ids only (for
            prediction on unlabelled text).
        batch_size: examples per batch.
        shuffle: shuffle the examples (with `shuffle_buffer` and `seed`).
        seed: the shuffle seed; None is not reproducible.
        epoch: a scalar int64 `tf.Variable` that holds the epoch when an epoch's iteration starts
            (`keras_restext.training.callbacks.ShuffleEpoch` sets it): each epoch's order is then a
            function of `(seed, epoch)` alone, so a run resumed at epoch 3 shuffles epoch 3 as the
            uninterrupted run did. Without it, each new iteration reshuffles (the n-th iteration's
            order depends on how many came before, in this process).
        shuffle_buffer: examples held by the shuffle buffer (the whole data for a full shuffle).
        bucket: group examples of similar length into batches (no fixed shape; not with
            `static_shapes`).
        bucket_boundaries: the length boundaries of the buckets (default 8, 12, 16, 24, 32, ... up to
            the tokenizer's `max_length`).
        static_shapes: every batch is exactly `[batch_size, tokenizer.max_length]`; the last,
            smaller batch is dropped (`drop_remainder`), as TPUs and XLA want.
        cache: keep the tokenized examples in memory after the first pass (small data; a file
            source is then read and tokenized once).
        repeat: repeat forever (then give `steps_per_epoch` to `fit`).
        autotune: let tf.data's autotuner tune buffer sizes and parallelism (`num_parallel_calls`
            otherwise uses every core). Off by default: Keras drops each epoch's iterator, and the
            drop waits for the autotuner's optimisation thread. On a 2-core CPU that stalled
            `restext_base`'s MR epochs by 3-10 s now and then (5 epochs: 38 s without it, 50 s with).

    Returns:
        A `tf.data.Dataset` of `(token_ids int32 [batch, length], targets float32 [batch, classes])`,
        or of `token_ids` alone when `labels` is None.

    Example:
    >>> from keras_restext.data import LabelVocabulary, make_tokenizer, read_dataset
    >>> data = read_dataset((["a good film", "a bad film"], ["pos", "neg"]))
    >>> tokenizer = make_tokenizer("word").adapt(data)
    >>> batches = build_pipeline(data, tokenizer, LabelVocabulary.from_data(data), batch_size=2)
    >>> ids, targets = next(iter(batches))
    >>> tuple(ids.shape), targets.numpy().tolist()
    ((2, 3), [[0.0, 1.0], [1.0, 0.0]])
    """
    check_positive_int("batch_size", batch_size)
    max_length = _check_shapes(tokenizer, bucket, bucket_boundaries, static_shapes)
    dataset = _examples(data, labels)
    # Tokenize once, on large batches (vectorised string ops), then go on per example: the cache holds
    # token ids (with their tokenization batch's padding), so later epochs only shuffle and batch
    # (on MR, tokenizing every epoch cost ~1.3 s of a ~7.5 s restext_base epoch on a 2-core CPU).
    dataset = _tokenized(dataset, tokenizer, labels, max_length if static_shapes else None)
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = _shuffled(dataset, seed, epoch, shuffle_buffer)
    if repeat:
        dataset = dataset.repeat()
    if bucket:
        dataset = _bucketed(dataset, batch_size, bucket_boundaries or default_bucket_boundaries(max_length))
    else:
        dataset = _padded(dataset, labels, batch_size, max_length if static_shapes else None)
    dataset = dataset.map(_trimmed(labels, static_shapes), num_parallel_calls=AUTOTUNE, deterministic=True)
    options = tf.data.Options()
    options.autotune.enabled = autotune
    return dataset.prefetch(AUTOTUNE).with_options(options)


def _check_shapes(tokenizer, bucket: bool, bucket_boundaries, static_shapes: bool) -> int | None:
    """Checks that the batch-shape options agree; returns the tokenizer's `max_length` (or None)."""
    if bucket and static_shapes:
        raise ValueError(
            "`bucket=True` and `static_shapes=True` exclude each other: buckets have varying lengths, "
            "static shapes pad every batch to max_length. Pick one."
        )
    max_length = getattr(tokenizer, "max_length", None)
    if (static_shapes or (bucket and bucket_boundaries is None)) and not max_length:
        raise ValueError("`static_shapes` and default `bucket_boundaries` need a tokenizer with a `max_length`.")
    return max_length


def _examples(data: TextData | tf.data.Dataset, labels: LabelVocabulary | None) -> tf.data.Dataset:
    """The dataset of `data`: `(text, label)` pairs with `labels`, texts alone without."""
    dataset = data.dataset if isinstance(data, TextData) else data
    if not isinstance(dataset, tf.data.Dataset):
        raise ArgumentError(
            f"`data` must be a TextData or a tf.data.Dataset. Received: {type(data).__name__}", argument="data"
        )
    spec = dataset.element_spec
    paired = isinstance(spec, tuple) and len(spec) == 2
    if labels is not None and not paired:
        raise ValueError(f"With `labels`, the dataset must hold (text, label) pairs. Received element_spec={spec}")
    if labels is None and paired:
        dataset = dataset.map(lambda text, label: text)
    return dataset


def _tokenized(
    dataset: tf.data.Dataset, tokenizer, labels: LabelVocabulary | None, cut: int | None
) -> tf.data.Dataset:
    """Examples → `((ids, length), targets)` examples (or `(ids, length)`), tokenized on batches of
    `TOKENIZE_BATCH` texts (cut to `cut` ids unless None).

    Each example keeps its tokenization batch's padding, with its true `length` beside it: a batch of
    64 is cut back to its longest row after batching (`_trimmed`). Cutting each example to its own
    length instead took a `map` per example, which set the pace of the whole pipeline (about 30k
    examples/s on 2 cores, against about 3x that per batch; benchmarks/results/pipeline.md).
    """

    # The map function is plain TensorFlow ops: skipping AutoGraph's source conversion saves ~0.5 s
    # of every training run's start on a 2-core CPU.
    @tf.autograph.experimental.do_not_convert
    def encode(batch):
        texts, label_batch = batch if labels is not None else (batch, None)
        ragged = _ragged_ids(tokenizer, texts)
        if cut is not None:
            ragged = ragged[:, :cut]
        # At least one column: unbatching a [batch, 0] tensor (a batch of texts without a token)
        # crashes TensorFlow 2.21's process with a segmentation fault.
        ids = (_at_least_one_column(ragged.to_tensor(default_value=0)), tf.cast(ragged.row_lengths(), tf.int32))
        return ids if labels is None else (ids, labels.encode(label_batch))

    dataset = dataset.batch(TOKENIZE_BATCH).map(
        lambda *b: encode(b if len(b) > 1 else b[0]), num_parallel_calls=AUTOTUNE, deterministic=True
    )
    return dataset.unbatch()


def _trimmed(labels: LabelVocabulary | None, static_shapes: bool):
    """The per-batch map after batching: drops the lengths and, unless the shapes are static, cuts
    the ids to the batch's longest row (at least one column)."""

    @tf.autograph.experimental.do_not_convert
    def ids_of(ids, lengths):  # tf.data passes a tuple's parts as arguments
        return ids if static_shapes else ids[:, : tf.maximum(tf.reduce_max(lengths), 1)]

    if labels is None:
        return ids_of
    return tf.autograph.experimental.do_not_convert(lambda ids_and_lengths, targets: (ids_of(*ids_and_lengths), targets))


def _shuffled(
    examples: tf.data.Dataset, seed: int | None, epoch: tf.Variable | None, shuffle_buffer: int
) -> tf.data.Dataset:
    """The examples shuffled: in an order of `(seed, epoch)` with an `epoch` variable, else anew
    on every iteration (see `build_pipeline`)."""
    if epoch is None:
        return examples.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if seed is None:
        raise ArgumentError(
            "`epoch` orders the shuffle by `(seed, epoch)`: it needs a `seed`. Received: seed=None", argument="seed"
        )

    @tf.autograph.experimental.do_not_convert
    def one_epoch(_):  # runs when an iteration begins, i.e. once the epoch has been set
        # A graph-level seed of this function's own: with a tensor op seed, tf.data's seeding
        # compares seeds in Python and fails when the global seed is 0 (`keras.utils.set_random_seed(0)`).
        tf.random.set_seed(1)
        order_seed = seed * 1_000_003 + epoch.read_value()
        return examples.shuffle(shuffle_buffer, seed=order_seed, reshuffle_each_iteration=False)

    return tf.data.Dataset.from_tensors(0).flat_map(one_epoch)


def _bucketed(examples: tf.data.Dataset, batch_size: int, boundaries: list[int]) -> tf.data.Dataset:
    """Batches of examples of similar length (`bucket_by_sequence_length`), each padded to its longest."""
    return examples.bucket_by_sequence_length(
        # tf.data passes a tuple's parts as arguments: `(ids, length)` alone, or `((ids, length), targets)`.
        element_length_func=lambda first, *rest: first[1] if isinstance(first, tuple) else rest[0],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
    )


def _padded(
    examples: tf.data.Dataset, labels: LabelVocabulary | None, batch_size: int, length: int | None
) -> tf.data.Dataset:
    """Batches in order, padded to the batch's widest row, or to exactly `length` (the last,
    smaller batch then dropped) unless it is None."""
    shapes = ([length], [])
    if labels is not None:  # targets keep their own (fixed) shapes
        shapes = (shapes, tf.nest.map_structure(lambda spec: spec.shape, examples.element_spec[1]))
    return examples.padded_batch(batch_size, padded_shapes=shapes, drop_remainder=length is not None)


@contextlib.contextmanager
def quiet_end_of_data() -> Iterator[None]:
    """Silences Keras' "Your input ran out of data" warning within the block.

    Keras warns when a dataset of unknown length (a pipeline from `build_pipeline`: its length is
    not known before a first pass) ends its first epoch; that is expected, not a fault.

    Example:
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     with quiet_end_of_data():
    ...         warnings.warn("Your input ran out of data; interrupting training.")
    ...     warnings.warn("another warning")
    >>> [str(warning.message) for warning in caught]
    ['another warning']
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        yield


__all__ = ["build_pipeline", "default_bucket_boundaries", "quiet_end_of_data"]
