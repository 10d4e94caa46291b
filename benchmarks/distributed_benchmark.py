"""Training examples/s of `restext_base` on 1 and 2 logical CPU devices, and on the GPU if there is one.

    python -m benchmarks.distributed_benchmark [--steps 30] [--batch-size 64] [--length 128]

Each configuration runs in its own process (logical devices must be set before TensorFlow starts)
and trains on synthetic token ids, so only the model and the strategy are measured. The global batch
is the same in every configuration: 2 replicas get half of it each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time


def measure(devices: str, steps: int, batch_size: int, length: int) -> dict:
    import numpy as np
    import tensorflow as tf

    if devices == "cpu2":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras

    from keras_restext import build_resnet_classifier
    from keras_restext.training.distribute import get_strategy

    if devices == "gpu" and not tf.config.list_physical_devices("GPU"):
        return {"devices": devices, "skipped": "no GPU"}
    strategy = get_strategy("mirrored" if devices == "cpu2" else "default")
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 30000, size=(batch_size * 8, length)).astype("int32")
    targets = keras.utils.to_categorical(rng.integers(0, 2, size=len(ids)), 2)
    data = tf.data.Dataset.from_tensor_slices((ids, targets)).batch(batch_size, drop_remainder=True).repeat().prefetch(4)
    with strategy.scope():
        model = build_resnet_classifier(2, 30000, preset="restext_base")
        model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(data, steps_per_epoch=5, epochs=1, verbose=0)  # trace and warm up
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return {
        "devices": devices,
        "replicas": strategy.num_replicas_in_sync,
        "examples_per_second": round(steps * batch_size / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch")
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.steps, args.batch_size, args.length)))
        return
    rows = []
    for devices in ("cpu1", "cpu2", "gpu"):
        command = [sys.executable, "-m", "benchmarks.distributed_benchmark", "--child", devices,
                   "--steps", str(args.steps), "--batch-size", str(args.batch_size), "--length", str(args.length)]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        if devices != "gpu":
            env["CUDA_VISIBLE_DEVICES"] = ""  # the CPU rows measure the CPU even on a GPU machine
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"restext_base training, global batch {args.batch_size} x {args.length} tokens, "
          f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}")
    print(f"{'devices':8} {'replicas':>8} {'examples/s':>11}")
    for row in rows:
        if "skipped" in row:
            print(f"{row['devices']:8} {'-':>8} {'(' + row['skipped'] + ')':>11}")
        else:
            print(f"{row['devices']:8} {row['replicas']:>8} {row['examples_per_second']:>11}")


if __name__ == "__main__":
    main()
