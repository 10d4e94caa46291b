#!/usr/bin/env bash
# The main job in one command: train restext_base on SST-2, print the test accuracy, export
# savedmodels/sst2/<version> (a SavedModel that serves raw strings), and print a prediction made
# by the exported SavedModel. About 1-2 minutes on 2 CPU cores.
#
#   bash examples/sst2_quickstart.sh          (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."

# Set up if needed: the `restext` command comes with the package.
if ! command -v restext >/dev/null 2>&1; then
  python -m pip install --quiet -e .
fi

DATA=../shared/data/sst2
if [ -f "$DATA/train.tsv" ]; then
  # The sentence-level SST-2 splits (6,920 / 872 / 1,821 sentences).
  SPLITS=(--train "$DATA/train.tsv" --validation "$DATA/dev.tsv" --test "$DATA/test.tsv")
else
  # TFDS fallback. GLUE's SST-2 train split holds 67k phrases; a 10% slice keeps the run short.
  # GLUE hides its test labels, so its validation split is the test set here and the validation
  # data is split off the training data.
  python -c "import tensorflow_datasets as tfds; tfds.builder('glue/sst2').download_and_prepare()"
  SPLITS=(--train "tfds:glue/sst2:train[:10%]" --test "tfds:glue/sst2:validation")
fi

start=$(date +%s)
# SST-2's labels are 0 and 1; named, the model predicts and reports "negative" and "positive".
restext train "${SPLITS[@]}" --preset restext_base --label-names 0=negative,1=positive \
  --export savedmodels/sst2 --verbose 2
echo "restext: trained and exported in $(( $(date +%s) - start ))s"

# Served by the exported SavedModel (savedmodels/sst2 = its latest version), from raw text.
restext predict --model savedmodels/sst2 "a gorgeous, witty, seductive movie."
