"""The three baselines of issue #6, each with one fixed configuration used on every set.

* `fasttext_baseline`: fastText supervised (Joulin et al. 2017) with word bigrams.
* `tfidf_lr_baseline`: TF-IDF word 1-2-grams + char_wb 2-5-grams, logistic regression (scikit-learn).
* `kim_cnn_baseline`: Kim (2014) CNN-rand, one convolution layer (widths 3, 4, 5 x 100 maps) in Keras.

Every function takes `train = (texts, labels)`, `test = (texts, labels)` and a seed, and returns a dict
with `accuracy`, `train_seconds` (raw texts to a trained model, preprocessing included), `params`,
`infer_texts_per_s` (raw texts, batch 256), `p50_latency_ms` (one text) and `peak_rss_mb` (the
process peak; every job runs in its own process, see `benchmarks.jobs`).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.datasets import TextsAndLabels, holdout_split
from benchmarks.measure import accuracy, measure_inference, peak_rss_mb
from benchmarks.timing import Stopwatch

# ---------------------------------------------------------------------------------------------
# fastText.
# ---------------------------------------------------------------------------------------------

FASTTEXT_SETTINGS: dict = {
    # fastText's supervised defaults (dim 100, softmax, minCount 1, 2M hash buckets), plus word
    # bigrams (Joulin et al. 2017) and the longer, faster schedule that small sets need: 25 epochs
    # at lr 0.5 (the fastText text-classification tutorial goes from 5 epochs / lr 0.1 to 25 / 1.0).
    "lr": 0.5,
    "epoch": 25,
    "wordNgrams": 2,
    "dim": 100,
    "minCount": 1,
    "loss": "softmax",
    "bucket": 2_000_000,
}

_PUNCT = re.compile(r"([^\w\s'])")
_SPACE = re.compile(r"\s+")


def normalize_for_fasttext(text: str) -> str:
    """Lower-cases, puts spaces around punctuation and joins everything on one line."""
    return _SPACE.sub(" ", _PUNCT.sub(r" \1 ", text.lower())).strip()


def _fasttext_label(label: str) -> str:
    return "__label__" + _SPACE.sub("_", label.strip())


def write_fasttext_file(path: Path, data: TextsAndLabels) -> str:
    """Writes `(texts, labels)` in fastText's supervised format (`__label__X text` lines); returns the path."""
    lines = (f"{_fasttext_label(y)} {normalize_for_fasttext(x)}\n" for x, y in zip(*data))
    path.write_text("".join(lines), encoding="utf-8")
    return str(path)


def fasttext_predictor(model, labels: list[str]):
    """`predict(texts) -> labels` of a trained fastText model, in the data's own label names."""
    names = {_fasttext_label(label): label for label in sorted(set(labels))}

    def predict(texts: list[str]) -> list[str]:
        found, _ = model.predict([normalize_for_fasttext(t) for t in texts], k=1)
        return [names[top[0]] for top in found]

    return predict


def fasttext_baseline(train: TextsAndLabels, test: TextsAndLabels, seed: int = 0) -> dict:
    """Trains and evaluates fastText supervised with word bigrams (`FASTTEXT_SETTINGS`)."""
    import fasttext  # noqa: PLC0415 (a `.[bench]` extra)

    with tempfile.TemporaryDirectory() as tmp, Stopwatch() as clock:
        model = fasttext.train_supervised(
            input=write_fasttext_file(Path(tmp) / "train.txt", train), seed=seed, thread=os.cpu_count() or 1,
            verbose=0, **FASTTEXT_SETTINGS,
        )
    predict = fasttext_predictor(model, train[1])

    result = {
        "accuracy": accuracy(predict(test[0]), test[1]),
        "train_seconds": clock.seconds,
        # Allocated weights: one row per word and per hash bucket, plus the output layer.
        "params": (len(model.words) + FASTTEXT_SETTINGS["bucket"]) * model.get_dimension()
        + model.get_dimension() * len(set(train[1])),
        "settings": dict(FASTTEXT_SETTINGS),
    }
    result.update(measure_inference(predict, test[0]))
    result["peak_rss_mb"] = peak_rss_mb()
    return result


# ---------------------------------------------------------------------------------------------
# TF-IDF + logistic regression.
# ---------------------------------------------------------------------------------------------

TFIDF_LR_SETTINGS: dict = {
    "word_ngram_range": (1, 2),
    "char_ngram_range": (2, 5),
    "min_df": 2,
    "C": 10.0,
    "max_iter": 1000,
}


