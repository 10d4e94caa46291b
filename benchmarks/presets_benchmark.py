"""Parameters and forward-pass time of every preset on a batch of 64 x 128 token ids.

    python -m benchmarks.presets_benchmark [--repeats 5]

Prints the median of `--repeats` timed calls of a compiled forward pass (after one warm-up call).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import tensorflow as tf

import keras_restext
from benchmarks.timing import median_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"batch 64 x 128 tokens, {os.cpu_count()} CPU cores, float32")
    print(f"{'preset':16} {'parameters':>12} {'forward ms':>11} {'examples/s':>11}")
    for name, preset in keras_restext.presets.items():
        vocab = 72 if preset["config"]["tokenizer"]["kind"] == "char" else 30000
        model = keras_restext.build_resnet_classifier(2, vocab, preset=name)
        ids = tf.constant(rng.integers(2, vocab, size=(64, 128)).astype("int32"))
        forward = tf.function(lambda x: model(x, training=False), jit_compile=False)
        ms = median_ms(lambda _: forward(ids).numpy(), range(args.repeats), warmup=1)
        print(f"{name:16} {model.count_params():>12,} {ms:>11.1f} {64 / ms * 1000:>11.0f}")


if __name__ == "__main__":
    main()
