"""flip and roll beyond the registry (tests/fixtures/gen_basic.py holds their gradient checks
and PyTorch's numbers, on floats, integers, bools and 0-d tensors): copies not views, the
method's ways of giving dims, the kernel turned 180 degrees, and what PyTorch refuses."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_flip_and_roll_return_copies_as_pytorch(rng):
    """A write to the result does not reach the input (NumPy's flip alone would be a view)."""
    a = rng.standard_normal((2, 3))
    x = mc.tensor(a)
    for y in (x.flip((0, 1)), x.flip(()), x.roll(0), x.roll(3, 1)):
        y[0, 0] = 100.0
        np.testing.assert_array_equal(x.numpy(), a)


def test_the_method_takes_dims_one_by_one_as_a_sequence_or_by_name(rng):
    x = mc.tensor(rng.standard_normal((2, 3, 4)))
    want = x.numpy()[::-1, :, ::-1]
    for y in (
        x.flip(0, 2),
        x.flip(2, 0),
        x.flip((0, 2)),
        x.flip([-1, 0]),
        x.flip(dims=(0, 2)),
        F.flip(x, (0, 2)),
    ):
        np.testing.assert_array_equal(y.numpy(), want)
    np.testing.assert_array_equal(x.flip(1).numpy(), x.numpy()[:, ::-1])
    with pytest.raises(TypeError, match="dims"):
        x.flip()


def test_roll_without_dims_rolls_the_flattened_tensor_and_keeps_its_shape(rng):
    x = mc.tensor(rng.standard_normal((3, 4)))
    want = np.roll(x.numpy().reshape(-1), 5).reshape(3, 4)
    for y in (mc.roll(x, 5), x.roll((5,)), mc.roll(x, 5, ()), F.roll(x, [17], dims=None), x.roll(-7)):
        assert y.shape == (3, 4)
        np.testing.assert_array_equal(y.numpy(), want)


def test_roll_by_a_huge_shift_is_the_shift_modulo_the_size(rng):
    x = mc.tensor(rng.standard_normal((2, 5)), requires_grad=True)
    y = x.roll(2**62 + 3, 1)  # 2**62 = 4 (mod 5)
    np.testing.assert_array_equal(y.numpy(), np.roll(x.numpy(), 2, 1))
    y.backward(mc.tensor(np.arange(10.0).reshape(2, 5)))
    np.testing.assert_array_equal(x.grad.numpy(), np.roll(np.arange(10.0).reshape(2, 5), -2, 1))


def test_roll_hands_the_array_library_one_shift_per_dim_in_ascending_order(rng):
    """CuPy's roll sorts the dims it is given without their shifts, and may refuse a dim named
    twice: the Function gets each dim once, in order, its shifts added up (modulo its size)."""
    x = mc.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    y = mc.roll(x, (1, -2, 2, 7), (2, 0, -1, 1))
    assert (y.grad_fn.dims, y.grad_fn.shifts) == ((0, 1, 2), (0, 1, 3))
    np.testing.assert_array_equal(y.numpy(), np.roll(x.numpy(), (1, -2, 2, 7), (2, 0, -1, 1)))


def test_a_convolutions_input_gradient_is_a_correlation_with_the_kernel_turned_180_degrees(rng):
    """At stride 1: gx = conv2d(gy padded by k - 1, w.flip((2, 3)).transpose(0, 1)), the kernel
    turned in its two spatial axes and its in and out channels swapped (docs/ops/conv2d.md)."""
    x = mc.tensor(rng.standard_normal((2, 3, 6, 7)), requires_grad=True)
    w = mc.tensor(rng.standard_normal((4, 3, 3, 2)))
    gy = mc.tensor(rng.standard_normal((2, 4, 4, 6)))
    F.conv2d(x, w).backward(gy)
    turned = w.flip((2, 3)).transpose(0, 1)
    np.testing.assert_allclose(F.conv2d(F.pad(gy, (1, 1, 2, 2)), turned).numpy(), x.grad.numpy(), rtol=1e-10)


def _t(shape=(2, 3)):
    return mc.tensor(np.arange(float(np.prod(shape))).reshape(shape))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: mc.flip(_t(), 0), TypeError, r"flip: dims must be a tuple or list of ints, got int 0 \("),
        (lambda: mc.flip(_t(), None), TypeError, r"flip: dims must be a tuple or list of ints, got NoneType"),
        (lambda: mc.flip(_t(), (0, -2)), ValueError, r"flip: dim 0 appears more than once in the dims given"),
        (
            lambda: mc.flip(_t(), (2,)),
            IndexError,
            r"flip: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
        ),
        (
            lambda: mc.flip(_t(()), (1,)),
            IndexError,
            r"flip: dimension out of range \(expected to be in range of \[-1, 0\]",
        ),
        (lambda: mc.flip(_t(), (0.5,)), TypeError, r"flip: dim must be an int, got float 0.5"),
        (lambda: mc.flip(_t(), (True,)), TypeError, r"flip: dim must be an int, got bool True"),
        (
            lambda: mc.flip(np.ones(2), (0,)),
            TypeError,
            r"flip: input must be a minicnn Tensor, got numpy\.ndarray",
        ),
        (
            lambda: mc.roll(_t(), 1.5),
            TypeError,
            r"roll: shifts must be an int or a tuple of ints, got float 1.5$",
        ),
        (lambda: mc.roll(_t(), True), TypeError, r"roll: shifts must be an int or a tuple of ints, got bool"),
        (
            lambda: mc.roll(_t(), None),
            TypeError,
            r"roll: shifts must be an int or a tuple of ints, got NoneType",
        ),
        (lambda: mc.roll(_t(), ()), ValueError, r"roll: shifts must hold at least one int, got \(\)$"),
        (
            lambda: mc.roll(_t(), (1, 2)),
            ValueError,
            r"roll: without dims the flattened tensor takes one shift, got shifts \(1, 2\)$",
        ),
        (
            lambda: mc.roll(_t(), 1, (0, 1)),
            ValueError,
            r"roll: shifts \(1,\) and dims \(0, 1\) must pair up, one shift per dim$",
        ),
        (lambda: mc.roll(_t(), (1, 2), 0), ValueError, r"roll: shifts \(1, 2\) and dims \(0,\) must pair up"),
        (
            lambda: mc.roll(_t(), 1, 2),
            IndexError,
            r"roll: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
        ),
        (
            lambda: mc.roll(_t(), 1, 0.5),
            TypeError,
            r"roll: dims must be an int or a tuple of ints, got float 0.5$",
        ),
        (
            lambda: mc.roll(_t(()), 1, 0),
            IndexError,
            r"roll: dim 0 given, but a 0-d tensor has no dimensions$",
        ),
        (lambda: mc.roll([1.0], 1), TypeError, r"roll: input must be a minicnn Tensor, got list"),
    ],
)
def test_what_pytorch_refuses_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match="^" + message) as info:
        call()
    assert "\n" not in str(info.value)
