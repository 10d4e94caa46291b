"""Fixtures of the data tests."""

import keras
import pytest


@pytest.fixture(autouse=True)
def _reset_keras_state():
    """Overrides the suite-wide fixture: the data tests need float32, not a fresh Keras session
    (`clear_session` collects garbage before every test, ~0.3 s each: a third of this folder's time)."""
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")
