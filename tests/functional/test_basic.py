"""Arithmetic, elementwise math, activations and linear: behaviour beyond the registry
(whose specs test_registry.py checks against gradients, PyTorch and both dtypes)."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

# --- behaviour beyond the registry ------------------------------------------------


def test_numpy_array_on_the_left_gives_a_tensor():
    x = mc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, mc.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_only_requested_gradients_are_computed():
    a = mc.tensor(np.ones((2, 3)), requires_grad=True)
    b = mc.tensor(np.full((2, 3), 2.0))
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 3), 2.0))
    assert b.grad is None


def test_the_exponents_gradient_at_bases_without_a_real_log_follows_pytorch():
    """d(a**b)/db = a**b log(a): NaN where a < 0, 0 where a == 0 and b >= 0 (the limit),
    and y log(0) = inf * -inf = -inf where a == 0 and b < 0."""
    a = mc.tensor(np.array([-2.0, 0.0, 0.0, 2.0, 0.0]))
    b = mc.tensor(np.array([2.0, 2.0, 0.0, 3.0, -1.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        (a**b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [np.nan, 0.0, 0.0, 8 * np.log(2.0), -np.inf])


def test_clamp_passes_no_gradient_at_its_bounds():
    # PyTorch's rule (2.14): only x strictly inside gets the gradient, as relu's corner gets none
    x = mc.tensor(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), requires_grad=True)
    x.clamp(min=0.0, max=1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1, 0, 0])


def test_relu_and_abs_gradient_at_zero_is_zero():
    x = mc.tensor(np.array([0.0]), requires_grad=True)
    (F.relu(x) + x.abs()).sum().backward()
    assert x.grad.item() == 0.0


def test_sigmoid_does_not_overflow():
    x = mc.tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = F.sigmoid(x)
        y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0.0, 1.0])


def test_clamp_without_bounds_raises():
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        mc.tensor([1.0]).clamp()


def test_linear_shape_mismatch_names_both_shapes():
    x, w = mc.randn(2, 5), mc.randn(3, 4)
    with pytest.raises(
        ValueError,
        match=r"linear: x has 5 features but weight expects 4; "
        r"x \(2, 5\), weight \(3, 4\)",
    ):
        F.linear(x, w)


@pytest.mark.parametrize("x_shape", [(3, 0), (2, 3, 0), (0, 0)])
def test_linear_with_no_input_features_gives_the_bias_as_pytorch(x_shape, rng):
    """y[..., o] = (an empty sum) + bias[o]: torch 2.13 gives the bias, or zeros without one;
    the gradients are as empty as x and weight, and bias's is gy summed over the rows."""
    x, w = mc.zeros(*x_shape, requires_grad=True), mc.zeros(5, 0, requires_grad=True)
    b = mc.tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True)
    y = F.linear(x, w, b)
    assert y.shape == (*x_shape[:-1], 5)
    np.testing.assert_array_equal(y.numpy(), np.broadcast_to(b.numpy(), y.shape))
    gy = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(mc.tensor(gy))
    assert x.grad.shape == x_shape and w.grad.shape == (5, 0)
    np.testing.assert_allclose(b.grad.numpy(), gy.reshape(-1, 5).sum(axis=0), rtol=1e-6)
    assert F.linear(mc.zeros(*x_shape), mc.zeros(5, 0)).tolist() == np.zeros((*x_shape[:-1], 5)).tolist()


