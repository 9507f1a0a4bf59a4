"""PixelShuffle, PixelUnshuffle, ChannelShuffle and Unflatten: PyTorch's printing and
arguments, refusals at construction, errors naming the layer (their numbers:
tests/fixtures/gen_layers.py)."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn


def test_they_print_as_pytorchs():
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"
    assert repr(nn.ChannelShuffle(4)) == "ChannelShuffle(groups=4)"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    assert repr(nn.Unflatten(-1, [2, 3])) == "Unflatten(dim=-1, unflattened_size=[2, 3])"


def test_a_sub_pixel_upsampler_and_its_inverse(rng):
    x = mc.tensor(rng.standard_normal((2, 3, 5, 4)))
    up = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1).double(), nn.PixelShuffle(2))
    y = up(x)
    assert y.shape == (2, 2, 10, 8)
    assert nn.PixelUnshuffle(2)(y).shape == (2, 8, 5, 4)
    assert nn.Unflatten(1, (2, 5, 4))(nn.Flatten()(x[:, :2])).shape == (2, 2, 5, 4)
    np.testing.assert_array_equal(nn.ChannelShuffle(3)(x).numpy(), x.numpy()[:, [0, 1, 2]])  # 3 groups of 1


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda: nn.PixelShuffle(0),
            ValueError,
            r"^PixelShuffle: upscale_factor must be a positive int, got 0",
        ),
        (
            lambda: nn.PixelUnshuffle(2.0),
            ValueError,
            r"^PixelUnshuffle: downscale_factor must be a positive int",
        ),
        (
            lambda: nn.ChannelShuffle(-1),
            ValueError,
            r"^ChannelShuffle: groups must be a positive int, got -1",
        ),
        (
            lambda: nn.Unflatten(1, 6),
            TypeError,
            r"^Unflatten: unflattened_size must be a tuple of ints, but found type int",
        ),
        (lambda: nn.Unflatten(1, (2, None)), TypeError, r"found element of type NoneType at pos 1"),
        (lambda: nn.Unflatten(1, (2, np.int64(3))), TypeError, r"found element of type numpy.int64 at pos 1"),
        (lambda: nn.Unflatten("features", (2, 3)), TypeError, r"^Unflatten: dim must be an int, got str"),
    ],
)
def test_bad_arguments_are_refused_at_construction(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_bad_input_is_refused_naming_the_layer():
    model = nn.Sequential(nn.PixelShuffle(2), nn.ChannelShuffle(3), nn.Unflatten(1, (2, 2)))
    with pytest.raises(ValueError, match=r"^PixelShuffle at '0': expects its input's channel dimension"):
        model(mc.zeros(1, 6, 2, 2))
    with pytest.raises(ValueError, match=r"^ChannelShuffle at '1': the number of channels must be divisible"):
        model(mc.zeros(1, 8, 2, 2))
    with pytest.raises(ValueError, match=r"^Unflatten at '2': sizes \(2, 2\) don't multiply up"):
        model(mc.zeros(1, 12, 2, 2))
