"""model_ids.tflite in the runtime apps use: `ai-edge-litert` in a venv without TensorFlow.

    python -m benchmarks.litert_runtime_check --model savedmodels/mr/1 --data ../shared/data/mr/test.csv
    python -m benchmarks.litert_runtime_check   # a tiny untrained model and a slice of MR's test set

Creates (or reuses) the venv (`python3 -m venv VENV; pip install ai-edge-litert numpy`), exports the
model's LiteRT files, tokenizes the texts here with the package's tokenizer, runs
`model_ids.tflite` there with `ai_edge_litert.interpreter` (one text at a time, batch 1, and the
whole set as one padded batch), and compares the probabilities with the SavedModel's. It also tries
`model.tflite` there and prints what the interpreter answers (it needs the Flex delegate, which
ai-edge-litert 2.3 does not ship).

With `--flex-venv VENV`, `model.tflite` also runs on the raw texts in TensorFlow 2.18.1's
`tf.lite.Interpreter`, the last release whose pip package links the Flex delegate (TensorFlow 2.20
and 2.21 dropped it: google-ai-edge/LiteRT#6458); the venv (`pip install tensorflow-cpu==2.18.1`,
about 250 MB) is created when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks.runner import child_env

RUNNER = r"""
import json, sys, time
import numpy as np
try:
    import tensorflow  # noqa: F401
    sys.exit("tensorflow is importable in the venv: the check needs a venv without it")
except ImportError:
    pass
from importlib.metadata import version
from ai_edge_litert.interpreter import Interpreter

folder, data = sys.argv[1], np.load(sys.argv[2])
ids, lengths = data["ids"], data["lengths"]
runner = Interpreter(model_path=f"{folder}/model_ids.tflite").get_signature_runner("serving_default")
start = time.perf_counter()
alone = [runner(token_ids=ids[i : i + 1, : max(int(n), 1)])["probabilities"][0] for i, n in enumerate(lengths)]
seconds = time.perf_counter() - start
batched = runner(token_ids=ids)["probabilities"]
try:
    text_runner = Interpreter(model_path=f"{folder}/model.tflite").get_signature_runner("serving_default")
    text_runner(text=np.array(["a great film"], dtype=object))
    text_model = "ran"
except Exception as error:  # the Flex ops: reported, not fatal
    text_model = " ".join(f"{type(error).__name__}: {error}".split())[:400]
np.savez(sys.argv[3], alone=np.stack(alone), batched=batched)
print(json.dumps({"ai_edge_litert": version("ai-edge-litert"), "numpy": np.__version__,
                  "ms_per_text": 1000 * seconds / len(lengths), "model.tflite": text_model}))
"""


# Runs in the Flex venv, the repository on its PYTHONPATH for `benchmarks.timing` (standard library only).
FLEX_RUNNER = r"""
import json, sys
import numpy as np
import tensorflow as tf
from benchmarks.timing import timed_calls

texts = json.load(open(sys.argv[2], encoding="utf-8"))
runner = tf.lite.Interpreter(model_path=sys.argv[1]).get_signature_runner("serving_default")
times, alone = timed_calls(lambda text: runner(text=np.array([text], dtype=object))["probabilities"][0], texts, warmup=20)
batched = runner(text=np.array(texts, dtype=object))["probabilities"]
np.savez(sys.argv[3], alone=np.stack(alone), batched=batched)
print(json.dumps({"tensorflow": tf.__version__, "median_ms": 1000 * float(np.median(times))}))
"""


def ensure_venv(
    venv: str,
    packages: tuple[str, ...] = ("ai-edge-litert", "numpy"),
    probe: str = "import ai_edge_litert.interpreter, numpy",
) -> str:
    """The venv's python, the venv created with `packages` when `probe` fails in it."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.isfile(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    if subprocess.run([python, "-c", probe], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
    return python


def ensure_flex_venv(venv: str) -> str:
    """The python of a venv with TensorFlow 2.18.1, whose `tf.lite.Interpreter` has the Flex delegate."""
    return ensure_venv(venv, ("tensorflow-cpu==2.18.1",), "import tensorflow as tf; assert tf.__version__ == '2.18.1'")


def run_text_model(python: str, flatbuffer_path: str, texts: list[str], workdir: str) -> dict:
    """Runs `model.tflite` on raw texts in the Flex venv: each text alone (batch 1) and all as one
    batch. Returns `alone` and `batched` probabilities and the `median_ms` of a batch-1 call."""
    texts_path, out_path = os.path.join(workdir, "texts.json"), os.path.join(workdir, "text_out.npz")
    with open(texts_path, "w", encoding="utf-8") as stream:
        json.dump(list(texts), stream, ensure_ascii=False)
    command = [python, "-c", FLEX_RUNNER, flatbuffer_path, texts_path, out_path]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=child_env())
    if ran.returncode != 0:
        raise RuntimeError(f"model.tflite failed in the Flex venv:\n{ran.stderr[-3000:]}")
    outputs = np.load(out_path)
    return {"alone": outputs["alone"], "batched": outputs["batched"], **json.loads(ran.stdout.strip().splitlines()[-1])}


