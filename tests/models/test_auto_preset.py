"""`preset="auto"`: one rule, the same for every data set, from the number of classes and the
training texts' median length."""

import pytest

from keras_restext.models import get_preset, resolve_model_config
from keras_restext.models.auto_preset import (
    AUTO_DESCRIPTION,
    LONG_TEXT_WORDS,
    MANY_CLASSES,
    SAMPLE_SIZE,
    choose_preset,
)


def _texts(words: int, count: int = 50) -> list[str]:
    return [" ".join(f"w{i}" for i in range(words))] * count


@pytest.mark.parametrize("words", [1, 9, 20, LONG_TEXT_WORDS - 1])
@pytest.mark.parametrize("classes", [2, 6, MANY_CLASSES - 1])
def test_sentences_in_few_classes_train_the_default(words, classes):
    choice = choose_preset(_texts(words), classes)
    assert (choice.preset, choice.overrides, choice.median_words, choice.num_classes) == (
        "restext_base", {}, words, classes
    )  # fmt: skip


@pytest.mark.parametrize("words, classes", [(LONG_TEXT_WORDS, 2), (176, 4), (2000, 2), (10, MANY_CLASSES), (30, 20)])
def test_long_texts_or_many_classes_train_dpcnn_with_deep_supervision(words, classes):
    choice = choose_preset(_texts(words), classes)
    assert (choice.preset, choice.overrides) == ("dpcnn", {"deep_loss_weight": 1.0})
    # What it picks is a model that builds: the overrides are arguments of the chosen preset.
    assert resolve_model_config(choice.preset, **choice.overrides)["deep_loss_weight"] == 1.0
    assert get_preset(choice.preset)["model"]["wide_scale"] > 0  # deep supervision needs the wide branch


def test_the_median_decides_not_the_mean_or_the_longest():
    texts = _texts(10, 60) + _texts(5000, 40)  # a few very long posts among many sentences
    assert choose_preset(texts, 2).preset == "restext_base"
    assert choose_preset(_texts(10, 40) + _texts(200, 60), 2).preset == "dpcnn"


def test_the_choice_reads_a_bounded_sample_and_says_why():
    def endless():
        while True:
            yield "one two three"

    choice = choose_preset(endless(), 3)  # stops after SAMPLE_SIZE texts
    assert choice.texts == SAMPLE_SIZE
    assert choice.describe() == f"restext_base (3 classes < {MANY_CLASSES}, median 3 words < {LONG_TEXT_WORDS})"
    record = choice.as_dict()
    assert record["preset"] == "restext_base" and record["median_words"] == 3 and record["num_classes"] == 3
    assert str(LONG_TEXT_WORDS) in record["rule"] and str(MANY_CLASSES) in record["rule"]
    assert str(LONG_TEXT_WORDS) in AUTO_DESCRIPTION and str(MANY_CLASSES) in AUTO_DESCRIPTION


def test_no_text_is_one_clear_error():
    with pytest.raises(ValueError, match="chooses from the training texts, and there are none"):
        choose_preset([], 2)
