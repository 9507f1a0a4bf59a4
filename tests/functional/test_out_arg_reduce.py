"""``out=`` on the reductions (out_arg.py), as torch 2.14's: sum, prod and cumsum compute in
out's dtype, mean, var, std and logsumexp into a floating out; amax, amin, argmax, argmin and
norm take only an out of the result's dtype; max and min along a dim write a pair
(values, indices). Values written from torch's rules are marked so in a comment."""

import inspect
import warnings

import numpy as np
import pytest

import minicnn as mc

X = [[1.5, 2.5, -3.0], [4.0, 5.0, 6.5]]  # (torch's values below are of this x)

CALLS = {
    "sum": lambda x: ((x, 1), {}),
    "mean": lambda x: ((x, (0, 1)), {"keepdim": True}),
    "prod": lambda x: ((x, 0), {}),
    "cumsum": lambda x: ((x, 1), {}),
    "std": lambda x: ((x, 1), {}),
    "var": lambda x: ((x,), {"dim": 0, "correction": 0}),
    "logsumexp": lambda x: ((x, 1), {}),
    "amax": lambda x: ((x, 0), {}),
    "amin": lambda x: ((x,), {}),
    "argmax": lambda x: ((x, 1), {"keepdim": True}),
    "argmin": lambda x: ((x,), {}),
    "norm": lambda x: ((x, 1, 1), {}),
    "max": lambda x: ((x,), {}),  # (no dim: one Tensor)
    "min": lambda x: ((x,), {}),
}


@pytest.mark.parametrize("seed, name", list(enumerate(CALLS, start=400)))
def test_out_holds_the_result_and_is_returned(seed, name):
    x = mc.tensor(np.random.default_rng(seed).standard_normal((3, 4)))
    args, kwargs = CALLS[name](x)
    y = getattr(mc, name)(*args, **kwargs)
    out = mc.empty(0, dtype=y.dtype)
    assert getattr(mc, name)(*args, out=out, **kwargs) is out
    np.testing.assert_array_equal(out.numpy(), y.numpy())
    assert "out" in inspect.signature(getattr(mc, name)).parameters


@pytest.mark.parametrize(
    "call, out_dtype, expected",
    [
        # torch: the input is cast to out's dtype first, as with dtype=out.dtype
        (lambda x, o: mc.sum(x, 1, out=o), "int64", [0, 15]),  # (1 + 2 - 3, not int(1.0))
        (lambda x, o: mc.sum(x, 1, out=o), "bool", [True, True]),
        (lambda x, o: mc.prod(x, 1, out=o), "uint8", [250, 120]),  # (1 * 2 * -3 wraps)
        (lambda x, o: mc.prod(x > 2, 1, out=o), "bool", [False, True]),
        (lambda x, o: mc.cumsum(x, 1, out=o), "int32", [[1, 3, 0], [4, 9, 15]]),
        (lambda x, o: mc.sum(x > 2, 1, out=o), "float32", [1.0, 3.0]),
    ],
)
def test_sum_prod_and_cumsum_compute_in_out_s_dtype_as_torch(call, out_dtype, expected):
    out = mc.zeros(2, dtype=getattr(mc, out_dtype))
    with pytest.warns(UserWarning, match="resized") if out_dtype == "int32" else warnings.catch_warnings():
        call(mc.tensor(X), out)
    assert out.dtype == np.dtype(out_dtype) and out.tolist() == expected


@pytest.mark.parametrize(
    "seed, name", [(410, "mean"), (411, "var"), (412, "std"), (413, "logsumexp"), (414, "sum")]
)
def test_a_float64_out_gets_float64_arithmetic(seed, name):
    # torch: mean of float32 [1.5, 2.5, -3.0] into float64 is 0.3333333333333333 (float32's: 0.3333333432...)
    x = mc.tensor(np.random.default_rng(seed).standard_normal((5, 7)), dtype=mc.float32)
    out = mc.empty(0, dtype=mc.float64)
    getattr(mc, name)(x, 1, out=out)
    np.testing.assert_array_equal(out.numpy(), getattr(mc, name)(x.double(), 1).numpy())
    mc.mean(mc.tensor(X), 1, out=(out := mc.empty(0, dtype=mc.float64)))
    assert out.tolist()[0] == 0.3333333333333333


