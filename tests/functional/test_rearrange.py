"""pixel_shuffle, pixel_unshuffle, channel_shuffle and unflatten beyond the golden cases of
tests/fixtures/gen_layers.py: where each value goes, that each undoes its inverse, any dtype,
and what they refuse."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_pixel_shuffle_puts_each_channel_group_into_blocks():
    # PyTorch's numbers: channel c r^2 + i r + j goes to row offset i, column offset j
    y = F.pixel_shuffle(mc.arange(16.0).reshape(1, 4, 2, 2), 2)
    assert y.tolist() == [[[[0, 4, 1, 5], [8, 12, 9, 13], [2, 6, 3, 7], [10, 14, 11, 15]]]]


def test_pixel_unshuffle_undoes_pixel_shuffle_and_back(rng):
    x = mc.tensor(rng.standard_normal((2, 3, 18, 4, 5)))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 3), 3).numpy(), x.numpy())
    z = mc.tensor(rng.standard_normal((2, 2, 6, 9)))
    np.testing.assert_array_equal(F.pixel_shuffle(F.pixel_unshuffle(z, 3), 3).numpy(), z.numpy())


def test_channel_shuffle_transposes_the_group_grid_and_the_other_factor_undoes_it(rng):
    assert F.channel_shuffle(mc.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    assert F.channel_shuffle(mc.arange(6.0).reshape(1, 6, 1), 3).flatten().tolist() == [0, 2, 4, 1, 3, 5]
    x = mc.tensor(rng.standard_normal((2, 12, 3)))
    np.testing.assert_array_equal(F.channel_shuffle(F.channel_shuffle(x, 3), 4).numpy(), x.numpy())


def test_the_shuffles_move_any_dtype_and_empty_dims():
    ints = mc.arange(16).reshape(1, 4, 2, 2)
    assert F.pixel_shuffle(ints, 2).dtype == np.int64
    assert F.channel_shuffle(ints, 2).dtype == np.int64
    assert F.pixel_shuffle(mc.zeros(2, 0, 4, 2, 2), 2).shape == (2, 0, 1, 4, 4)
    assert F.channel_shuffle(mc.zeros(0, 6, 2), 3).shape == (0, 6, 2)
    # the shape formula for empty input too (PyTorch's pixel_unshuffle returns it unchanged)
    x = mc.zeros(0, 1, 2, 2, requires_grad=True)
    y = F.pixel_unshuffle(x, 2)
    y.sum().backward()
    assert y.shape == (0, 4, 1, 1) and x.grad.shape == (0, 1, 2, 2)
    assert F.pixel_unshuffle(mc.zeros(2, 0, 3, 6), 3).shape == (2, 0, 1, 2)


def test_unflatten_splits_one_dim_and_infers_a_minus_one(rng):
    x = mc.tensor(rng.standard_normal((3, 12, 2)), requires_grad=True)
    y = F.unflatten(x, 1, (2, -1, 3))
    assert y.shape == (3, 2, 2, 3, 2) and x.unflatten(-2, [4, 3]).shape == (3, 4, 3, 2)
    np.testing.assert_array_equal(y.numpy().reshape(3, 12, 2), x.numpy())
    assert mc.unflatten(mc.zeros(0, 6), 1, (2, 3)).shape == (0, 2, 3)
    assert mc.unflatten(mc.zeros(4, 0), 1, (-1, 3)).shape == (4, 0, 3)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.pixel_shuffle(mc.zeros(2, 4), 2),
            ValueError,
            r"^pixel_shuffle: expects input to have at least 3",
        ),
        (
            lambda: F.pixel_shuffle(mc.zeros(1, 3, 2, 2), 2),
            ValueError,
            r"divisible by the square of upscale_factor, 4, got 3",
        ),
        (
            lambda: F.pixel_shuffle(mc.zeros(1, 4, 2, 2), 0),
            ValueError,
            r"expects a positive upscale_factor, but got 0",
        ),
        (
            lambda: F.pixel_shuffle(mc.zeros(1, 4, 2, 2), 2.0),
            TypeError,
            r"upscale_factor must be an int, got float",
        ),
        (lambda: F.pixel_shuffle(np.zeros((1, 4, 2, 2)), 2), TypeError, r"input must be a minicnn Tensor"),
        (
            lambda: F.pixel_unshuffle(mc.zeros(1, 1, 3, 6), 2),
            ValueError,
            r"expects height to be divisible by downscale_factor 2, got 3",
        ),
        (lambda: F.pixel_unshuffle(mc.zeros(1, 1, 4, 5), 2), ValueError, r"expects width to be divisible"),
        (
            lambda: F.pixel_unshuffle(mc.zeros(1, 1, 4, 4), -1),
            ValueError,
            r"positive downscale_factor, but got -1",
        ),
        (
            lambda: F.channel_shuffle(mc.zeros(1, 6), 3),
            ValueError,
            r"^channel_shuffle: expects input with more than 2 dims",
        ),
        (lambda: F.channel_shuffle(mc.zeros(1, 6, 1), 4), ValueError, r"got 6 channel\(s\) and 4 groups"),
        (
            lambda: F.channel_shuffle(mc.zeros(1, 6, 1), 0),
            ValueError,
            r"positive number of groups, but got 0",
        ),
        (
            lambda: F.unflatten(mc.zeros(4, 6), 1, (2, 4)),
            ValueError,
            r"sizes \(2, 4\) don't multiply up to the size of dim 1 \(6\)",
        ),
        (lambda: F.unflatten(mc.zeros(4, 6), 1, (-1, -1)), ValueError, r"may hold one -1"),
        (
            lambda: F.unflatten(mc.zeros(4, 6), 1, (-2, -3)),
            ValueError,
            r"may hold one -1 \(inferred\), and other sizes >= 0",
        ),
        (lambda: F.unflatten(mc.zeros(4, 0), 1, (-1, 0)), ValueError, r"don't multiply up"),
        (lambda: F.unflatten(mc.zeros(4, 6), 1, ()), ValueError, r"sizes must be non-empty"),
        (
            lambda: F.unflatten(mc.zeros(4, 6), 1, 6),
            TypeError,
            r"must be a tuple of ints, but found type int",
        ),
        (
            lambda: F.unflatten(mc.zeros(4, 6), 1, (2.0, 3)),
            TypeError,
            r"found element of type float at pos 0",
        ),
        (lambda: F.unflatten(mc.zeros(4, 6), 2, (2, 3)), IndexError, r"dimension out of range"),
        (lambda: F.unflatten(mc.tensor(2.0), 0, (1, 1)), IndexError, r"a 0-d input has no dim to split"),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()
