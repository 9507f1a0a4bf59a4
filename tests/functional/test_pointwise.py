"""maximum, minimum, remainder, division that rounds (div's rounding modes) and the step
functions (sign, floor, ceil, round).

The registry specs (test_registry.py) check them against PyTorch away from ties and jumps and
at the ties of maximum; these tests pin the rules at the edges, with values read from
PyTorch 2.13: the even split of a tie, NaN, the sign of a remainder, zero gradients, dtypes.
"""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

NAN = np.nan
WEIGHTS = [1.0, 2.0, 4.0, 8.0, 16.0]


@pytest.mark.parametrize(
    "name, y, ga, gb",
    [
        ("maximum", [1, 2, 3, NAN, NAN], [0.5, 2, 2, 8, 16], [0.5, 0, 2, 8, 16]),
        ("minimum", [1, 1, 3, NAN, NAN], [0.5, 0, 2, 8, 16], [0.5, 2, 2, 8, 16]),
    ],
)
def test_a_tie_splits_the_gradient_evenly_and_a_nan_gives_it_to_both(t, name, y, ga, gb):
    """As torch.maximum: y is NaN where either side is, and there both sides get gy whole."""
    a = t([1.0, 2.0, 3.0, NAN, 5.0], grad=True)
    b = t([1.0, 1.0, 3.0, 0.0, NAN], grad=True)
    out = getattr(mc, name)(a, b)
    np.testing.assert_array_equal(out.numpy(), y)
    (out * t(WEIGHTS)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ga)
    np.testing.assert_array_equal(b.grad.numpy(), gb)


def test_maximum_dtypes_broadcasting_and_the_two_tensor_form_of_max(t):
    assert mc.maximum(mc.tensor([1, 5]), mc.tensor([3, 2])).tolist() == [3, 5]
    assert mc.maximum(mc.tensor([1, 5]), mc.tensor([3, 2])).dtype == np.int64
    assert mc.maximum(mc.tensor(np.array([1, 5], np.int32)), mc.tensor([3.0, 2.0])).dtype == np.float32
    with pytest.raises(TypeError, match="maximum: the tensors are float32 and float64"):
        mc.maximum(mc.tensor([1.0]), t([1.0]))
    with pytest.raises(TypeError, match="minimum: expected a Tensor on at least one side, got int and int"):
        mc.minimum(1, 2)
    a, b = t([[1.0, 4.0]], grad=True), t([[2.0], [3.0]], grad=True)
    y = mc.max(a, b)  # torch.max(a, b) is the elementwise maximum
    np.testing.assert_array_equal(y.numpy(), [[2, 4], [3, 4]])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 2]])
    np.testing.assert_array_equal(b.grad.numpy(), [[1], [1]])
    assert mc.min(a, b).tolist() == [[1, 2], [1, 3]] and F.maximum is mc.maximum
    assert a.maximum(b).shape == a.minimum(b).shape == (2, 2)


def test_remainder_takes_the_divisors_sign_as_python(t):
    a = t([5.5, -5.5, 5.5, -5.5, 3.0], grad=True)
    b = t([2.0, 2.0, -2.0, -2.0, 1.5], grad=True)
    y = a % b
    np.testing.assert_array_equal(y.numpy(), [1.5, 0.5, -0.5, -1.5, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1, 1, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [-2, 3, 3, -2, -2])  # -floor(a / b)
    assert (mc.tensor([5, -5]) % 3).tolist() == [2, 1]
    assert (5 % mc.tensor([3, -3])).tolist() == [2, -1]
    assert mc.remainder(mc.tensor([5, -5]), 2.5).tolist() == [0.0, 0.0]
    assert mc.tensor([5, -5]).remainder(3).dtype == np.int64
    assert np.isnan((mc.tensor([1.0, 2.0]) % 0.0).numpy()).all()
    with pytest.raises(ZeroDivisionError, match="remainder: integer division by zero"):
        mc.tensor([5]) % 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_zero_remainder_keeps_the_dividends_sign_as_pytorch(t, dtype):
    """torch.remainder is fmod(a, b) (a's sign) plus b where the signs differ: a zero result
    keeps a's sign (-2.0 % 2.0 is -0.0), where NumPy's remainder gives b's (0.0)."""
    inf = np.inf
    a = t([-2.0, 2.0, -0.0, 0.0, -4.0, 4.0, 0.0, -0.0, 1.0, -1.0], dtype=dtype)
    b = t([2.0, -2.0, 2.0, -2.0, 2.0, -2.0, -inf, -inf, -inf, inf], dtype=dtype)
    expected = np.array([-0.0, 0.0, -0.0, 0.0, -0.0, 0.0, 0.0, -0.0, -inf, inf])  # PyTorch 2.13's
    for y in (a % b, mc.remainder(a, b), a.remainder(b)):
        np.testing.assert_array_equal(y.numpy(), expected)
        np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(expected))
    assert np.signbit((-6.0 % mc.tensor([3.0], dtype=dtype)).numpy()).all()  # a number on the left
    x = a.detach().clone()
    x %= b  # in place, the same
    np.testing.assert_array_equal(np.signbit(x.numpy()), np.signbit(expected))
    n = mc.tensor([-3.0, 3.0], dtype=dtype)
    n %= 1.5
    np.testing.assert_array_equal(np.signbit(n.numpy()), [True, False])


