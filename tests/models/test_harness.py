"""The backbone, the task, the presets and the optimizer through tests/models/harness.py, and every
registered Keras object of the package through one harness or the other.

`test_every_registered_object_goes_through_a_harness` finds the objects by package
(`keras.saving.get_custom_objects()`, keys "keras_restext>..."): a new one fails it until it has a case.
"""

import inspect

import keras
import numpy as np
import pytest

from keras_restext.data.tokenizers import WordTokenizer
from keras_restext.models.backbone import BACKBONE_DEFAULTS, ResTextBackbone
from keras_restext.models.heads import HEAD_DEFAULTS
from keras_restext.models.optimizers import FusedAdamW
from keras_restext.models.preprocessor import ResTextPreprocessor
from keras_restext.models.text_classifier import ResTextClassifier
from tests.layers import test_harness as layer_cases
from tests.models.harness import run_backbone_test, run_optimizer_test, run_preset_test, run_task_test

IDS = np.random.default_rng(0).integers(1, 40, size=(3, 12)).astype("int32")
IDS[2, 7:] = 0  # a padded row
WORDS = ["film", "a", "the", "plot", "fine", "great", "dull", "flat"]
TEXTS = [f"{a} {b} film" for a in ("a", "the", "the plot was") for b in ("fine", "great", "dull", "flat")]
LABELS = ["pos", "pos", "neg", "neg"] * 3
TINY = {"embedding_dim": 8, "stage_filters": (8,), "stage_blocks": (1,)}

# (id, backbone arguments, expected output shape on IDS)
BACKBONE_CASES = [
    ("small", {"vocab_size": 40, **TINY}, (3, 12, 8)),
    # The id layers in the trunk (KeepWords, LimitVocabulary), a pyramid, batch norm, SE, drop path.
    ("words_pyramid", {"vocab_size": 40, "embedding_dim": 8, "stage_filters": (8, 12), "stage_blocks": (1, 1),
                       "word_ngrams": 2, "deep_vocab_size": 20, "norm": "batch", "se_ratio": 0.5, "drop_path": 0.1,
                       "residual_init": "zero", "kernel_sizes": (3, 5)}, (3, 3, 12)),
]  # fmt: skip
# (id, head arguments, mixed policy): the task on a tiny backbone and a word tokenizer with a fixed
# vocabulary; one mixed policy each keeps the set fast.
TASK_CASES = [
    ("default_heads", {}, "mixed_bfloat16"),
    # The wide branch (its idf set by fit) and deep supervision's own training step, under loss scaling.
    ("wide_and_deep", {"wide_scale": 1.0, "deep_drop_path": 0.2, "deep_loss_weight": 0.5, "pooling": "kmax",
                       "kmax_k": 2, "head_units": (8,)}, "mixed_float16"),
]  # fmt: skip
# (preset, from_preset arguments that keep it tiny)
PRESET_CASES = [("restext_small", {"num_classes": 2, "tokenizer": {"max_tokens": 60}, "embedding_dim": 8})]
# (optimizer, arguments, the Keras optimizer whose arithmetic it reproduces)
OPTIMIZER_CASES = [(FusedAdamW, {"learning_rate": 0.1, "weight_decay": 0.3}, keras.optimizers.AdamW)]


@pytest.mark.parametrize("init_kwargs, expected_shape", [c[1:] for c in BACKBONE_CASES], ids=[c[0] for c in BACKBONE_CASES])
def test_backbone(init_kwargs, expected_shape):
    run_backbone_test(ResTextBackbone, init_kwargs, IDS, expected_shape)


@pytest.mark.parametrize("heads, policy", [c[1:] for c in TASK_CASES], ids=[c[0] for c in TASK_CASES])
def test_task(heads, policy):
    tokenizer = WordTokenizer(vocabulary=WORDS, max_length=16)
    preprocessor = ResTextPreprocessor(tokenizer, labels=["neg", "pos"])
    backbone = ResTextBackbone(tokenizer.vocabulary_size(), **TINY)
    init_kwargs = {"backbone": backbone, "num_classes": 2, "preprocessor": preprocessor, **heads}
    run_task_test(ResTextClassifier, init_kwargs, TEXTS, LABELS, policies=[policy])


@pytest.mark.parametrize("preset, init_kwargs", PRESET_CASES, ids=[c[0] for c in PRESET_CASES])
def test_preset(preset, init_kwargs):
    run_preset_test(ResTextClassifier, preset, init_kwargs, TEXTS, LABELS)


@pytest.mark.parametrize("cls, init_kwargs, reference_cls", OPTIMIZER_CASES, ids=[c[0].__name__ for c in OPTIMIZER_CASES])
def test_optimizer(cls, init_kwargs, reference_cls):
    run_optimizer_test(cls, init_kwargs, reference_cls)


def test_every_registered_object_goes_through_a_harness():
    registered = set(layer_cases.registered_objects().values())
    tested = {case[1] for case in layer_cases.CASES} | {ResTextBackbone, ResTextClassifier}
    tested |= {case[0] for case in OPTIMIZER_CASES}
    assert {ResTextBackbone, ResTextClassifier, ResTextPreprocessor, FusedAdamW} <= registered
    assert registered <= tested, f"registered objects without a harness case: {sorted(c.__name__ for c in registered - tested)}"


def _defaults(function, leave_out: set[str] = frozenset()) -> dict:
    """The defaults of a function's arguments, `self`, `*args`, `**kwargs` and `leave_out` aside."""
    parameters = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not p.empty and p.name not in leave_out}


def test_backbone_defaults_are_the_constructors():
    # BACKBONE_DEFAULTS restates ResTextBackbone's defaults (the presets and `build_resnet_classifier` start from it).
    assert _defaults(ResTextBackbone.__init__) == BACKBONE_DEFAULTS
    assert list(inspect.signature(ResTextBackbone.__init__).parameters)[1] == "vocab_size"  # the one without a default


def test_head_defaults_are_the_classifiers():
    # Every other argument of ResTextClassifier is a head argument with its default in HEAD_DEFAULTS.
    not_heads = {"num_classes", "tasks", "preprocessor", "recipe", "compile"}
    assert _defaults(ResTextClassifier.__init__, not_heads) == HEAD_DEFAULTS
