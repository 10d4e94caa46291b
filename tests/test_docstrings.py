"""The docstring examples (`>>>`) of every keras_restext module run as tests.

Examples that need data files, a trained model or a training run are written as ```python blocks
instead (KerasHub's style), which doctest does not run.
"""

import doctest
import importlib
import pkgutil

import pytest

import keras_restext

# Modules whose `>>>` examples need a training run, data files or trained objects, kept out until
# their owners turn them into ```python blocks or tiny runnable setups.
NOT_RUN = {
    "keras_restext.export.loading": "loads savedmodels/sst2",
    "keras_restext.serving.serving_model": "needs a tokenizer and a trained classifier",
    "keras_restext.training.distribute": "builds a model with a name the module does not import",
    "keras_restext.training.multitask": "trains on MR and TREC",
    "keras_restext.training.trainer": "trains on MR",
}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _doctests(module_name: str) -> list[doctest.DocTest]:
    tests = doctest.DocTestFinder(exclude_empty=True).find(importlib.import_module(module_name))
    return [test for test in tests if test.examples]


MODULES = sorted(
    ["keras_restext"] + [info.name for info in pkgutil.walk_packages(keras_restext.__path__, "keras_restext.")]
)
# Only the modules with examples: each test costs a Keras session reset (tests/conftest.py).
WITH_EXAMPLES = [name for name in MODULES if name not in NOT_RUN and _doctests(name)]


@pytest.mark.parametrize("module_name", WITH_EXAMPLES)
def test_docstring_examples(module_name):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in _doctests(module_name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_the_examples_are_found():
    assert {"keras_restext.layers.res_block", "keras_restext.data.tokenizers.word"} <= set(WITH_EXAMPLES)


def test_the_modules_kept_out_exist_and_have_examples():
    for name in NOT_RUN:
        assert name in MODULES, f"{name} is gone: drop it from NOT_RUN"
        assert _doctests(name), f"{name} has no `>>>` examples left: drop it from NOT_RUN"