@pytest.mark.parametrize("x_shape", [(1, 400), (1, 1, 120)], ids=["one row", "one row under two axes"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linears_weight_gradient_of_one_row_is_the_gemms(x_shape, dtype):
    """Of one row gW is an outer product, taken as a broadcast product: the GEMM's values."""
    rng = np.random.default_rng(5301)
    x = mc.tensor(rng.standard_normal(x_shape).astype(dtype))
    w = mc.tensor(rng.standard_normal((84, x_shape[-1])).astype(dtype), requires_grad=True)
    gy = rng.standard_normal((*x_shape[:-1], 84)).astype(dtype)
    F.linear(x, w).backward(mc.tensor(gy))
    want = np.matmul(gy.reshape(1, 84).T, x.numpy().reshape(1, -1))
    assert w.grad.dtype == dtype and w.grad.shape == (84, x_shape[-1])
    np.testing.assert_array_equal(w.grad.numpy(), want)


def test_linear_with_no_output_features_gives_an_empty_output(rng):
    x = mc.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    w = mc.zeros(0, 4, requires_grad=True)
    y = F.linear(x, w, mc.zeros(0))
    assert y.shape == (3, 0)
    y.backward(mc.zeros(3, 0))
    assert x.grad.tolist() == np.zeros((3, 4)).tolist() and w.grad.shape == (0, 4)


def test_add_sub_and_mul_are_at_the_top_level_as_torchs():
    assert mc.add is F.add and mc.sub is F.sub and mc.mul is F.mul
    a, b = mc.tensor([1.0, 2.0]), mc.tensor([10.0, 20.0])
    assert mc.add(a, b, alpha=0.5).tolist() == [6.0, 12.0] and mc.sub(a, b, alpha=0.5).tolist() == [
        -4.0,
        -8.0,
    ]
    assert a.add(b, alpha=2).tolist() == [21.0, 42.0] and a.sub(1, alpha=-1).tolist() == [2.0, 3.0]
    assert mc.mul(a, b).tolist() == [10.0, 40.0]


def test_alpha_keeps_the_dtype_and_scales_the_gradient_of_b_alone(t):
    a, b = t([1.0, 2.0], grad=True), t([3.0], grad=True)
    y = mc.sub(a, b, alpha=2.5)
    (y * t([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 10.0])
    np.testing.assert_array_equal(b.grad.numpy(), [-27.5])
    x = mc.tensor([1.0], requires_grad=True)
    assert mc.add(x, 1, alpha=0.1).item() == np.float32(1.1)  # alpha in float32, as PyTorch's
    assert mc.add(mc.tensor([1], dtype=mc.int32), mc.tensor([True]), alpha=2).dtype == mc.int32
    assert mc.add(mc.tensor([True, False]), mc.tensor([False, False]), alpha=0).tolist() == [True, False]


def test_a_0d_tensor_alpha_counts_as_the_number_it_holds_as_pytorch():
    """torch.add(a, b, alpha=torch.tensor(2.0)) takes the tensor as its number, under the
    number's rules (values read from PyTorch 2.13)."""
    a, b = mc.tensor([1.0, 2.0]), mc.tensor([1.0, 1.0])
    assert mc.add(a, b, alpha=mc.tensor(2.0)).tolist() == [3.0, 4.0]
    assert mc.sub(a, b, alpha=mc.tensor(2)).tolist() == [-1.0, 0.0]
    assert a.add(b, alpha=mc.tensor(3, dtype=mc.uint8)).tolist() == [4.0, 5.0]
    i = mc.tensor([1, 2])
    y = mc.add(i, mc.tensor([1, 1]), alpha=mc.tensor(2))
    assert y.tolist() == [3, 4] and y.dtype == mc.int64
    u8 = mc.tensor([1], dtype=mc.uint8)
    assert mc.add(u8, u8, alpha=mc.tensor(-1)).tolist() == [0]  # -1 is 255 in uint8
    assert mc.add(mc.tensor([True]), mc.tensor([True]), alpha=mc.tensor(True)).tolist() == [True]
    x = mc.tensor([1.0, 2.0])
    x.add_(b, alpha=mc.tensor(2.0))
    x.sub_(b, alpha=mc.tensor(1))
    assert x.tolist() == [2.0, 3.0]
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    mc.add(b, w, alpha=mc.tensor(2.5)).sum().backward()
    assert w.grad.tolist() == [2.5, 2.5]
    with pytest.raises(
        TypeError, match=r"add: alpha must not be a float for an integer tensor \(int64\), got 2.5$"
    ):
        mc.add(i, i, alpha=mc.tensor(2.5))
    with pytest.raises(
        TypeError, match="add: a bool alpha is for bool tensors only, got alpha=True for float32$"
    ):
        mc.add(a, b, alpha=mc.tensor(True))
    with pytest.raises(
        ValueError, match="add: alpha 300 cannot be written into a uint8 tensor without overflow"
    ):
        mc.add(u8, u8, alpha=mc.tensor(300))


@pytest.mark.parametrize(
    "call, got",
    [
        (lambda: mc.add(mc.tensor([1.0]), 2, alpha=mc.tensor([2.0])), r"shape \(1,\)"),
        (
            lambda: mc.tensor([1.0]).sub_(2, alpha=mc.tensor(2.0, requires_grad=True)),
            "one that requires grad",
        ),
    ],
)
def test_alpha_refuses_a_tensor_with_dims_or_one_that_requires_grad(call, got):
    with mc.no_grad():  # (PyTorch refuses one that requires grad under no_grad too)
        with pytest.raises(
            TypeError, match=rf"alpha must be a number or a 0-d tensor that needs no gradient, got {got}$"
        ):
            call()


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: mc.add(mc.tensor([1]), 2, alpha=1.5),
            r"add: alpha must not be a float for an integer tensor \(int64\), got 1.5$",
        ),
        (
            lambda: mc.add(mc.tensor([True]), True, alpha=0.5),
            r"add: alpha must not be a float for a bool tensor \(bool\), got 0.5$",
        ),
        (
            lambda: mc.sub(mc.tensor([1.0]), 2, alpha=True),
            r"sub: a bool alpha is for bool tensors only, got alpha=True for float32$",
        ),
        (
            lambda: mc.sub(5, 2, alpha=True),
            r"sub: a bool alpha is for bool tensors only, got alpha=True for int64$",
        ),
        (lambda: mc.add(mc.tensor([1.0]), 2, alpha="2"), r"add: alpha must be a real number, got str$"),
        (lambda: mc.add(mc.tensor([1.0]), 2, alpha=2j), r"add: alpha must be a real number, got complex$"),
        (
            lambda: mc.sub(mc.tensor([True]), True),
            r"sub: expected no bool operand \(PyTorch subtracts none\), got bool and bool; use a \^ b$",
        ),
        (
            lambda: mc.add(np.array([1.0]), 2),
            r"add: expected a Tensor on at least one side, got ndarray and int$",
        ),
        (lambda: mc.mul([1.0], 2.0), r"mul: expected a Tensor on at least one side, got list and float$"),
        (
            lambda: F.pow(2, 3),
            r"pow: expected a Tensor on at least one side, got int and int$",
        ),  # as torch.pow
        (
            lambda: mc.matmul(2.0, 3.0),
            r"matmul: expected a Tensor on at least one side, got float and float$",
        ),
    ],
)
def test_add_and_sub_refuse_a_bad_alpha_and_operands_in_one_line(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize(
    "call, value, dtype",
    [  # values and dtypes read from PyTorch 2.13
        (lambda: mc.add(1, 2), 3, np.int64),
        (lambda: mc.add(1.0, 2), 3.0, np.float32),
        (lambda: mc.add(True, 2), 3, np.int64),
        (lambda: mc.add(True, False), True, np.bool_),
        (lambda: mc.mul(True, True), True, np.bool_),
        (lambda: mc.sub(np.int32(1), 2), -1, np.int64),  # a NumPy scalar is the number it holds
        (lambda: mc.mul(np.float64(1.5), 2), 3.0, np.float32),
        (lambda: mc.div(6, 4), 1.5, np.float32),
        (lambda: mc.div(True, True), 1.0, np.float32),
        (lambda: mc.div(6, 4, rounding_mode="floor"), 1, np.int64),
        (lambda: mc.div(6.0, 4, rounding_mode="trunc"), 1.0, np.float32),
        (lambda: mc.floor_divide(6.5, 4), 1.0, np.float32),
        (lambda: mc.add(2**63 - 1, 1), -(2**63), np.int64),  # wraps, as PyTorch's
    ],
)
def test_two_plain_numbers_give_a_0d_tensor_as_in_pytorch(call, value, dtype):
    y = call()
    assert isinstance(y, mc.Tensor) and y.shape == () and y.dtype == dtype and not y.requires_grad
    assert y.item() == value


def test_two_plain_numbers_divided_by_zero():
    assert mc.div(6, 0).item() == np.inf  # true division: a float, inf as PyTorch's
    with pytest.raises(ZeroDivisionError, match=r"^div: integer division by zero$"):
        mc.div(6, 0, rounding_mode="floor")
    with pytest.raises(ZeroDivisionError, match=r"^floor_divide: integer division by zero$"):
        mc.floor_divide(6, 0)


@pytest.mark.filterwarnings("error")
def test_division_by_zero_is_inf_or_nan_silently_as_in_pytorch():
    a = mc.tensor([1.0, 0.0, -1.0], requires_grad=True)
    b = mc.tensor([0.0, 0.0, 0.0], requires_grad=True)
    y = a / b
    np.testing.assert_array_equal(y.numpy(), [np.inf, np.nan, -np.inf])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [np.inf, np.inf, np.inf])  # 1 / b
    np.testing.assert_array_equal(b.grad.numpy(), [-np.inf, np.nan, np.inf])  # -a / b^2
    np.testing.assert_array_equal((mc.tensor([2, 0]) / 0).numpy(), [np.inf, np.nan])


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("scale", [1e-24, 1e24])
def test_the_divisors_gradient_is_finite_where_b_squared_under_or_overflows(scale, rng):
    """gb = -gy (a / b) / b, as PyTorch: in float32 b * b is 0 at |b| ~ 1e-24 (-gy a / b^2
    gave inf, or NaN at a = 0) and inf at |b| ~ 1e24 (it gave 0), where the gradient, about
    1 / |b|, is finite. Checked against the same formula in float64."""
    a, b = (rng.uniform(0.5, 2.0, (2, 8)) * rng.choice([-1.0, 1.0], (2, 8)) * scale).astype(np.float32)
    a[0] = 0.0
    gy = rng.standard_normal(8).astype(np.float32)
    ta, tb = mc.tensor(a, requires_grad=True), mc.tensor(b, requires_grad=True)
    (ta / tb).backward(mc.tensor(gy))
    want = -gy * a.astype(np.float64) / b.astype(np.float64) ** 2
    assert np.isfinite(tb.grad.numpy()).all() and np.all(np.abs(want[1:]) > 0.01 / scale)
    np.testing.assert_allclose(tb.grad.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(ta.grad.numpy(), gy / b.astype(np.float64), rtol=1e-6)


def test_tiny_weights_divided_by_their_sum_have_pytorchs_float32_gradient():
    p = mc.tensor(np.array([1e-24, 3e-24, 0.0], np.float32), requires_grad=True)
    (p / p.sum()).backward(mc.tensor(np.array([1.0, -2.0, 0.5], np.float32)))
    # torch 2.13's float32 result (b * b underflowed to 0 here: NaN in every element)
    assert p.grad.tolist() == [5.625000258041392e23, -1.874999845821817e23, 4.375000240730857e23]


def test_matmul_refuses_a_0d_side_and_an_integer_beside_a_float_as_pytorch(rng):
    a = mc.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    ints = mc.tensor(rng.integers(-5, 5, (3, 2)))
    said = r"^matmul: b is 0-d; expected a vector or a matrix \(for a number: \*\)"
    with pytest.raises(ValueError, match=said):
        a @ 2
    with pytest.raises(ValueError, match=r"^matmul: a is 0-d"):
        mc.matmul(mc.tensor(2.0), a)
    with pytest.raises(TypeError, match=r"^matmul: a is float32, b int64; convert one of them"):
        a @ ints
    with pytest.raises(TypeError, match=r"^matmul: a is int64, b int32; convert one of them"):
        ints @ mc.tensor(rng.integers(-5, 5, (2, 3)).astype(np.int32))
    got = (a @ ints.float()).numpy()  # converted, as the message says
    np.testing.assert_allclose(got, a.numpy() @ ints.numpy().astype(np.float32), rtol=1e-6)


def test_clamp_refuses_list_bounds_and_takes_tensor_bounds(rng):
    x = mc.tensor(rng.standard_normal((2, 3)))
    with pytest.raises(TypeError, match=r"^clamp: min must be a number or a Tensor, got list$"):
        x.clamp([0.0], [1.0])
    clipped = x.clamp(mc.tensor(-0.5), mc.tensor(0.5)).numpy()
    np.testing.assert_array_equal(clipped, np.clip(x.numpy(), -0.5, 0.5))


def test_neg_as_a_method_and_at_the_top_level(rng):
    x = mc.tensor(rng.standard_normal(4), requires_grad=True)
    np.testing.assert_array_equal(x.neg().numpy(), -x.numpy())
    mc.neg(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), -np.ones(4))