@pytest.mark.parametrize(
    "seed, call, out_dtype, says",
    [
        (420, lambda x, o: mc.mean(x, 1, out=o), "int64", r"^mean\(\): result type float32 can't be cast to"),
        (421, lambda x, o: mc.std(x, 1, out=o), "int32", r"^std\(\): result type float32 can't be cast to"),
        (422, lambda x, o: mc.var(x, 1, out=o), "bool", "output type bool"),
        (423, lambda x, o: mc.logsumexp(x, 1, out=o), "int64", r"^logsumexp\(\): result type float32"),
        (
            424,
            lambda x, o: mc.cumsum(x.long(), 1, out=o),
            "bool",
            "result type int64 can't be cast to .* bool",
        ),
        (425, lambda x, o: mc.amax(x, 1, out=o), "float64", r"^amax\(\): expected out to have dtype float32"),
        (426, lambda x, o: mc.amin(x.long(), 1, out=o), "float32", "expected out to have dtype int64"),
        (
            427,
            lambda x, o: mc.argmax(x, 1, out=o),
            "float32",
            r"^argmax\(\): expected out to have dtype int64",
        ),
        (428, lambda x, o: mc.argmin(x, out=o), "int32", "dtype int64, the result's, got int32"),
        (
            429,
            lambda x, o: mc.norm(x, dim=1, out=o),
            "float64",
            r"^norm\(\): expected out to have dtype float32",
        ),
        (
            430,
            lambda x, o: mc.prod(x, 1, dtype=mc.float64, out=o),
            "float32",
            "dtype float64, the dtype= given",
        ),
        (431, lambda x, o: mc.max(x, out=o), "int64", r"^max\(\): result type float32 can't be cast"),
    ],
)
def test_an_out_dtype_torch_refuses_is_refused(seed, call, out_dtype, says):
    # torch: mean, std, var, logsumexp refuse an integer or bool out; cumsum a bool one; amax,
    # amin, argmax, argmin and norm take only the result's dtype; dtype= must be out's
    x = mc.tensor(np.random.default_rng(seed).standard_normal((2, 3)), dtype=mc.float32)
    out = mc.zeros(2, dtype=getattr(mc, out_dtype))
    with pytest.raises(RuntimeError, match=says) as err:
        call(x, out)
    assert "\n" not in str(err.value)
    assert out.shape == (2,) and not out.numpy().any()  # nothing written, not resized


def test_the_input_s_own_rules_come_first():
    # torch: mean and std of integers are refused whatever out is; logsumexp of them is taken
    rng = np.random.default_rng(432)
    x = mc.tensor(rng.integers(-5, 5, (2, 3)))
    with pytest.raises(TypeError, match="^mean: expected a floating-point tensor, got int64"):
        mc.mean(x, 1, out=mc.zeros(2))
    with pytest.raises(TypeError, match="^argmax: expected a number tensor, got bool"):
        mc.argmax(x > 0, out=mc.zeros((), dtype=mc.int64))
    out = mc.empty(0, dtype=mc.float64)
    mc.logsumexp(x, 1, out=out)
    np.testing.assert_array_equal(out.numpy(), mc.logsumexp(x.double(), 1).numpy())


