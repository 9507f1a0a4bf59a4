import numpy as np
import pytest

from minicnn.data import transforms as T
from minicnn.data.resample import crop_resize, resize


@pytest.mark.parametrize(
    "src, name, size", [("x", "up28", (28, 28)), ("x", "down5x7", (5, 7)), ("wide", "wide_to_6x20", (6, 20))]
)
def test_resize_matches_torch_bilinear(golden, src, name, size):
    g = golden("data")
    np.testing.assert_allclose(resize(g[src], size), g[name], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "src, name, size",
    [("x", "down5x7", (5, 7)), ("wide", "wide_to_4x20", (4, 20)), ("big", "big_to_7x9", (7, 9))],
)
def test_antialiased_resize_matches_torch(golden, src, name, size):
    g = golden("data")
    np.testing.assert_allclose(resize(g[src], size, antialias=True), g[f"aa_{name}"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("i", range(4))
def test_crop_resize_is_torch_crop_then_resize(golden, i, antialias):
    """Samples near a box's edge repeat the box's edge pixels, never the pixels beyond it."""
    g = golden("data")
    top, left, h, w = g[f"crop{i}_box"]
    got = crop_resize(g["big"], top, left, h, w, tuple(g[f"crop{i}_size"]), antialias)
    np.testing.assert_allclose(got, g[f"crop{i}_aa{int(antialias)}"], rtol=1e-12, atol=1e-12)


def test_crop_resize_takes_one_box_per_image():
    x = np.random.default_rng(2).uniform(size=(3, 2, 12, 10))
    top, left, h, w = np.array([0, 4, 1]), np.array([2, 0, 5]), np.array([12, 5, 9]), np.array([7, 10, 3])
    both = crop_resize(x, top, left, h, w, (6, 4), antialias=True)
    for n in range(3):
        alone = resize(
            x[n : n + 1, :, top[n] : top[n] + h[n], left[n] : left[n] + w[n]], (6, 4), antialias=True
        )
        np.testing.assert_allclose(both[n : n + 1], alone, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize(
    "shape, size", [((1, 2, 5, 6), (17, 9)), ((2, 1, 5, 1), (9, 1)), ((1, 3, 4, 4), (4, 11))]
)
def test_antialias_changes_nothing_when_enlarging(shape, size):
    x = np.random.default_rng(3).uniform(size=shape)
    np.testing.assert_allclose(resize(x, size, antialias=True), resize(x, size), rtol=1e-13, atol=1e-14)


def test_antialiased_shrinking_by_an_integer_factor_averages_the_blocks():
    """Halving: output i is centred between pixels 2i and 2i + 1, and the filter of
    half-width 2 weighs pixels 2i - 1 .. 2i + 2 by 1/8, 3/8, 3/8, 1/8."""
    x = np.random.default_rng(4).uniform(size=(1, 1, 1, 8))
    out = resize(x, (1, 4), antialias=True)[0, 0, 0]
    r = x[0, 0, 0]
    for i in (1, 2):
        np.testing.assert_allclose(
            out[i], (r[2 * i - 1] + 3 * r[2 * i] + 3 * r[2 * i + 1] + r[2 * i + 2]) / 8
        )
    # at the edges a pixel is missing, and the other three's weights are scaled up to sum to 1
    np.testing.assert_allclose(out[0], (3 * r[0] + 3 * r[1] + r[2]) / 7)
    np.testing.assert_allclose(out[3], (r[5] + 3 * r[6] + 3 * r[7]) / 7)


def test_resize_to_same_size_is_identity_and_keeps_dtype():
    x = np.random.default_rng(0).uniform(size=(3, 2, 7, 5)).astype(np.float32)
    for antialias in (False, True):
        y = resize(x, (7, 5), antialias=antialias)
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y, x)


def test_crop_resize_of_an_integer_box_at_its_own_size_is_the_crop():
    x = np.random.default_rng(1).uniform(size=(4, 3, 10, 12))
    top, left = np.array([0, 1, 2, 3]), np.array([4, 3, 0, 2])
    y = crop_resize(x, top, left, 6, 7, (6, 7))
    for n in range(4):
        np.testing.assert_array_equal(y[n], x[n, :, top[n] : top[n] + 6, left[n] : left[n] + 7])


def test_resize_transforms_antialias_by_default_as_torchvision():
    x = np.random.default_rng(5).uniform(size=(2, 3, 24, 20)).astype(np.float32)
    np.testing.assert_array_equal(T.Resize((6, 5))(x), resize(x, (6, 5), antialias=True))
    np.testing.assert_array_equal(T.Resize((6, 5), antialias=False)(x), resize(x, (6, 5)))
    assert not np.allclose(T.Resize((6, 5))(x), T.Resize((6, 5), antialias=False)(x))
    # scale and ratio of 1 on a square image: the box is the whole image
    square = x[:, :, :20, :20]
    whole = T.RandomResizedCrop(5, scale=(1, 1), ratio=(1, 1))
    np.testing.assert_array_equal(whole(square, np.random.default_rng(0)), resize(square, 5, antialias=True))
    plain = T.RandomResizedCrop(5, scale=(1, 1), ratio=(1, 1), antialias=False)
    np.testing.assert_array_equal(plain(square, np.random.default_rng(0)), resize(square, 5))


@pytest.mark.parametrize(
    "make", [lambda v: T.Resize(4, antialias=v), lambda v: T.RandomResizedCrop(4, antialias=v)]
)
def test_antialias_must_be_a_bool(make):
    with pytest.raises(
        TypeError, match=r"^(Resize|RandomResizedCrop): antialias must be True or False, got 'yes'$"
    ):
        make("yes")
