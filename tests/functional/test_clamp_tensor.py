"""clamp's bounds as PyTorch takes them: numbers, or Tensors (broadcast with x, each given
its gradient where it is the output; compared with torch 2.14's arrays,
tests/fixtures/gen_clamp.py, ties and NaN included), and what PyTorch refuses, refused in one line."""

import numpy as np
import pytest
from fixtures.gen_clamp import CASES, NUMBER_CASES, sample

import minicnn as mc


def _run(arrays, dtype=np.float64):
    ts = {
        k: mc.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for k, v in arrays.items() if k != "gy"
    }
    y = ts["x"].clamp(ts.get("min"), ts.get("max"))
    y.backward(np.asarray(arrays["gy"], dtype=dtype))
    return y, ts


@pytest.mark.parametrize("case", list(CASES))
def test_tensor_bounds_match_pytorch(case, golden):
    g, arrays = golden("clamp"), sample(case)
    for key, a in arrays.items():
        np.testing.assert_array_equal(
            g[f"{case}.{key}"], a, err_msg="clamp.npz is older than its cases; run make_golden.py clamp"
        )
    y, ts = _run(arrays)
    np.testing.assert_array_equal(y.numpy(), g[f"{case}.y"])  # NaN where PyTorch has NaN
    for key, t in ts.items():
        assert t.grad.shape == t.shape, key
        np.testing.assert_array_equal(t.grad.numpy(), g[f"{case}.g{key}"], err_msg=f"gradient of {key}")


@pytest.mark.parametrize("case", list(NUMBER_CASES))
def test_number_bounds_give_the_bounds_no_gradient_as_pytorch(case, golden):
    """x on a number bound gets no gradient (clamp(x, min=0) is relu(x), whose corner gets none)."""
    g = golden("clamp")
    x, lo, hi = NUMBER_CASES[case]
    np.testing.assert_array_equal(g[f"{case}.x"], x, err_msg="clamp.npz is older than its cases")
    t = mc.tensor(np.array(x), requires_grad=True)
    y = mc.clamp(t, min=lo, max=hi)
    y.backward(g[f"{case}.gy"])
    np.testing.assert_array_equal(y.numpy(), g[f"{case}.y"])
    np.testing.assert_array_equal(t.grad.numpy(), g[f"{case}.gx"])


@pytest.mark.parametrize("case", [c for c in CASES if not c.startswith("ties_")])
def test_tensor_bounds_gradients_match_finite_differences(case):
    arrays = sample(case)
    keys = [k for k in ("x", "min", "max") if k in arrays]
    ts = [mc.tensor(arrays[k], requires_grad=True) for k in keys]

    def fn(*tensors):
        given = dict(zip(keys, tensors))
        return given["x"].clamp(given.get("min"), given.get("max"))

    assert mc.gradcheck(fn, ts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tensor_bounds_keep_the_dtype(dtype):
    y, ts = _run(sample("both_broadcast"), dtype=dtype)
    assert y.dtype == dtype and all(t.grad.dtype == dtype for t in ts.values())


def test_integer_x_meets_tensor_bounds_as_pytorch(rng):
    x = mc.tensor(rng.integers(-5, 5, 6))
    lo, hi = mc.tensor(rng.integers(-3, 0, 6)), mc.tensor(rng.integers(1, 4, 6))
    y = x.clamp(lo, hi)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), np.clip(x.numpy(), lo.numpy(), hi.numpy()))
    half = mc.tensor(1.5)  # a float bound makes it float, its dtype (here float32)
    assert x.clamp(min=half).dtype == np.float32
    assert x.clamp(min=half).tolist() == np.maximum(x.numpy(), 1.5).tolist()


@pytest.mark.parametrize(
    "bound",
    [np.array(0.5), np.array([0.5, 0.5, 0.5]), 0.5 + 1j, "0.5", [0.5]],
    ids=["ndarray_0d", "ndarray", "complex", "str", "list"],
)
@pytest.mark.parametrize("side", ["min", "max"])
def test_a_bound_that_is_not_a_number_or_a_tensor_is_refused(rng, bound, side):
    x = mc.tensor(rng.standard_normal(3), requires_grad=True)
    with pytest.raises(
        TypeError, match=rf"^clamp: {side} must be a number or a Tensor, got {type(bound).__name__}$"
    ):
        x.clamp(**{side: bound})


@pytest.mark.parametrize("bound", [np.float64(0.25), np.float32(0.25), np.int64(0), np.bool_(False), True, 0])
def test_numpy_scalars_and_bools_are_numbers(rng, bound):
    x = mc.tensor(rng.standard_normal(5).astype(np.float32))
    y = x.clamp(min=bound)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), np.maximum(x.numpy(), np.float32(bound)))


