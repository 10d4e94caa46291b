"""SavedModel against its LiteRT exports: file size, test accuracy and batch-1 latency, in one run.

    python -m benchmarks.litert_benchmark mr=/tmp/x/sm/1:../shared/data/mr/test.csv \
        sst2=/tmp/y/sm/1:../shared/data/sst2/test.tsv --output benchmarks/results/litert.md

Each `NAME=VERSION:TEST` names a restext export version (SavedModel and model.keras) and its test
file. For every set the script writes the LiteRT files float32, float16 and dynamic-int8, and
measures on every test text:

- the SavedModel (`tf.saved_model.load`, raw strings, the tokenizer inside): accuracy, and latency
  of one text per call;
- `model_ids.tflite` in `tf.lite.Interpreter` (its default CPU kernels, XNNPACK): accuracy, max |Δp|
  against the SavedModel, and latency of one text per call; the ids are tokenized beforehand, so
  the latency leaves out the tokenizer;
- `model.tflite` (raw strings): it needs the Flex delegate, which neither TensorFlow 2.21's
  interpreter nor ai-edge-litert 2.3 ship. With `--flex-venv VENV` it runs in TensorFlow 2.18.1's
  `tf.lite.Interpreter` in that venv (created when missing, see `litert_runtime_check`): accuracy,
  max |Δp| and latency like the others, the tokenizer included. Without, only its size, and the
  accuracy of the function it was converted from, run in TensorFlow.

Prints the markdown section (and writes it to `--output`).
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

from benchmarks.measure import folder_size
from benchmarks.timing import median_ms

WARMUP = 20  # untimed calls before a latency is measured


def _scores(probabilities: np.ndarray, gold: np.ndarray, reference: np.ndarray) -> dict:
    """Accuracy against the gold labels and the largest |Δp| against the SavedModel's probabilities."""
    return {"accuracy": float((probabilities.argmax(1) == gold).mean()),
            "max_dp": float(np.abs(probabilities - reference).max())}


def _flex_figures(flex_python: str, text_path: str, texts: list[str], latency_texts: int | None, folder: str,
                  gold: np.ndarray, reference: np.ndarray) -> dict:
    """`model.tflite` on raw texts in the Flex venv: scores on every text, latency on the timed ones."""
    from benchmarks.litert_runtime_check import run_text_model

    ran = run_text_model(flex_python, text_path, texts[:latency_texts] if latency_texts else texts, folder)
    all_texts = run_text_model(flex_python, text_path, texts, folder) if latency_texts else ran
    return {**_scores(all_texts["alone"], gold, reference), "ms": ran["median_ms"]}


def measure(name: str, version: str, test_file: str, latency_texts: int | None, flex_python: str | None) -> list[dict]:
    import tensorflow as tf

    from keras_restext.data import read_dataset
    from keras_restext.export import SIGNATURE, export_litert, load_keras_model, read_labels
    from keras_restext.export.litert import text_function
    from keras_restext.serving import serving_parts

    texts, gold = read_dataset(test_file).texts_and_labels()
    labels = read_labels(os.path.join(version, "labels.txt"))
    gold = np.array([labels.index(label) for label in gold])
    signature = tf.saved_model.load(version).signatures[SIGNATURE]

    def saved_batch(batch):
        return signature(text=tf.constant(batch))["probabilities"].numpy()

    reference = np.concatenate([saved_batch(texts[i : i + 256]) for i in range(0, len(texts), 256)])
    artifacts = ("model.keras", "metrics.json", "model_card.md", "labels.txt", "training_curves.png", "confusion_matrix.png")
    rows = [{
        "set": name, "model": "SavedModel (raw strings)", "bytes": folder_size(version, artifacts),
        "accuracy": float((reference.argmax(1) == gold).mean()), "max_dp": 0.0,
        "ms": median_ms(lambda t: saved_batch([t]), texts[:latency_texts] if latency_texts else texts, warmup=WARMUP),
    }]  # fmt: skip

    model = load_keras_model(os.path.join(version, "model.keras"))
    tokenizer = serving_parts(model)[0]
    serve_text = text_function(model)
    converted = np.concatenate(
        [serve_text(tf.constant(texts[i : i + 256]))["probabilities"].numpy() for i in range(0, len(texts), 256)]
    )
    ids = [tokenizer(tf.constant([text])).numpy().astype(np.int32) for text in texts]
    with tempfile.TemporaryDirectory(prefix="litert-bench-") as folder:
        for quantize in (None, "float16", "dynamic-int8"):
            out = os.path.join(folder, quantize or "float32")
            export_litert(model, out, quantize=quantize)
            runner = tf.lite.Interpreter(model_path=os.path.join(out, "model_ids.tflite")).get_signature_runner(SIGNATURE)
            probabilities = np.concatenate([runner(token_ids=row)["probabilities"] for row in ids])
            suffix = f", {quantize}" if quantize else ""
            rows.append({
                "set": name, "model": f"model_ids.tflite{suffix}", "bytes": os.path.getsize(os.path.join(out, "model_ids.tflite")),
                **_scores(probabilities, gold, reference),
                "ms": median_ms(lambda row: runner(token_ids=row), ids[:latency_texts] if latency_texts else ids,
                                warmup=WARMUP),
            })  # fmt: skip
            text_path = os.path.join(out, "model.tflite")
            text_row = {"set": name, "model": f"model.tflite{suffix}", "bytes": os.path.getsize(text_path)}
            if flex_python is not None:
                text_row.update(_flex_figures(flex_python, text_path, texts, latency_texts, folder, gold, reference))
            elif quantize is None:  # the float32 flatbuffer's function, in TensorFlow
                text_row.update(_scores(converted, gold, reference))
            rows.append(text_row)
    return rows