def test_a_number_modulo_a_tensor_has_the_gradient_of_the_divisor():
    """PyTorch has no derivative for 5.0 % b; minicnn gives the one of tensor % tensor."""
    b = mc.tensor(np.array([1.5, -2.0, 3.0, 0.7]), requires_grad=True)
    assert mc.gradcheck(lambda b: 5.0 % b, [b])
    (5.0 % b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [-3, 3, -1, -7])


def test_remainder_in_place(t):
    x = mc.tensor([5, -5, 7])
    x %= 3
    assert x.tolist() == [2, 1, 1]
    with pytest.raises(ZeroDivisionError, match="%=: integer division by zero"):
        x %= 0
    w = t([5.5, -1.0], grad=True)
    with pytest.raises(RuntimeError, match=r"in-place operation \(%=\)"):
        w %= 2
    with mc.no_grad():
        w %= 2
    np.testing.assert_array_equal(w.numpy(), [1.5, 1.0])


STEPS_AT = [-1.5, -0.0, 0.0, 0.5, 1.5, 2.5, NAN]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("sign", [-1, 0, 0, 1, 1, 1, 0]),  # 0 for NaN, as PyTorch
        ("floor", [-2, -0.0, 0, 0, 1, 2, NAN]),
        ("ceil", [-1, -0.0, 0, 1, 2, 3, NAN]),
        ("round", [-2, -0.0, 0, 0, 2, 2, NAN]),  # halves to even
    ],
)
def test_step_functions_record_a_zero_gradient_as_pytorch(t, name, expected):
    x = t(STEPS_AT, grad=True)
    y = getattr(mc, name)(x)
    np.testing.assert_array_equal(y.numpy(), expected)
    assert y.requires_grad and type(y.grad_fn).__name__ == name.capitalize()
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(7))
    assert getattr(x, name)().dtype == np.float64


def test_sign_of_minus_zero_is_plus_zero_and_integers_keep_their_dtype():
    assert not np.signbit(mc.sign(mc.tensor(-0.0)).item())
    ints = mc.tensor([-2, 0, 3])
    assert mc.sign(ints).tolist() == [-1, 0, 1] and mc.sign(ints).dtype == np.int64
    for name in ("floor", "ceil", "round"):
        assert getattr(mc, name)(ints).tolist() == [-2, 0, 3]
        assert getattr(mc, name)(ints).dtype == np.int64
    assert mc.sign(mc.tensor([True, False])).tolist() == [True, False]
    with pytest.raises(TypeError, match="floor: input must be a minicnn Tensor, got list"):
        mc.floor([1.5])


def test_round_to_decimals_as_pytorch(t):
    x = t([1.2345, -1.2355, 125.0, 135.0])
    np.testing.assert_array_equal(mc.round(x, decimals=2).numpy(), [1.23, -1.24, 125.0, 135.0])
    np.testing.assert_array_equal(x.round(decimals=-1).numpy(), [0.0, -0.0, 120.0, 140.0])
    with pytest.raises(TypeError, match="round: decimals=1 needs a floating-point tensor, got int64"):
        mc.round(mc.tensor([15, 24]), decimals=1)
    with pytest.raises(TypeError, match="round: decimals must be an int, got 0.5"):
        mc.round(x, decimals=0.5)


@pytest.mark.parametrize("mode, grad_fn", [("floor", "FloorDiv"), ("trunc", "TruncDiv")])
def test_rounded_division_records_a_zero_gradient_for_both_sides_as_pytorch(t, mode, grad_fn):
    a, b = t([7.5, -7.5, 1.0], grad=True), t([2.0, 2.0, -4.0], grad=True)
    y = F.div(a, b, rounding_mode=mode)
    assert y.requires_grad and type(y.grad_fn).__name__ == grad_fn
    want = {"floor": [3.0, -4.0, -1.0], "trunc": [3.0, -3.0, -0.0]}[mode]
    np.testing.assert_array_equal(y.numpy(), want)
    np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(want))
    (y * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(3))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(3))
    c = t([[1.0], [2.0]], grad=True)
    F.div(c, t([3.0, 4.0]), rounding_mode=mode).sum().backward()  # broadcast: c's own shape
    assert c.grad.shape == (2, 1)


