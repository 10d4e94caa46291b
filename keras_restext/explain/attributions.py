"""`explain`: per-word attributions of a classifier's logit, exact for the wide branch and by
integrated gradients for the residual branch.

A `ResTextClassifier` with a wide branch sums two logits before its softmax: the trunk's (deep)
and the linear bag-of-tokens branch's (wide). The attribution of a word to the logit of a class is
the sum of its two parts:

- wide: the exact contribution of the word and of the n-grams it is in (`wide_contributions`);
- deep: integrated gradients on the word's token embedding (`integrated_gradients`).

Their sum over the words is `logit(text) - logit(baseline)`, the baseline being the all-zero
embeddings for the trunk (same mask) and the empty bag, whose wide logit is 0, for the wide branch.
The explained class is the predicted one unless `class_name` names another.

`models/` sits below this package, so `ResTextClassifier` has no `explain` method: call
`keras_restext.explain.explain(classifier, texts)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import keras
import numpy as np

from keras_restext.checks import check_int
from keras_restext.errors import ArgumentError
from keras_restext.explain.gradients import DEFAULT_STEPS, integrated_gradients
from keras_restext.explain.spans import text_words, token_spans, unit_separator, unit_strings
from keras_restext.explain.target import ExplainTarget, explain_target
from keras_restext.explain.wide import wide_contributions


@dataclass
class Explanation:
    """The attributions of one text to the logit of one class.

    Attributes:
        text: the text as given.
        units: the words (characters, pieces) the model read, as its tokenizer standardised them.
        separator: what joins two units when the text is shown ("" between characters).
        label: the predicted class; `probability` its probability.
        class_name: the explained class; `class_probability` its probability.
        logit: the explained class's logit (deep + wide).
        baseline_logit: its logit at the baseline (all-zero embeddings, the empty bag).
        attributions: each unit's attribution to the logit, deep + wide.
        deep: each unit's integrated gradient (zeros without a trunk reading it).
        wide: each unit's share of the wide branch's exact contributions (zeros without one).
        wide_features: the wide branch's features (words, n-grams), largest contribution first.
        completeness_gap: `sum(attributions) - (logit - baseline_logit)`.
    """

    text: str
    units: list[str]
    separator: str
    label: str
    probability: float
    class_name: str
    class_probability: float
    logit: float
    baseline_logit: float
    attributions: list[float]
    deep: list[float]
    wide: list[float]
    wide_features: list[dict] = field(default_factory=list)
    completeness_gap: float = 0.0

    def to_dict(self) -> dict:
        """A JSON-ready dict of every attribute."""
        return asdict(self)

    def top_units(self, k: int = 3) -> list[int]:
        """The indices of the `k` units with the largest attributions, largest first."""
        return [int(i) for i in np.argsort(-np.asarray(self.attributions), kind="stable")[:k]]


def _class_index(target: ExplainTarget, class_name: str | None) -> int | None:
    if class_name is None:
        return None
    if str(class_name) not in target.labels:
        raise ArgumentError(
            f"`class_name` must be one of the model's classes: {', '.join(target.labels)}. "
            f"Received: class_name={class_name!r}", argument="class_name",
        )  # fmt: skip
    return target.labels.index(str(class_name))


def _token_ids(target: ExplainTarget, texts: Sequence[str]) -> list[np.ndarray]:
    """Each text's token ids without padding; an `ArgumentError` for a text without any."""
    rows = target.tokenizer.tokenize_ragged(list(texts)).to_list()
    for index, row in enumerate(rows):
        if not row:
            raise ArgumentError(
                f"`texts` holds a text without any token at index {index} ({texts[index]!r}): give texts "
                "with at least one word.", argument="texts",
            )  # fmt: skip
    return [np.asarray(row, np.int64) for row in rows]


def _explain_one(target: ExplainTarget, text: str, token_ids: np.ndarray, probabilities: np.ndarray,
                 class_index: int, steps: int) -> Explanation:  # fmt: skip
    """One text's `Explanation` (see `explain`)."""
    ngrams = target.word_ngrams
    words = text_words(target.tokenizer, text) if ngrams > 1 else None
    spans = token_spans(len(token_ids), ngrams, words)
    count = min(words, len(token_ids)) if ngrams > 1 else len(token_ids)
    units, separator = unit_strings(target.tokenizer, text, token_ids, count), unit_separator(target.tokenizer)
    deep_positions, deep_logit, baseline = integrated_gradients(target, token_ids, class_index, steps)
    deep_spans = [(q, q + 1) for q in range(count)] if target.trunk_reads_words else spans
    deep = np.zeros(count)
    for (start, end), value in zip(deep_spans, deep_positions):
        deep[start:end] += value / (end - start)
    wide, features, wide_logit = np.zeros(count), [], 0.0
    if target.wide is not None:
        wide, features, wide_logit = wide_contributions(target, token_ids, class_index, spans, units, separator)
    total = deep + wide
    logit = deep_logit + wide_logit
    best = int(np.argmax(probabilities))
    return Explanation(
        text=text, units=units, separator=separator, label=target.labels[best],
        probability=float(probabilities[best]), class_name=target.labels[class_index],
        class_probability=float(probabilities[class_index]), logit=logit, baseline_logit=baseline,
        attributions=total.tolist(), deep=deep.tolist(), wide=wide.tolist(), wide_features=features,
        completeness_gap=float(total.sum() - (logit - baseline)),
    )  # fmt: skip


def explain(
    classifier: keras.Model | ExplainTarget,
    texts: Sequence[str],
    class_name: str | None = None,
    *,
    steps: int = DEFAULT_STEPS,
) -> list[Explanation]:
    """Per-word attributions of each text to the logit of its predicted class (or of `class_name`).

    Args:
        classifier: a trained `ResTextClassifier`, a raw-string serving model (`model.keras`), or
            an `ExplainTarget` (`load_explain_target(path)`).
        texts: the texts, each with at least one token.
        class_name: the class to explain; None: each text's predicted class.
        steps: the intervals of the integrated gradients' trapezoid rule (`steps + 1` gradient
            evaluations per text).

    Returns:
        One `Explanation` per text.

    Raises:
        ArgumentError: an unknown `class_name`, a text without tokens, `steps` < 1.

    Example (it needs a trained model, so not a doctest):

    ```python
    [explanation] = explain(classifier, ["a gorgeous, witty, seductive movie."])
    explanation.label, explanation.units[explanation.top_units(1)[0]]  # ('positive', 'gorgeous')
    ```
    """
    target = classifier if isinstance(classifier, ExplainTarget) else explain_target(classifier)
    check_int("steps", steps, 1)
    if isinstance(texts, str):
        raise ArgumentError("`texts` must be a list of texts, not one string. Wrap it in a list.", argument="texts")
    texts = [str(text) for text in texts]
    chosen = _class_index(target, class_name)
    ids = _token_ids(target, texts)
    results = []
    for text, token_ids in zip(texts, ids):
        probabilities = keras.ops.convert_to_numpy(target.network(token_ids[None].astype("int32"), training=False))[0]
        index = int(np.argmax(probabilities)) if chosen is None else chosen
        results.append(_explain_one(target, text, token_ids, probabilities, index, steps))
    return results


__all__ = ["Explanation", "explain"]