def markdown(rows: list[dict], latency_texts: int | None, flex: str | None) -> str:
    timed = f"the first {latency_texts} test texts" if latency_texts else "every test text"
    if flex:
        text_model = (f"`model.tflite` needs the Flex delegate, which TensorFlow 2.21's `tf.lite.Interpreter` and "
                      f"ai-edge-litert 2.3 do not ship: its rows come from TensorFlow {flex}'s interpreter, which has it.")
    else:
        text_model = ("`model.tflite` needs the Flex delegate, which TensorFlow 2.21's `tf.lite.Interpreter` and "
                      "ai-edge-litert 2.3 do not ship: its accuracy is that of the function it was converted from, run "
                      "in TensorFlow (float32 only), and it has no latency here.")
    lines = [
        "### LiteRT exports against the SavedModel",
        "",
        f"`python -m benchmarks.litert_benchmark ...`: restext_base trained once per set; accuracy on every test text; "
        f"latency the median of one text per call over {timed} (after {WARMUP} warm-up calls), on this machine's CPU. "
        "`model_ids.tflite` latency leaves the tokenizer out (the app tokenizes); the SavedModel's and "
        f"`model.tflite`'s include it. {text_model}",
        "",
        "| set | model | size (MB) | size vs float32 | test accuracy | max \\|Δp\\| vs SavedModel | batch-1 latency (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    float32 = {(row["set"], row["model"].split(",")[0]): row["bytes"] for row in rows if "," not in row["model"]}
    for row in rows:
        base = float32.get((row["set"], row["model"].split(",")[0]), row["bytes"])
        accuracy = f"{100 * row['accuracy']:.2f}" if "accuracy" in row else "—"
        max_dp = f"{row['max_dp']:.2g}" if "max_dp" in row else "—"
        latency = f"{row['ms']:.2f}" if "ms" in row else "—"
        lines.append(
            f"| {row['set']} | {row['model']} | {row['bytes'] / 1e6:.2f} | {100 * row['bytes'] / base:.1f}% | {accuracy} "
            f"| {max_dp} | {latency} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="NAME=VERSION:TEST", help="a set name, export version and test file")
    parser.add_argument("--latency-texts", type=int, default=None, help="time the latency on the first N texts (default: all)")
    parser.add_argument("--flex-venv", help="run model.tflite in TensorFlow 2.18.1's interpreter in this venv")
    parser.add_argument("--output", help="also write the markdown section to this file")
    args = parser.parse_args(argv)
    flex_python = None
    if args.flex_venv:
        from benchmarks.litert_runtime_check import ensure_flex_venv

        flex_python = ensure_flex_venv(args.flex_venv)
    rows = []
    for run in args.runs:
        name, rest = run.split("=", 1)
        version, test_file = rest.split(":", 1)
        rows += measure(name, version, test_file, args.latency_texts, flex_python)
    section = markdown(rows, args.latency_texts, "2.18.1" if flex_python else None)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(section)
    print(section)
    return section


if __name__ == "__main__":
    main()