@pytest.mark.parametrize("in_place", [False, True])
def test_clamp_to_a_zero_bound_keeps_xs_zero_as_pytorch(in_place):
    """torch 2.13: clamp(-0.0, min=0.0) is -0.0 and clamp(0.0, max=-0.0) is 0.0 (a tie keeps x,
    at every size), where NumPy's clip takes the bound's sign."""
    x = mc.tensor([-0.0, 0.0, -1.0, 2.0] * 5)
    for bounds, expected in [
        ({"min": 0.0}, [-0.0, 0.0, 0.0, 2.0]),
        ({"min": 0}, [-0.0, 0.0, 0.0, 2.0]),
        ({"min": -0.0}, [-0.0, 0.0, -0.0, 2.0]),
        ({"max": -0.0}, [-0.0, 0.0, -1.0, -0.0]),
        ({"min": -0.0, "max": 0.0}, [-0.0, 0.0, -0.0, 0.0]),
    ]:
        y = x.clone().clamp_(**bounds) if in_place else x.clamp(**bounds)
        want = np.array(expected * 5, dtype=np.float32)
        np.testing.assert_array_equal(y.numpy(), want)
        np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(want))
    if not in_place:  # an integer x clamped to a float bound: float32, its zeros positive
        y = mc.clamp(mc.tensor([-3, 0, 5], dtype=mc.int8), min=-0.0)
        np.testing.assert_array_equal(np.signbit(y.numpy()), [True, False, False])