def make_tfidf_lr(seed: int = 0):
    """The scikit-learn pipeline: word 1-2-gram and char_wb 2-5-gram TF-IDF (sublinear tf), then LR."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: PLC0415

    s = TFIDF_LR_SETTINGS
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=s["word_ngram_range"], sublinear_tf=True, min_df=s["min_df"])),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=s["char_ngram_range"], sublinear_tf=True, min_df=s["min_df"]
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=s["C"], max_iter=s["max_iter"], random_state=seed)
    return Pipeline([("tfidf", features), ("lr", classifier)])


def tfidf_lr_baseline(train: TextsAndLabels, test: TextsAndLabels, seed: int = 0) -> dict:
    """Trains and evaluates TF-IDF + logistic regression (`TFIDF_LR_SETTINGS`)."""
    pipeline = make_tfidf_lr(seed)
    with Stopwatch() as clock:
        pipeline.fit(train[0], train[1])
    classifier = pipeline.named_steps["lr"]

    def predict(texts: list[str]) -> list[str]:
        return list(pipeline.predict(texts))

    result = {
        "accuracy": accuracy(predict(test[0]), test[1]),
        "train_seconds": clock.seconds,
        "params": int(classifier.coef_.size + classifier.intercept_.size),
        "lr_iterations": int(np.max(classifier.n_iter_)),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in TFIDF_LR_SETTINGS.items()},
    }
    result.update(measure_inference(predict, test[0]))
    result["peak_rss_mb"] = peak_rss_mb()
    return result


# ---------------------------------------------------------------------------------------------
# Kim (2014) CNN-rand.
# ---------------------------------------------------------------------------------------------

KIM_CNN_SETTINGS: dict = {
    "max_tokens": 30000,
    "max_length": 400,  # cap: the longest training text, at most 400 tokens (20 Newsgroups is cut)
    "embedding_dim": 300,
    "filter_widths": (3, 4, 5),
    "filters": 100,
    "dropout": 0.5,
    "max_norm": 3.0,
    "batch_size": 50,
    "epochs": 10,
    "patience": 2,
    "learning_rate": 1e-3,  # Adam instead of Adadelta: converges in a few epochs
    "validation_fraction": 0.1,
}


def kim_standardize(texts):
    """Lower-case and put spaces around punctuation, inside the graph (so it is exported)."""
    import tensorflow as tf  # noqa: PLC0415

    texts = tf.strings.lower(texts)
    return tf.strings.regex_replace(texts, r"([^\w\s'])", r" \1 ")


def build_kim_cnn(vocab_size: int, num_classes: int, settings: dict | None = None):
    """Kim's one-layer CNN on token ids: random embeddings, widths 3/4/5, max-over-time, dropout."""
    import keras  # noqa: PLC0415

    s = settings or KIM_CNN_SETTINGS
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    init = keras.initializers.RandomUniform(-0.25, 0.25)
    x = keras.layers.Embedding(vocab_size, s["embedding_dim"], embeddings_initializer=init, name="embedding")(token_ids)
    pooled = []
    for width in s["filter_widths"]:
        h = keras.layers.Conv1D(s["filters"], width, activation="relu", name=f"conv_{width}")(x)
        pooled.append(keras.layers.GlobalMaxPooling1D(name=f"max_over_time_{width}")(h))
    x = keras.layers.Concatenate(name="concat")(pooled)
    x = keras.layers.Dropout(s["dropout"], name="dropout")(x)
    outputs = keras.layers.Dense(
        num_classes, activation="softmax", kernel_constraint=keras.constraints.MaxNorm(s["max_norm"]), name="probabilities"
    )(x)
    return keras.Model(token_ids, outputs, name="kim_cnn_rand")


def kim_cnn_baseline(train: TextsAndLabels, test: TextsAndLabels, seed: int = 0, *, epochs: int | None = None) -> dict:
    """Trains Kim's CNN-rand (`KIM_CNN_SETTINGS`) with early stopping on 10% of the training set.

    `epochs` overrides the maximum number of epochs (the `--quick` smoke test only).
    """
    import keras  # noqa: PLC0415

    from benchmarks.serving import export_text_classifier, load_predict  # noqa: PLC0415

    s = KIM_CNN_SETTINGS
    keras.utils.set_random_seed(seed)
    classes = sorted(set(train[1]))
    index = {c: i for i, c in enumerate(classes)}
    (fit_x, fit_y), (val_x, val_y) = holdout_split(*train, fraction=s["validation_fraction"], seed=seed)

    with Stopwatch() as clock:
        probe = keras.layers.TextVectorization(max_tokens=s["max_tokens"], standardize=kim_standardize)
        probe.adapt(fit_x, batch_size=1024)
        longest = max(len(normalize_for_fasttext(t).split()) for t in fit_x)  # ~ tokens after standardize
        length = max(5, min(s["max_length"], longest + 2))
        vectorize = keras.layers.TextVectorization(
            max_tokens=s["max_tokens"],
            standardize=kim_standardize,
            output_sequence_length=length,
            vocabulary=probe.get_vocabulary(),
        )
        fit_ids, val_ids = np.asarray(vectorize(fit_x)), np.asarray(vectorize(val_x))
        model = build_kim_cnn(vectorize.vocabulary_size(), len(classes))
        model.compile(
            optimizer=keras.optimizers.Adam(s["learning_rate"]),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        stop = keras.callbacks.EarlyStopping(
            monitor="val_accuracy", patience=s["patience"], restore_best_weights=True
        )
        history = model.fit(
            fit_ids,
            np.array([index[y] for y in fit_y]),
            validation_data=(val_ids, np.array([index[y] for y in val_y])),
            batch_size=s["batch_size"],
            epochs=epochs or s["epochs"],
            callbacks=[stop],
            verbose=0,
        )

    with tempfile.TemporaryDirectory() as tmp:
        path = export_text_classifier(Path(tmp) / "kim_cnn", model, vectorize, track=[vectorize])
        predict = load_predict(path, classes)
        result = {
            "accuracy": accuracy(predict(list(test[0])), test[1]),
            "train_seconds": clock.seconds,
            "params": int(model.count_params()),
            "epochs_run": len(history.history["loss"]),
            "best_val_accuracy": float(max(history.history["val_accuracy"])),
            "sequence_length": length,
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in s.items()},
        }
        result.update(measure_inference(predict, test[0]))
    result["peak_rss_mb"] = peak_rss_mb()
    return result


BASELINES = {
    "fasttext": fasttext_baseline,
    "tfidf_lr": tfidf_lr_baseline,
    "kim_cnn": kim_cnn_baseline,
}
