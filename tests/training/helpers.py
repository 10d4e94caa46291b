"""Helpers shared by the training, export and CLI tests.

- Small synthetic text-classification files: each text is filler words plus a few cue words of its
  class, so a tiny model learns it in an epoch; they are written to a test's temporary folder (the
  shared benchmark data is never copied).
- `predict_in_fresh_python`: serve a SavedModel from a new Python process that imports only TensorFlow.
- `clean_log`: a subprocess's output without TensorFlow's C++ start-up lines.
- `mounted_tmpfs`: a small (or read-only) file system of its own, for full-disk and read-only tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

CUES = {
    "negative": ["dull", "awful", "boring", "tedious", "clumsy"],
    "positive": ["great", "wonderful", "superb", "moving", "witty"],
    "neutral": ["average", "plain", "okay", "standard", "usual"],
}
FILLER = [f"word{i}" for i in range(400)]


def texts_and_labels(rows: int, *, seed: int = 0, words: int = 20, classes: int = 2) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    names = list(CUES)[:classes]
    texts, labels = [], []
    for _ in range(rows):
        label = names[rng.integers(len(names))]
        tokens = list(rng.choice(FILLER, size=words)) + list(rng.choice(CUES[label], size=3))
        rng.shuffle(tokens)
        texts.append(" ".join(tokens))
        labels.append(label)
    return texts, labels


def write_tsv(path: Path, rows: int, **kwargs) -> Path:
    """Writes `sentence<TAB>label` rows with a header, like the shared SST-2 files."""
    texts, labels = texts_and_labels(rows, **kwargs)
    path.write_text("sentence\tlabel\n" + "".join(f"{t}\t{l}\n" for t, l in zip(texts, labels)), encoding="utf-8")
    return path


def write_csv(path: Path, rows: int, **kwargs) -> Path:
    """Writes `text,label` rows with a header, like the shared MR files."""
    texts, labels = texts_and_labels(rows, **kwargs)
    path.write_text("text,label\n" + "".join(f'"{t}",{l}\n' for t, l in zip(texts, labels)), encoding="utf-8")
    return path


FRESH_PYTHON = """
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
serve = model.signatures["serving_default"]
texts = json.loads(sys.stdin.read())
out = serve(text=tf.constant(texts, dtype=tf.string))
empty = serve(text=tf.constant([], dtype=tf.string))
print(json.dumps({
    "probabilities": out["probabilities"].numpy().tolist(),
    "label_id": out["label_id"].numpy().tolist(),
    "label": [b.decode() for b in out["label"].numpy().tolist()],
    "empty_shape": list(empty["probabilities"].shape),
    "restext_imported": sorted(m for m in sys.modules if m.startswith("keras_restext")),
}))
"""


def predict_in_fresh_python(path: str, texts: list[str]) -> dict:
    """Loads a SavedModel in a new Python process that imports only TensorFlow, and predicts."""
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PYTHON, path],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(path),  # not the repository: nothing of keras_restext on the path by accident
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def clean_log(text: str) -> str:
    """Drops TensorFlow's C++ start-up log lines, which no environment variable silences in TF 2.21."""
    noise = ("I0000 ", "W0000 ", "E0000 ", "WARNING: All log messages before absl::InitializeLog()")
    return "\n".join(line for line in text.splitlines() if not line.startswith(noise))


@contextlib.contextmanager
def mounted_tmpfs(path: Path, options: str):
    """Mounts a tmpfs with `options` (e.g. "size=2m", "ro,size=1m") on `path` (created) for the block.

    As root a read-only folder needs a read-only mount (chmod does not stop root), and a full disk
    needs a small file system; a test that cannot mount fails, never skips.
    """
    import pytest

    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.fail(f"this test mounts a tmpfs ({options}) and needs root: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)
