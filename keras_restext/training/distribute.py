"""Choosing a `tf.distribute` strategy, and the rules that go with it.

The rules, stated once:
- `batch_size` is per replica; the global batch is `batch_size * strategy.num_replicas_in_sync`.
- The learning rate scales linearly with the number of replicas (Goyal et al. 2017), and the
  warm-up of `keras_restext.models.optimizers` keeps the first steps of a larger batch stable.
- The input pipeline's sharding is explicit: under `MultiWorkerMirroredStrategy`, training data
  that `tf.data`'s C++ readers read from at least as many files as there are workers is sharded
  by file here (`shard_training_files`: each worker reads every n-th file, auto-shard OFF);
  everything else gets the DATA policy (every worker reads all, keeps its share of the batches).
- In multi-worker training every worker runs the same program, but only the chief writes the export
  and the final checkpoint; the others write to a temporary folder that is deleted afterwards, as
  TensorFlow's multi-worker guide prescribes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

import tensorflow as tf

from keras_restext.checks import check_choice
from keras_restext.errors import ArgumentError

STRATEGIES = ("auto", "default", "mirrored", "multiworker", "tpu")


def _find_tpu(tpu: str | None):
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return resolver
    except (ValueError, RuntimeError, tf.errors.NotFoundError):
        return None


def get_strategy(name: str = "auto", *, tpu: str | None = None) -> tf.distribute.Strategy:
    """Returns the `tf.distribute.Strategy` named by `name`.

    Args:
        name: "auto" (a TPU when a resolver finds one, `MirroredStrategy` over all GPUs when there are
            several, else the default strategy), "default" (one device), "mirrored" (all local GPUs,
            or all logical CPU devices when there is no GPU), "multiworker"
            (`MultiWorkerMirroredStrategy`, configured by the `TF_CONFIG` environment variable) or
            "tpu" (`TPUStrategy`; fails when no TPU is found).
        tpu: the TPU name or address for the resolver; None lets it read the environment.

    Example:
    >>> strategy = get_strategy("default")
    >>> with strategy.scope():
    ...     model = keras_restext.build_resnet_classifier(2, 20000)
    """
    check_choice("strategy", name, STRATEGIES)
    if name == "auto":
        # Only look for a TPU when the environment names one: the resolver probes the network otherwise.
        resolver = _find_tpu(tpu) if (tpu or os.environ.get("TPU_NAME")) else None
        if resolver is not None:
            return tf.distribute.TPUStrategy(resolver)
        if len(tf.config.list_logical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ArgumentError(
                "`strategy='multiworker'` needs the TF_CONFIG environment variable (see docs/scaling.md).",
                argument="strategy",
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = _find_tpu(tpu)
    if resolver is None:
        raise ArgumentError(
            f"`strategy='tpu'` found no TPU (tpu={tpu!r}). Pass `tpu=` or set TPU_NAME, or use another strategy.",
            argument="tpu",
        )
    return tf.distribute.TPUStrategy(resolver)


def global_batch_size(per_replica: int, strategy: tf.distribute.Strategy) -> int:
    """The batch the input pipeline must produce: per-replica batch × replicas."""
    return per_replica * strategy.num_replicas_in_sync


def scaled_learning_rate(learning_rate: float, strategy: tf.distribute.Strategy) -> float:
    """The linear scaling rule: the learning rate grows with the global batch, i.e. with the replicas."""
    return learning_rate * strategy.num_replicas_in_sync


def with_shard_policy(
    dataset: tf.data.Dataset, *, sharded_files: bool = False, sharded_here: bool = False
) -> tf.data.Dataset:
    """Sets the auto-shard policy explicitly: OFF for a dataset already sharded (`sharded_here`:
    this worker's files, see `shard_training_files`), FILE for `sharded_files`, DATA otherwise."""
    options = tf.data.Options()
    policy = tf.data.experimental.AutoShardPolicy
    chosen = policy.OFF if sharded_here else policy.FILE if sharded_files else policy.DATA
    options.experimental_distribute.auto_shard_policy = chosen
    return dataset.with_options(options)


def worker_position(strategy: tf.distribute.Strategy) -> tuple[int, int]:
    """`(number of workers, this worker's index)`: `(1, 0)` but under `MultiWorkerMirroredStrategy`,
    whose chief (if any) comes first, then the workers in order."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return 1, 0
    cluster = resolver.cluster_spec().as_dict()
    tasks = [(kind, i) for kind in ("chief", "worker") for i in range(len(cluster.get(kind, [])))]
    if (resolver.task_type, resolver.task_id) not in tasks:
        return 1, 0
    return len(tasks), tasks.index((resolver.task_type, resolver.task_id))


def shard_training_files(tasks, strategy: tf.distribute.Strategy) -> bool:
    """Gives this worker its share of the training files: with several workers and training data
    that `tf.data`'s readers read from at least as many files (`TextData.files`), the worker's
    dataset reads every n-th file (`TextData.for_worker`); the workers then read disjoint files.
    One file, in-memory data or a Python generator stay whole (DATA sharding).

    Returns:
        Whether the training data was sharded (its pipeline then needs auto-shard OFF).
    """
    count, index = worker_position(strategy)
    data = tasks.splits.get("train")
    files = getattr(data, "files", None)
    if count < 2 or files is None or len(files) < count:
        return False
    tasks.splits["train"] = data.for_worker(count, index)
    return True


def is_chief(strategy: tf.distribute.Strategy | None = None) -> bool:
    """True on the process that writes exports and final checkpoints (always true on one machine)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_type == "chief":
        return True
    has_chief = "chief" in json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return task_type == "worker" and task_id == 0 and not has_chief


def write_dir(directory: str, strategy: tf.distribute.Strategy | None = None) -> str:
    """Where this process writes `directory`: itself on the chief, a per-worker temporary folder elsewhere.

    The temporary folder is on the worker's local disk, outside `directory` (the chief may delete or
    replace `directory` while the worker still writes), and the same across restarts of the same task,
    so that the worker's backup is found again.
    """
    if is_chief(strategy):
        return directory
    resolver = strategy.cluster_resolver
    digest = hashlib.sha1(os.path.abspath(directory).encode()).hexdigest()[:12]
    task = f"keras_restext_{resolver.task_type}_{resolver.task_id}"
    return os.path.join(tempfile.gettempdir(), task, f"{os.path.basename(directory)}_{digest}")


def remove_worker_dir(directory: str, strategy: tf.distribute.Strategy | None = None) -> None:
    """Deletes what a non-chief worker wrote with `write_dir` (nothing on the chief)."""
    if not is_chief(strategy):
        shutil.rmtree(write_dir(directory, strategy), ignore_errors=True)


def effective_steps_per_execution(steps_per_execution: int, strategy: tf.distribute.Strategy) -> int:
    """`steps_per_execution`, or 1 under `MultiWorkerMirroredStrategy`: Keras 3.15's multi-step
    training loop fails there ("Detected at node while/cond/Placeholder")."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return 1
    return steps_per_execution


def patch_for_multiworker(model) -> None:
    """Lets `model.fit` run under `MultiWorkerMirroredStrategy` in Keras 3 (keras-team/keras#20585).

    Keras 3.15's TensorFlow trainer has two multi-worker bugs, both in code that reduces values
    across workers, and this works around both; it is a no-op for every other strategy:
    - before the first step it builds the model from one batch that it first averages across
      workers eagerly, which collective ops cannot do ("Attempt to convert a value (PerReplica...)");
      only the batch's shapes and dtypes matter, so the local replica's batch is used instead;
    - after each step it averages the logged metrics with `axis=0`, which fails on scalars
      ("Invalid reduction dimension 0 for input with 0 dimensions"); scalars are averaged whole.
    """
    strategy = model.distribute_strategy
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def symbolic_build_from_local_batch(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = next(batches)
                break
        with strategy.scope():
            model._symbolic_build(data_batch=tf.nest.map_structure(local, data_batch))

    model._maybe_symbolic_build = symbolic_build_from_local_batch
    _patch_scalar_reduction()


def _patch_scalar_reduction() -> None:
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer.reduce_per_replica, "_keras_restext_patched", False):
        return
    original = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and reduction in ("auto", "mean"):
            def reduce(value):
                axis = 0 if value.shape.rank else None
                return strategy.reduce("MEAN", value, axis=axis)

            return tf.nest.map_structure(reduce, values)
        return original(values, strategy, reduction)

    reduce_per_replica._keras_restext_patched = True
    trainer.reduce_per_replica = reduce_per_replica
