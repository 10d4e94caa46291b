import numpy as np
import pytest
from keras import ops

from keras_restext.errors import ArgumentError
from keras_restext.explain import COMPLETENESS_TOLERANCE, explain, explain_target
from keras_restext.explain.gradients import integrated_gradients
from tests.explain.tiny import trained

TEXTS = ["the film was very fine and witty", "a dull plot , not good", "boring", "fine fine film"]


@pytest.fixture(scope="module")
def base():
    return trained()


@pytest.fixture(scope="module")
def small():
    return trained("restext_small")  # no wide branch, every token read by the trunk


def _logits(classifier, text):
    """The whole logits (deep + wide) of one text, from the network's own layers."""
    target = explain_target(classifier)
    ids = classifier.preprocessor.tokenizer([text])
    probabilities = ops.convert_to_numpy(classifier(ids))[0]
    return target, ids, probabilities


@pytest.mark.parametrize("which", ["base", "small"])
def test_attributions_sum_to_the_logit_minus_the_baseline_s(which, request):
    classifier = request.getfixturevalue(which)
    for explanation in explain(classifier, TEXTS):
        difference = explanation.logit - explanation.baseline_logit
        assert abs(sum(explanation.attributions) - difference) <= COMPLETENESS_TOLERANCE * max(1.0, abs(difference))
        assert explanation.completeness_gap == pytest.approx(sum(explanation.attributions) - difference)


def test_the_logit_is_the_model_s_and_the_probability_too(base):
    for explanation in explain(base, TEXTS):
        target, ids, probabilities = _logits(base, explanation.text)
        wide = ops.convert_to_numpy(target.wide(ids))[0]
        index = target.labels.index(explanation.class_name)
        assert explanation.class_probability == pytest.approx(float(probabilities[index]), abs=1e-6)
        # softmax of the explained logits reproduces the model's probabilities (two classes).
        other = explain(base, [explanation.text], class_name=target.labels[1 - index])[0]
        p = 1 / (1 + np.exp(other.logit - explanation.logit))
        assert p == pytest.approx(float(probabilities[index]), abs=1e-5)
        assert sum(explanation.wide) == pytest.approx(float(wide[index]), abs=1e-6)


def test_the_wide_contributions_sum_to_the_wide_logit_exactly(base):
    target = explain_target(base)
    for text in TEXTS:
        ids = base.preprocessor.tokenizer([text])
        wide = ops.convert_to_numpy(target.wide(ids))[0]
        for class_name in target.labels:
            [explanation] = explain(base, [text], class_name=class_name)
            index = target.labels.index(class_name)
            assert sum(f["contribution"] for f in explanation.wide_features) == pytest.approx(float(wide[index]), abs=1e-6)
            assert sum(explanation.wide) == pytest.approx(float(wide[index]), abs=1e-6)


def test_a_bigram_s_contribution_is_shared_by_its_two_words(base):
    [explanation] = explain(base, ["dull plot"], class_name="neg")
    features = {f["feature"]: f for f in explanation.wide_features}
    assert set(features) == {"dull", "plot", "dull plot"}
    assert features["dull plot"]["spans"] == [[0, 2]]
    bigram = features["dull plot"]["contribution"]
    assert explanation.wide[0] == pytest.approx(features["dull"]["contribution"] + bigram / 2)
    assert explanation.wide[1] == pytest.approx(features["plot"]["contribution"] + bigram / 2)


def test_the_label_word_gets_the_largest_attribution(base):
    for text, word in [("the film was very fine", "fine"), ("a plot and a dull film", "dull")]:
        [explanation] = explain(base, [text])
        assert explanation.units[explanation.top_units(1)[0]] == word


def test_completeness_tightens_with_more_steps(small):
    target = explain_target(small)
    ids = np.asarray(small.preprocessor.tokenizer.tokenize_ragged(["the film was very fine and witty"]).to_list()[0])
    gaps = []
    for steps in (2, 128):
        attributions, logit, baseline = integrated_gradients(target, ids, 1, steps)
        gaps.append(abs(attributions.sum() - (logit - baseline)))
    assert gaps[1] <= gaps[0] + 1e-9


def test_the_serving_model_explains_as_the_classifier(base):
    ours = explain(base, TEXTS[:2])
    served = explain(base.serving_model(), TEXTS[:2])
    for a, b in zip(ours, served):
        assert a.units == b.units and a.label == b.label
        np.testing.assert_allclose(a.attributions, b.attributions, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"texts": ["fine", "  "]}, "texts"), ({"texts": ["fine"], "class_name": "maybe"}, "class_name"),
     ({"texts": ["fine"], "steps": 0}, "steps"), ({"texts": "fine"}, "texts")],
)  # fmt: skip
def test_bad_arguments_name_themselves(base, kwargs, argument):
    with pytest.raises(ArgumentError) as error:
        explain(base, **kwargs)
    assert error.value.argument == argument
    if argument == "class_name":
        assert "neg, pos" in str(error.value)
