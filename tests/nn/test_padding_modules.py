"""The padding layers: PyTorch's names, printing and arguments, and the refusals at
construction and at the input (their numbers: tests/fixtures/gen_layers.py)."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn


def test_they_print_as_pytorchs():
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ZeroPad2d([1, 2, 3, 4])) == "ZeroPad2d((1, 2, 3, 4))"
    assert repr(nn.ConstantPad2d(2, 3.5)) == "ConstantPad2d(padding=(2, 2, 2, 2), value=3.5)"
    assert repr(nn.ReflectionPad2d((1, 0, 2, 0))) == "ReflectionPad2d((1, 0, 2, 0))"
    assert repr(nn.ReplicationPad2d(1)) == "ReplicationPad2d((1, 1, 1, 1))"
    assert repr(nn.CircularPad2d(1)) == "CircularPad2d((1, 1, 1, 1))"


def test_each_pads_width_then_height_in_its_mode(rng):
    x = mc.tensor(rng.standard_normal((2, 3, 4, 5)))
    for layer, mode, value in (
        (nn.ZeroPad2d((1, 2, 0, 3)), "constant", None),
        (nn.ConstantPad2d((1, 2, 0, 3), -2.0), "constant", -2.0),
        (nn.ReflectionPad2d((1, 2, 0, 3)), "reflect", None),
        (nn.ReplicationPad2d((1, 2, 0, 3)), "replicate", None),
        (nn.CircularPad2d((1, 2, 0, 3)), "circular", None),
    ):
        y = layer(x)
        assert y.shape == (2, 3, 7, 8), type(layer).__name__
        np.testing.assert_array_equal(y.numpy(), mc.functional.pad(x, (1, 2, 0, 3), mode, value).numpy())
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d) and not list(nn.ZeroPad2d(1).parameters())


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda: nn.ZeroPad2d((1, 2)),
            TypeError,
            r"^ZeroPad2d: padding must be an int or 4 ints \(left, right, top, bottom\), got \(1, 2\)",
        ),
        (lambda: nn.ReflectionPad2d(1.5), TypeError, r"^ReflectionPad2d: padding must be an int or 4 ints"),
        (lambda: nn.ReplicationPad2d(True), TypeError, r"got True"),
        (lambda: nn.ConstantPad2d(1, "zero"), TypeError, r"^ConstantPad2d: value must be a real number"),
        (lambda: nn.ConstantPad2d(1), TypeError, r"value"),
    ],
)
def test_bad_arguments_are_refused_at_construction(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_bad_input_is_refused_naming_the_layer():
    model = nn.Sequential(nn.ReflectionPad2d(4))
    with pytest.raises(
        ValueError, match=r"^ReflectionPad2d at '0': reflect needs amounts below the dim's size 3"
    ):
        model(mc.zeros(1, 1, 3, 5))
    with pytest.raises(NotImplementedError, match=r"^ReplicationPad2d: mode 'replicate' takes 2 amounts"):
        nn.ReplicationPad2d(1)(mc.zeros(1, 1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"^CircularPad2d: expected 3D or 4D input \(got 2D input\)"):
        nn.CircularPad2d(1)(mc.zeros(3, 3))
    assert nn.ZeroPad2d(1)(mc.zeros(3, 3)).shape == (5, 5)  # constant takes any rank, as PyTorch's