def tiny_model():
    """An untrained restext_small serving model on a slice of MR's training texts."""
    import keras

    from keras_restext import build_resnet_classifier
    from keras_restext.data import make_tokenizer, read_dataset
    from keras_restext.export import build_serving_model

    keras.utils.set_random_seed(0)
    texts = read_dataset(os.path.join(DEFAULT_DATA_DIR, "train.csv")).texts_and_labels()[0][:2000]
    tokenizer = make_tokenizer("word", ngrams=2, max_tokens=5000, max_length=64).adapt(texts)
    classifier = build_resnet_classifier(2, tokenizer.vocabulary_size(), preset="restext_small")
    return build_serving_model(tokenizer, classifier, ["negative", "positive"])


DEFAULT_DATA_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mr")


EDGE_TEXTS = ["", " ", "...", "Crème brûlée!", "a\u00a0b", "😀", "great " * 3000]


def check(
    model_path: str | None, data: str, venv: str, limit: int | None, workdir: str, flex_venv: str | None = None
) -> dict:
    """Runs the check; returns its figures (also printed by `main`)."""
    import tensorflow as tf

    from keras_restext.data import read_dataset
    from keras_restext.export import SIGNATURE, export_litert, export_saved_model, load_keras_model
    from keras_restext.serving import serving_parts

    started = time.perf_counter()
    python = ensure_venv(venv)
    venv_seconds = time.perf_counter() - started
    if model_path is None:
        model = tiny_model()
        saved_model = export_saved_model(model, os.path.join(workdir, "savedmodel"))
    else:
        saved_model = model_path
        model = load_keras_model(os.path.join(model_path, "model.keras"))
    texts = read_dataset(data).texts_and_labels()[0][:limit]
    litert_dir = os.path.join(workdir, "litert")
    export_litert(model, litert_dir)
    tokenizer = serving_parts(model)[0]
    ids = tokenizer(tf.constant(texts)).numpy().astype(np.int32)
    lengths = tokenizer.tokenize_ragged(tf.constant(texts)).row_lengths().numpy()
    signature = tf.saved_model.load(saved_model).signatures[SIGNATURE]
    expected = np.concatenate(
        [signature(text=tf.constant(texts[i : i + 256]))["probabilities"].numpy() for i in range(0, len(texts), 256)]
    )
    np.savez(os.path.join(workdir, "ids.npz"), ids=ids, lengths=lengths)
    ran = subprocess.run(
        [python, "-c", RUNNER, litert_dir, os.path.join(workdir, "ids.npz"), os.path.join(workdir, "out.npz")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if ran.returncode != 0:
        raise RuntimeError(f"the ai-edge-litert run failed:\n{ran.stderr[-3000:]}")
    report = json.loads(ran.stdout.strip().splitlines()[-1])
    outputs = np.load(os.path.join(workdir, "out.npz"))
    for name in ("alone", "batched"):
        report[f"max |dp| {name}"] = float(np.abs(outputs[name] - expected).max())
        report[f"labels that differ {name}"] = int((outputs[name].argmax(1) != expected.argmax(1)).sum())
    report.update(texts=len(texts), data=data, venv_seconds=round(venv_seconds, 1))
    if flex_venv is not None:
        # The raw-string model, on the texts and edge cases (empty, unknown words only, very long).
        all_texts = texts + EDGE_TEXTS
        reference = signature(text=tf.constant(all_texts))["probabilities"].numpy()
        flex_python = ensure_flex_venv(flex_venv)
        text_run = run_text_model(flex_python, os.path.join(litert_dir, "model.tflite"), all_texts, workdir)
        report["model.tflite in tensorflow"] = text_run["tensorflow"]
        for name in ("alone", "batched"):
            report[f"model.tflite max |dp| {name}"] = float(np.abs(text_run[name] - reference).max())
            differ = int((text_run[name].argmax(1) != reference.argmax(1)).sum())
            report[f"model.tflite labels that differ {name}"] = differ
        report["model.tflite ms per text"] = text_run["median_ms"]
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    return report


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a restext SavedModel version folder with model.keras (default: a tiny model)")
    parser.add_argument("--data", default=os.path.join(DEFAULT_DATA_DIR, "test.csv"), help="a labelled data file")
    parser.add_argument("--venv", default="/tmp/litert-venv", help="the venv to create or reuse")
    parser.add_argument("--limit", type=int, default=None, help="at most this many texts")
    parser.add_argument("--flex-venv", help="also run model.tflite in TensorFlow 2.18.1's interpreter in this venv")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="litert-check-") as workdir:
        report = check(args.model, args.data, args.venv, args.limit, workdir, args.flex_venv)
    for key, value in report.items():
        print(f"{key}: {value}")
    return report


if __name__ == "__main__":
    main()
