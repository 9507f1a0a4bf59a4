import numpy as np
import pytest

from minicnn.data.resample import crop_resize, resize


@pytest.mark.parametrize(
    "src, name, size", [("x", "up28", (28, 28)), ("x", "down5x7", (5, 7)), ("wide", "wide_to_6x20", (6, 20))]
)
def test_resize_matches_torch_bilinear(golden, src, name, size):
    g = golden("data")
    np.testing.assert_allclose(resize(g[src], size), g[name], rtol=1e-12, atol=1e-12)


def test_resize_to_same_size_is_identity_and_keeps_dtype():
    x = np.random.default_rng(0).uniform(size=(3, 2, 7, 5)).astype(np.float32)
    y = resize(x, (7, 5))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, x)


def test_crop_resize_of_an_integer_box_at_its_own_size_is_the_crop():
    x = np.random.default_rng(1).uniform(size=(4, 3, 10, 12))
    top, left = np.array([0, 1, 2, 3]), np.array([4, 3, 0, 2])
    y = crop_resize(x, top, left, 6, 7, (6, 7))
    for n in range(4):
        np.testing.assert_array_equal(y[n], x[n, :, top[n] : top[n] + 6, left[n] : left[n] + 7])
