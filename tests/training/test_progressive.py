import keras
import numpy as np

from keras_restext import build_resnet_classifier
from keras_restext.models import resolve_model_config
from keras_restext.training.progressive import first_stages, grow, transfer_weights

CONFIG = resolve_model_config("restext_small", stage_filters=(16, 16, 16), stage_blocks=(1, 1, 1), embedding_dim=8)


def _build(overrides: dict) -> keras.Model:
    model = build_resnet_classifier(2, 50, **{**CONFIG, **overrides})
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def test_transfer_copies_shared_layers_and_can_freeze_them():
    small, big = _build(first_stages(CONFIG, 1)), _build(first_stages(CONFIG, 2))
    copied = transfer_weights(small, big, freeze=True)
    assert {"embedding", "stem", "stage0_block0", "probabilities"} <= set(copied)
    assert "stage1_block0" not in copied
    for name in ("embedding", "stem", "stage0_block0"):
        for a, b in zip(small.get_layer(name).weights, big.get_layer(name).weights):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert not big.get_layer(name).trainable
    assert big.get_layer("stage1_block0").trainable and big.get_layer("probabilities").trainable


def test_grow_trains_each_earlier_stage_then_returns_the_last():
    trained = []
    ids = np.random.default_rng(0).integers(1, 50, size=(16, 9)).astype("int32")
    targets = keras.utils.to_categorical(np.arange(16) % 2, 2)

    def fit(model, epochs):
        trained.append((len([l for l in model.layers if l.name.startswith("stage")]), epochs))
        model.fit(ids, targets, epochs=epochs, verbose=0)

    last = grow(_build, fit, CONFIG, epochs=6, log=lambda _: None)
    assert trained == [(1, 2), (2, 2)]  # stages 1 and 2 of 3, E // S = 2 epochs each
    full = _build({})
    assert "stage1_block0" in transfer_weights(last, full)
