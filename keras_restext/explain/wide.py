"""The wide branch's exact contribution of every word and n-gram of a text.

The wide branch (`BagOfTokensLogits`) is linear in its features: the logit of class c is

    scale * sum over the text's distinct features j of idf[j] * W[j, c] / norm,
    norm = sqrt(sum over the same j of idf[j] ** 2)

so the contribution of feature j is `scale * idf[j] / norm * W[j, c]` (its value times its weight),
and the contributions sum to the logit exactly. A feature is a token id (a word, or a word n-gram
of a `WordTokenizer(ngrams=n)`) or, with `wide_ngrams`, a hashed character n-gram. A feature that
occurs several times counts once (binary TF-IDF); its contribution is shared evenly by its
occurrences, and each occurrence's share evenly by the units (words or characters) it spans:
"not good" gives half its contribution to "not" and half to "good". The features are also listed
whole, each with its contribution, so that nothing of an n-gram is hidden by the split.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from keras_restext.layers import HashedNGrams

NORM_FLOOR = 1e-6  # as `BagOfTokensLogits`: the norm of a text without known features


def _feature_spans(target, token_ids: np.ndarray, spans: list[tuple[int, int]]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The wide branch's feature ids of one text and the units each position of them spans."""
    ngrams = target.layers.get("wide_ngrams")
    if not isinstance(ngrams, HashedNGrams):
        return token_ids, spans
    ids = ops.convert_to_numpy(ngrams(token_ids[None].astype("int32")))[0]
    length = len(token_ids)
    feature_spans = []
    for order in ngrams.orders:
        for start in range(length):
            end = min(start + order, length) - 1
            feature_spans.append((spans[start][0], spans[end][1]))
    return ids, feature_spans


def wide_contributions(
    target, token_ids: np.ndarray, class_index: int, spans: list[tuple[int, int]], units: list[str], separator: str
) -> tuple[np.ndarray, list[dict], float]:
    """The wide branch's exact attribution of one text to one class.

    Args:
        target: an `ExplainTarget` whose network has a wide branch.
        token_ids: the text's token ids `[time]`, without padding.
        class_index: the class explained.
        spans: the units `[start, end)` each token position covers (`token_spans`).
        units: the text's units (words or characters), to name the features.
        separator: what joins two units in a feature's name.

    Returns:
        `(per_unit, features, logit)`: the contributions shared out over the units `[len(units)]`;
        one dict per distinct feature (`feature`, `spans`, `value`, `weight`, `contribution`),
        largest contribution first; and the wide logit of the class (their sum).
    """
    wide = target.wide
    ids, feature_spans = _feature_spans(target, token_ids, spans)
    idf = ops.convert_to_numpy(wide.idf).astype(np.float64)
    weights = ops.convert_to_numpy(wide.token_weights).astype(np.float64)
    distinct = np.unique(ids[ids != 0])
    norm = np.sqrt(max(float(np.sum(idf[distinct] ** 2)), NORM_FLOOR))
    per_unit = np.zeros(len(units))
    features = []
    for feature in distinct:
        value = float(wide.scale * idf[feature] / norm)
        contribution = float(value * weights[feature, class_index])
        where = [feature_spans[p] for p in np.flatnonzero(ids == feature)]
        for start, end in where:
            per_unit[start:end] += contribution / len(where) / (end - start)
        start, end = where[0]
        features.append({
            "feature": separator.join(units[start:end]), "spans": [list(span) for span in where],
            "value": value, "weight": float(weights[feature, class_index]), "contribution": contribution,
        })  # fmt: skip
    features.sort(key=lambda f: -abs(f["contribution"]))
    return per_unit, features, float(sum(f["contribution"] for f in features))


__all__ = ["NORM_FLOOR", "wide_contributions"]