def test_a_tensor_bound_beside_a_number_is_refused_unless_0d_without_grad(rng):
    x = mc.tensor(rng.standard_normal(3), requires_grad=True)
    with pytest.raises(
        TypeError, match=r"^clamp: min is a Tensor of shape \(3,\) and the other bound a number; "
    ):
        x.clamp(mc.tensor(np.full(3, -0.5)), 0.5)
    with pytest.raises(
        TypeError, match=r"^clamp: max is a Tensor of shape \(\) that requires grad and the other"
    ):
        x.clamp(-0.5, mc.tensor(0.5, requires_grad=True))
    y = x.clamp(mc.tensor(-0.5), 0.5)  # PyTorch reads a 0-d tensor that needs no gradient as a number
    np.testing.assert_array_equal(y.numpy(), np.clip(x.numpy(), -0.5, 0.5))


def test_tensor_bounds_of_two_float_dtypes_or_shapes_that_do_not_broadcast_are_refused(rng):
    x = mc.tensor(rng.standard_normal(3).astype(np.float32))
    with pytest.raises(TypeError, match=r"^clamp: the tensors are float32 and float64; convert one"):
        x.clamp(min=mc.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"^clamp: shapes \(3,\) and \(2,\) do not broadcast"):
        x.clamp(max=mc.tensor(np.zeros(2, np.float32)))


@pytest.mark.parametrize("shapes", [((), (2,), (2,)), ((2,), (), (2,)), ((2,), (2,), (2,)), ((), (), ())])
def test_float_operands_of_two_dtypes_are_refused_before_any_cast(rng, shapes):
    dtypes = (np.float64, np.float64, np.float32)  # the float32 one among those that decide the dtype
    x, lo, hi = (
        mc.tensor(rng.standard_normal(s).astype(d), requires_grad=True) for s, d in zip(shapes, dtypes)
    )
    with pytest.raises(TypeError, match=r"^clamp: the tensors are float32 and float64; convert one"):
        mc.clamp(x, lo, hi)


def test_a_0d_float_takes_the_dtype_of_float_tensors_with_dims(rng):
    x = mc.tensor(rng.standard_normal(()), requires_grad=True)  # float64, beside float32 bounds
    lo, hi = (mc.tensor(rng.standard_normal(2).astype(np.float32) + s, requires_grad=True) for s in (-3, 3))
    y = mc.clamp(x, lo, hi)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float64 and x.grad.item() == 2.0


@pytest.mark.parametrize(
    "dtypes, shapes, expected",
    [
        ((np.int64, np.int32, np.int32), ((), (), (2,)), np.int32),  # the tensor with dims decides
        ((np.int32, np.int64, np.int64), ((2,), (), ()), np.int32),
        ((np.int32, np.float16, np.float16), ((2,), (), ()), np.float16),  # a higher category counts
        ((np.bool_, np.int32, np.int64), ((2,), (), ()), np.int64),
        ((np.float64, np.int32, np.float16), ((), (2,), (2,)), np.float16),
    ],
)
def test_the_result_dtype_is_pytorchs_result_type_of_all_three(rng, dtypes, shapes, expected):
    x, lo, hi = (mc.tensor(rng.integers(0, 3, s).astype(d)) for d, s in zip(dtypes, shapes))
    y = mc.clamp(x, lo, hi)
    assert y.dtype == expected
    np.testing.assert_array_equal(y.numpy(), np.clip(x.numpy(), lo.numpy(), hi.numpy()).astype(expected))


@pytest.mark.parametrize(
    "bounds",
    [(False, True), (None, True), (-3, 1), "tensors", "tensors_0d"],
    ids=["bool_numbers", "bool_max", "int_numbers", "bool_tensors", "bool_tensors_0d"],
)
@pytest.mark.parametrize("in_place", [False, True])
def test_a_bool_x_is_refused_where_pytorch_has_no_bool_clamp(rng, bounds, in_place):
    x = mc.tensor(rng.integers(0, 2, 4).astype(bool))
    if bounds == (-3, 1) and not in_place:  # out of place, int bounds make an int64 result, as PyTorch
        assert x.clamp(*bounds).dtype == np.int64
        return
    if bounds == "tensors":
        bounds = tuple(mc.tensor(rng.integers(0, 2, 4).astype(bool)) for _ in range(2))
    elif bounds == "tensors_0d":
        bounds = (mc.tensor(False), mc.tensor(True))
    before = x.numpy().copy()
    with pytest.raises(TypeError, match=r"^clamp(_\(\))?: expected a number tensor .*got (bool|three bools)"):
        x.clamp_(*bounds) if in_place else x.clamp(*bounds)
    np.testing.assert_array_equal(x.numpy(), before)


def test_a_bool_x_takes_one_bool_tensor_bound_as_pytorchs_clamp_min(rng):
    x, lo = (mc.tensor(rng.integers(0, 2, 4).astype(bool)) for _ in range(2))
    expected = x.numpy() | lo.numpy()
    np.testing.assert_array_equal(x.clamp(min=lo).numpy(), expected)
    np.testing.assert_array_equal(x.clamp_(min=lo).numpy(), expected)