def test_an_out_of_another_shape_is_resized_with_torch_s_warning():
    x = mc.tensor(np.random.default_rng(433).standard_normal((2, 3)))
    out = mc.zeros(5, dtype=mc.float64)
    with pytest.warns(UserWarning, match=r"^sum\(\): an output with one or more elements was resized") as got:
        mc.sum(x, 1, out=out)
    assert "shape [5]" in str(got[0].message) and "shape [2]" in str(got[0].message)
    np.testing.assert_array_equal(out.numpy(), x.numpy().sum(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty out: silently
        mc.var(x, out=(o := mc.empty(0, dtype=mc.float64)))
    assert o.shape == () and o.item() == pytest.approx(x.numpy().var(ddof=1), rel=1e-12)


@pytest.mark.parametrize(
    "seed, call, out_dtype, shape",
    [
        # torch: sum(x, None, True) keeps every dim; argmax(x, None, True) too; dim=() is all
        (434, lambda x, o: mc.sum(x, dim=None, keepdim=True, out=o), "float32", (1, 1)),
        (435, lambda x, o: mc.argmax(x, None, True, out=o), "int64", (1, 1)),
        (436, lambda x, o: mc.mean(x, (), out=o), "float32", ()),
        (437, lambda x, o: mc.std(x, 0, correction=0, keepdim=True, out=o), "float32", (1, 3)),
        (438, lambda x, o: mc.amax(x, (0, 1), True, out=o), "float32", (1, 1)),
        (439, lambda x, o: mc.norm(x, float("inf"), 1, True, out=o), "float32", (2, 1)),
    ],
)
def test_dim_and_keepdim_give_out_torch_s_shape(seed, call, out_dtype, shape):
    x = mc.tensor(np.random.default_rng(seed).standard_normal((2, 3)), dtype=mc.float32)
    out = mc.empty(0, dtype=getattr(mc, out_dtype))
    call(x, out)
    assert out.shape == shape


def test_out_is_refused_where_autograd_would_record_but_not_for_argmax():
    rng = np.random.default_rng(440)
    x = mc.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^sum\(\): functions with out=\.\.\. arguments don't support"):
        mc.sum(x, 1, out=mc.zeros(2, dtype=mc.float64))
    values = mc.zeros(2, dtype=mc.float64, requires_grad=True)  # (an out of the pair)
    with pytest.raises(RuntimeError, match=r"^max\(\): functions with out=\.\.\. arguments don't support"):
        mc.max(x.detach(), 1, out=(values, mc.empty(0, dtype=mc.int64)))
    with mc.no_grad():  # torch writes it there
        mc.sum(x, 1, out=(out := mc.zeros(2, dtype=mc.float64)))
    np.testing.assert_array_equal(out.numpy(), x.detach().numpy().sum(1))
    # torch: argmax records nothing, so an input that requires grad is taken with grad mode on
    mc.argmax(x, 1, out=(idx := mc.empty(0, dtype=mc.int64)))
    assert idx.tolist() == x.detach().numpy().argmax(1).tolist()


@pytest.mark.parametrize("seed, name", [(441, "max"), (442, "min")])
def test_max_and_min_along_a_dim_write_a_pair_as_torch(seed, name):
    x = mc.tensor(np.random.default_rng(seed).standard_normal((3, 4)), dtype=mc.float32)
    values, indices = mc.empty(0), mc.zeros(5, dtype=mc.int64)
    with pytest.warns(UserWarning, match="resized since it had shape \\[5\\]"):  # indices only
        got = getattr(mc, name)(x, 1, out=(values, indices))
    assert got.values is values and got.indices is indices and type(got).__name__ == f"{name.title()}Result"
    expected = getattr(x, name)(1)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    with pytest.warns(
        UserWarning, match=r"had shape \[3\], which does not match the required output shape \[1, 4\]"
    ):
        getattr(mc, name)(x, dim=0, keepdim=True, out=[values, indices])  # a list, as torch's
    assert values.shape == indices.shape == (1, 4)


@pytest.mark.parametrize(
    "seed, out, error, says",
    [
        (443, lambda: mc.empty(0), TypeError, "with a dim, out must be a pair of Tensors .* got Tensor"),
        (444, lambda: (mc.empty(0),), TypeError, "got 1 element"),
        (445, lambda: (mc.empty(0), 3), TypeError, "expected Tensor as element 1 of out .* got int"),
        (
            446,
            lambda: (mc.empty(0, dtype=mc.float64), mc.empty(0, dtype=mc.int64)),
            RuntimeError,
            r"out\[0\] \(values\)",
        ),
        (
            447,
            lambda: (mc.empty(0), mc.empty(0, dtype=mc.int32)),
            RuntimeError,
            r"out\[1\] \(indices\) to have dtype int64",
        ),
        (
            448,
            lambda: (mc.zeros(1).expand(2), mc.empty(0, dtype=mc.int64)),
            RuntimeError,
            "memory of its own",
        ),
        (449, lambda: (o := mc.zeros(2, dtype=mc.int64), o), RuntimeError, "values and indices share memory"),
    ],
)
def test_a_pair_torch_refuses_is_refused(seed, out, error, says):
    x = mc.tensor(np.random.default_rng(seed).integers(-9, 9, (2, 3)))
    if seed in (446, 447, 448):
        x = x.float()
    with pytest.raises(error, match=r"^max\(\): .*" + says) as err:
        mc.max(x, 1, out=out())
    assert "\n" not in str(err.value)


def test_max_without_a_dim_takes_one_tensor_and_max_of_two_is_maximum():
    rng = np.random.default_rng(450)
    a, b = (mc.tensor(rng.standard_normal(3), dtype=mc.float32) for _ in range(2))
    with pytest.raises(TypeError, match=r"^max\(\): argument 'out' must be Tensor, not tuple"):
        mc.max(a, out=(mc.empty(0), mc.empty(0, dtype=mc.int64)))
    mc.max(a, out=(out := mc.empty(0, dtype=mc.float64)))  # torch: cast within its kind
    assert out.item() == a.numpy().max()
    mc.min(a, b, out=(out := mc.empty(0)))
    np.testing.assert_array_equal(out.numpy(), np.minimum(a.numpy(), b.numpy()))


def test_out_overlapping_its_input_is_refused_and_out_equal_to_it_written():
    # torch writes these two without a word, and the sums it gives are not x's
    rng = np.random.default_rng(451)
    x = mc.tensor(rng.standard_normal((3, 3)))
    before = x.numpy().copy()
    with pytest.raises(RuntimeError, match=r"^sum\(\): some elements of an input and of out refer"):
        mc.sum(x, 0, out=x[0])
    with pytest.raises(RuntimeError, match=r"^mean\(\): expected out with memory of its own"):
        mc.mean(x, 0, out=mc.zeros(1, dtype=mc.float64).expand(3))
    np.testing.assert_array_equal(x.numpy(), before)
    assert mc.cumsum(x, 1, out=x) is x  # out=x itself: the running sum in place, as torch
    np.testing.assert_array_equal(x.numpy(), before.cumsum(1))


@pytest.mark.parametrize("name", ["sum", "argmax", "max", "cumsum"])
def test_the_tensor_methods_take_no_out_as_torch_s(name):
    x = mc.tensor(np.random.default_rng(452).standard_normal(3))
    with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
        getattr(x, name)(0, out=mc.empty(0))
