"""Why did it say that: per-word attributions of a classifier's decisions, the confident mistakes,
and their rendering for terminals, HTML pages and programs (docs/explain.md)."""

from keras_restext.explain.attributions import Explanation, explain
from keras_restext.explain.gradients import COMPLETENESS_TOLERANCE, DEFAULT_STEPS, integrated_gradients
from keras_restext.explain.target import ExplainTarget, explain_target, load_explain_target
from keras_restext.explain.wide import wide_contributions

__all__ = [
    "COMPLETENESS_TOLERANCE",
    "DEFAULT_STEPS",
    "ExplainTarget",
    "Explanation",
    "explain",
    "explain_target",
    "integrated_gradients",
    "load_explain_target",
    "wide_contributions",
]
