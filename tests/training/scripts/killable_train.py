"""Trains a tiny run and prints the SHA-256 of its final weights; can kill itself on the way.

    python killable_train.py TRAIN OUTPUT [--kill-at EPOCH:BATCH]

Without validation data the last epoch's weights are kept, so the hash covers every epoch.

`--kill-at 2:3` sends itself SIGKILL after batch 3 of epoch 2 (1-based; mid-epoch), `--kill-at 2:end`
after epoch 2 ended and its backup was written (between epochs): as hard as a preempted machine.
"""

import argparse
import hashlib
import os
import signal

import keras
import numpy as np

from keras_restext.training import train


class KillAt(keras.callbacks.Callback):
    def __init__(self, epoch: int, batch: str):
        super().__init__()
        self.kill_epoch, self.kill_batch, self.epoch = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if self.kill_batch != "end" and self.epoch == self.kill_epoch and batch + 1 >= int(self.kill_batch):
            os.kill(os.getpid(), signal.SIGKILL)

    def on_epoch_end(self, epoch, logs=None):  # runs after the run's own callbacks: the backup is written
        if self.kill_batch == "end" and epoch + 1 == self.kill_epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("output")
    parser.add_argument("--kill-at", default=None)
    args = parser.parse_args()
    callbacks = []
    if args.kill_at:
        epoch, batch = args.kill_at.split(":")
        callbacks.append(KillAt(int(epoch), batch))
    result = train(
        train=args.train, preset="restext_small", output=args.output, epochs=3,
        batch_size=16, verbose=0, log=print, callbacks=callbacks,
    )  # fmt: skip
    digest = hashlib.sha256()
    for weight in result.classifier.weights:
        digest.update(np.ascontiguousarray(np.asarray(weight)).tobytes())
    print("weights sha256", digest.hexdigest(), "initial epoch", result.initial_epoch, "best epoch", result.best_epoch)


if __name__ == "__main__":
    main()