def test_rounded_division_keeps_integers_and_true_division_is_the_default(t):
    a = mc.tensor([7, -7])
    assert a.div(2, rounding_mode="floor").tolist() == [3, -4]
    assert F.div(a, 2, rounding_mode="trunc").dtype == np.int64
    assert F.div(-7, mc.tensor([2, -2]), rounding_mode="floor").tolist() == [-4, 3]  # a number on the left
    assert a.div(2).tolist() == [3.5, -3.5] and a.div(2).dtype == np.float32
    assert a.div(2, rounding_mode=None).tolist() == [3.5, -3.5]
    assert (
        mc.tensor([7.0, -7.0]).div(2.0, rounding_mode="floor").tolist()
        == (mc.tensor([7.0, -7.0]) // 2).tolist()
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.div(mc.tensor([1.0]), 2.0, rounding_mode="round"),
            ValueError,
            r"div: rounding_mode must be None, 'trunc' or 'floor', got 'round'$",
        ),
        (
            lambda: mc.tensor([5, 6]).div(mc.tensor([1, 0]), rounding_mode="trunc"),
            ZeroDivisionError,
            r"div: integer division by zero$",
        ),
        (
            lambda: F.div([2.0], 3.0, rounding_mode="floor"),
            TypeError,
            r"div: expected a Tensor on at least one side, got list and float$",
        ),
        (
            lambda: mc.tensor([1.0]).div_(2.0, rounding_mode="up"),
            ValueError,
            r"div_\(\): rounding_mode must be None, 'trunc' or 'floor', got 'up'$",
        ),
    ],
)
def test_rounded_division_refuses_bad_input_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_rounded_div_names_div_in_its_dtype_error_and_refuses_two_bools():
    with pytest.raises(TypeError, match=r"^div: the tensors are float32 and float64"):
        mc.tensor([7.0]).div(mc.tensor([2.0], dtype=mc.float64), rounding_mode="trunc")
    with pytest.raises(TypeError, match=r"^div: rounding_mode='floor' does not divide two bool tensors"):
        mc.tensor([True, False]).div(mc.tensor([True, True]), rounding_mode="floor")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8])
def test_the_smallest_integer_divided_by_minus_one_wraps_silently(dtype):
    """PyTorch's floor (and its int8 and int16 trunc) give the smallest integer back, with no
    warning, where NumPy warns of an overflow. (PyTorch 2.13's int32 and int64 trunc die of a
    hardware division trap there; minicnn gives them the same wrapped quotient.)"""
    lowest = np.iinfo(dtype).min
    x = mc.tensor(np.array([lowest, lowest + 1, 7], dtype))
    want = [lowest, -(lowest + 1), -7]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mode in ("floor", "trunc"):
            assert x.div(-1, rounding_mode=mode).tolist() == want
            assert x.clone().div_(mc.tensor(np.array(-1, dtype)), rounding_mode=mode).tolist() == want
        assert (x // -1).tolist() == want and mc.floor_divide(x, -1).dtype == dtype
        y = x.clone()
        y //= -1
        assert y.tolist() == want and (x % -1).tolist() == [0, 0, 0]


def test_div_is_at_the_top_level_as_torch_div():
    assert mc.div(7, mc.tensor([2, -2]), rounding_mode="trunc").tolist() == [3, -3]
    assert mc.div(mc.tensor([1.0, 2.0]), 2).tolist() == [0.5, 1.0]


def test_where_takes_torchs_keywords_condition_input_and_other():
    """torch.where(condition, input, other) and x.where(condition, other), keywords included."""
    rng = np.random.default_rng(351)
    c = mc.tensor(rng.random(4) > 0.5)
    x, y = mc.tensor(rng.standard_normal(4)), mc.tensor(rng.standard_normal(4))
    expected = np.where(c.numpy(), x.numpy(), y.numpy())
    for got in (
        mc.where(c, input=x, other=y),
        mc.where(condition=c, input=x, other=y),
        F.where(c, x, other=y),
        x.where(c, other=y),
        x.where(condition=c, other=y),
    ):
        np.testing.assert_array_equal(got.numpy(), expected)
    with pytest.raises(TypeError):
        mc.where(c, x, b=y)  # minicnn's old name, which torch does not take
