import numpy as np
import pytest

from keras_restext.layers import KMaxPooling1D, MaskedDownsample1D, MaskedGlobalPooling1D
from tests.layers.padding import padded_copies

LENGTHS = [4, 7, 1]


@pytest.mark.parametrize("mode", ["max", "avg", "max_avg"])
def test_global_pooling_ignores_padding(mode):
    values = np.random.default_rng(0).normal(size=(3, 7, 5)).astype("float32")
    pool = MaskedGlobalPooling1D(mode)
    x8, m8 = padded_copies(values, LENGTHS, 8, seed=1)
    x11, m11 = padded_copies(values, LENGTHS, 11, seed=2)
    a, b = pool(x8, mask=m8), pool(x11, mask=m11)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)
    expected_max = np.stack([values[i, :n].max(0) for i, n in enumerate(LENGTHS)])
    expected_avg = np.stack([values[i, :n].mean(0) for i, n in enumerate(LENGTHS)])
    expected = {"max": expected_max, "avg": expected_avg, "max_avg": np.concatenate([expected_max, expected_avg], -1)}
    np.testing.assert_allclose(np.asarray(a), expected[mode], atol=1e-5)


def test_global_pooling_of_a_fully_padded_row_is_zero():
    x = np.full((1, 3, 2), 7.0, "float32")
    out = MaskedGlobalPooling1D("max_avg")(x, mask=np.zeros((1, 3), bool))
    np.testing.assert_array_equal(np.asarray(out), np.zeros((1, 4)))


@pytest.mark.parametrize("mode", ["max", "avg", "max_avg"])
def test_global_pooling_of_an_empty_batch_is_empty(mode):
    pool = MaskedGlobalPooling1D(mode)
    x = np.zeros((0, 3, 2), "float32")
    width = 4 if mode == "max_avg" else 2
    assert pool(x).shape == (0, width)
    assert pool(x, mask=np.zeros((0, 3), bool)).shape == (0, width)


def test_global_pooling_rejects_unknown_mode():
    with pytest.raises(ValueError, match=r"`mode` must be one of .* Received: mode='sum'"):
        MaskedGlobalPooling1D("sum")


def test_downsample_windows_do_not_depend_on_padded_length_parity():
    values = np.random.default_rng(0).normal(size=(3, 7, 2)).astype("float32")
    pool = MaskedDownsample1D()
    x8, m8 = padded_copies(values, LENGTHS, 8, seed=1)
    x9, m9 = padded_copies(values, LENGTHS, 9, seed=2)
    a, b = np.asarray(pool(x8, mask=m8)), np.asarray(pool(x9, mask=m9))
    for row, n in enumerate(LENGTHS):
        kept = (n + 1) // 2
        np.testing.assert_allclose(a[row, :kept], b[row, :kept])
        # Output step i is the max of input steps 2i-1, 2i, 2i+1 (within the valid ones).
        for i in range(kept):
            window = values[row, max(2 * i - 1, 0) : min(2 * i + 2, n)]
            np.testing.assert_allclose(a[row, i], window.max(0))


def test_kmax_keeps_order_and_ignores_padding():
    x = np.array([[[1.0], [9.0], [3.0], [8.0], [100.0]]], "float32")
    mask = np.array([[True, True, True, True, False]])
    out = np.asarray(KMaxPooling1D(2)(x, mask=mask))
    np.testing.assert_array_equal(out[0, :, 0], [9.0, 8.0])
    short = np.asarray(KMaxPooling1D(3)(x[:, :2], mask=mask[:, :2]))
    np.testing.assert_array_equal(short[0, :, 0], [1.0, 9.0, 0.0])
