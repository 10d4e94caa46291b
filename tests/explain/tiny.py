"""A tiny trained classifier for the explanation tests: sentences whose label one word says."""

from __future__ import annotations

import keras
import numpy as np

from keras_restext import ResTextClassifier

GOOD, BAD = ["fine", "great", "moving", "witty"], ["dull", "awful", "flat", "boring"]
FILLER = ["a", "the", "film", "plot", "was", "and", "very"]
# restext_base's shape (words + bigrams, a wide branch, a trunk over the words), narrowed.
SMALL_BASE = dict(tokenizer={"max_tokens": 500}, stage_filters=(16, 16, 16), stem_filters=16, embedding_dim=16)


def sentences(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """`n` sentences of filler words and one good (label "pos") or bad ("neg") word, alternately."""
    rng = np.random.default_rng(seed)
    labels = [["neg", "pos"][i % 2] for i in range(n)]
    said = [rng.choice(GOOD if label == "pos" else BAD) for label in labels]
    texts = [" ".join(rng.permutation([*rng.choice(FILLER, size=rng.integers(2, 12)), word])) for word in said]
    return texts, labels


def trained(preset: str = "restext_base", epochs: int = 4, **overrides) -> ResTextClassifier:
    """A classifier of `preset` (restext_base narrowed by default) trained on 320 sentences."""
    keras.utils.set_random_seed(0)
    arguments = dict(SMALL_BASE) if preset == "restext_base" else {}
    classifier = ResTextClassifier.from_preset(preset, num_classes=2, **{**arguments, **overrides})
    # A faster schedule than the presets' (read by `fit`), so that a few epochs learn the label words.
    classifier.recipe = {**classifier.recipe, "learning_rate": 5e-3, "batch_size": 16, "label_smoothing": 0.0}
    texts, labels = sentences(320)
    classifier.fit(texts, labels, epochs=epochs, verbose=0)
    return classifier
