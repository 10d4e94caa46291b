import pytest
from keras import ops

from keras_restext.data.tokenizers import Tokenizer
from keras_restext.export import model_card
from keras_restext.export.class_features import class_features
from tests.explain.tiny import BAD, GOOD, trained


@pytest.fixture(scope="module")
def served():
    return trained().serving_model()


def test_each_class_is_led_by_its_own_label_words(served):
    features = class_features(served, k=4)
    assert set(features) == {"neg", "pos"}
    for name, words in (("pos", GOOD), ("neg", BAD)):  # each word or bigram holds one of the class's words
        assert all(set(feature.split()) & set(words) for feature, _ in features[name]), features[name]
    pushes = [push for _, push in features["pos"]]
    assert pushes == sorted(pushes, reverse=True) and len(pushes) == 4


def test_the_push_is_the_weight_against_the_mean_times_idf_and_scale(served):
    wide = served.get_layer("resnet_classifier").get_layer("probabilities_wide_logits")
    [tokenizer] = [layer for layer in served.layers if isinstance(layer, Tokenizer)]
    vocabulary = tokenizer.get_vocabulary()
    word, push = class_features(served, k=1)["pos"][0]
    j = vocabulary.index(word)
    weights, idf = ops.convert_to_numpy(wide.token_weights)[j], ops.convert_to_numpy(wide.idf)[j]
    assert push == pytest.approx(wide.scale * idf * (weights[1] - weights.mean()), rel=1e-5)


def test_the_card_shows_a_table_per_class(served):
    card = model_card(name="tiny", version=1, labels=["neg", "pos"], class_features=class_features(served))
    section = card.split("## What pushes towards each class")[1].split("## How to call it")[0]
    assert section.count("| word or n-gram | push |") == 2 and "### pos" in section
    assert len([line for line in section.splitlines() if line.startswith("| ") and "push" not in line]) == 20


def test_a_model_without_a_wide_branch_has_no_section():
    served = trained("restext_small", epochs=1).serving_model()
    assert class_features(served) is None
    assert "What pushes" not in model_card(name="t", version=1, labels=["neg", "pos"], class_features=None)
