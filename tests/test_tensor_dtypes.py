"""Tensor dtypes as PyTorch's: casting, integers beside floats, integer sums and division, Python
numbers at int64's ends, data that is not numbers."""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_double_carries_the_gradient_back_as_float32():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and x.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_float_and_to_dtype():
    x = mc.tensor(np.ones(2), requires_grad=True)
    assert x.float().dtype == np.float32
    assert x.to(np.float32).dtype == np.float32
    assert x.to("float32").dtype == np.float32
    assert x.type("float32").dtype == np.float32
    x.float().sum().backward()
    assert x.grad.dtype == np.float64


def test_integers_meet_python_floats_in_float32_as_in_pytorch():
    """NumPy would promote an int64 tensor and 0.5 to float64, and divide integers into float64;
    PyTorch gives its default float dtype, float32, and so does minicnn."""
    labels = mc.tensor([1, 2, 3])
    flags = mc.tensor([True, False, True])
    for y in (
        labels * 0.5,
        0.5 * labels,
        labels - np.float64(0.5),
        1.5 - labels,
        labels**0.5,
        labels / 2,
        2 / labels,
        labels / labels,
        flags * 0.5,
        labels.clamp(0.5, 2.5),
        F.where(flags, labels, 0.5),
        F.where(flags, 1.0, 0.0),
    ):
        assert y.dtype == np.float32, y
    np.testing.assert_array_equal((labels / 2).numpy(), [0.5, 1.0, 1.5])
    np.testing.assert_array_equal(labels.clamp(0.5, 2.5).numpy(), [1.0, 2.0, 2.5])
    np.testing.assert_array_equal(F.where(flags, 1, 0).numpy(), [1, 0, 1])
    assert F.where(flags, 1, 0).dtype == np.int64 and labels.clamp(1, 2).dtype == np.int64
    assert (labels + 1).dtype == np.int64 and (labels * 2).dtype == np.int64
    assert (labels * np.array([0.5, 1.0, 2.0])).dtype == np.float64  # an array keeps its dtype
    assert (mc.tensor(np.ones(3)) * 0.5).dtype == np.float64  # a float tensor keeps its own


def test_floor_division_as_python_without_a_gradient_and_bool_of_an_empty_tensor():
    a = mc.tensor([7, -8])
    assert (a // 2).tolist() == [3, -4] and (7 // mc.tensor([2, 3])).tolist() == [3, 2]
    assert (a // 2.5).dtype == np.float32 and (a // 2.5).tolist() == [2.0, -4.0]
    assert (mc.tensor([1.5, -2.5]) // 1).tolist() == [1.0, -3.0]
    a //= 2
    assert a.tolist() == [3, -4]
    w = mc.tensor([1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"floor division \(//\) has no gradient"):
        w // 1
    with pytest.raises(RuntimeError, match="a leaf Tensor that requires grad is used in an in-place"):
        w //= 2
    with mc.no_grad():
        assert (w // 1).tolist() == [1.0]
    assert (w.detach() // 1).tolist() == [1.0]
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(mc.tensor([]))


def test_narrow_integers_keep_their_dtype_and_integer_division_by_zero_is_refused():
    a = mc.tensor(np.array([7, -7], dtype=np.int32))
    assert (a + 1).dtype == np.int32 and (a // 2).dtype == np.int32
    assert F.where(mc.tensor([True, False]), a, 2).dtype == np.int32
    assert (mc.tensor(np.array([255], dtype=np.uint8)) + 1).tolist() == [0]  # wraps, as PyTorch
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        a // mc.tensor(np.array([1, 0], dtype=np.int32))
    with pytest.raises(ZeroDivisionError, match="//=: integer division by zero"):
        a //= 0
    assert (mc.tensor([1.0, -1.0]) // 0).tolist() == [np.inf, -np.inf]
    b = mc.tensor([4, 9])
    assert b.sqrt().dtype == b.exp().dtype == b.log().dtype == np.float32
    assert b.sqrt().tolist() == [2.0, 3.0] and b.clamp(min=np.float32(0.5)).dtype == np.float32
    assert [p.shape for p in mc.zeros(0, 2).split(0)] == [(0, 2)]
    assert mc.tensor(np.array([5, -5], np.int16)).clamp(min=np.int64(2)).dtype == np.int16
    assert (mc.tensor(np.zeros(0, np.int64)) // 0).shape == (0,)  # nothing to divide
    f = mc.tensor([1.0, 2.0])
    f //= 0.0
    assert f.tolist() == [np.inf, np.inf]
    with pytest.raises(ValueError, match="split_size must be positive"):
        mc.zeros(3).split(0)


def test_mean_and_var_of_integers_are_refused_as_in_pytorch():
    hits = mc.tensor([1, 0, 1]) == 1
    with pytest.raises(
        TypeError, match=r"mean: expected a floating-point tensor, got bool .* x.float\(\).mean\(\)"
    ):
        hits.mean()
    with pytest.raises(TypeError, match="var: expected a floating-point tensor, got int64"):
        mc.tensor([1, 2]).var()
    assert hits.float().mean().item() == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "data", [np.array(["a", "b"]), np.array([object(), 1], dtype=object), ["x", "y"], np.array([b"a"])]
)
def test_tensor_of_strings_or_objects_is_a_type_error(data):
    with pytest.raises(
        TypeError,
        match=r"tensor: expected numbers \(bool, int, float or complex\), "
        r"got (an array of dtype|str .x. at data\[0\])",
    ):
        mc.tensor(data)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "matmul"])
def test_two_float_dtypes_in_one_op_is_a_type_error_naming_both(op):
    import minicnn.functional as F

    a = mc.tensor(np.ones((2, 2), np.float32), requires_grad=True)
    b = mc.tensor(np.ones((2, 2), np.float64), requires_grad=True)
    with pytest.raises(TypeError, match=f"{op}: the tensors are float32 and float64"):
        getattr(F, op)(a, b)


def test_an_integer_tensor_meets_a_float_tensor_in_its_dtype():
    a = mc.tensor(np.arange(1.0, 4.0, dtype=np.float32), requires_grad=True)
    mask = mc.tensor(np.array([1, 0, 2]))
    y = a * mask + mask
    assert y.dtype == np.float32
    y.sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 2.0])


def test_a_one_element_tensor_is_a_python_number():
    """if loss > 0, float(loss), f"{loss:.3f}", range(n): as with PyTorch's tensors."""
    t = mc.tensor([-1.0, -2.0])
    assert not (t.sum() > 0) and bool(t.sum() < 0)
    assert bool(mc.tensor([0.0])) is False
    assert float(t.sum()) == -3.0 and int(mc.tensor([3.7])) == 3
    assert f"{t.sum():.2f}" == "-3.00" and f"{t}" == repr(t)
    assert list(range(mc.tensor(3))) == [0, 1, 2]
    with pytest.raises(RuntimeError, match=r"Boolean value of Tensor with more than one value is ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="only integer tensors of a single element can be used as an index"):
        [0, 1][mc.tensor(1.0)]


def test_a_0d_float_beside_a_tensor_takes_its_dtype_as_in_pytorch():
    """PyTorch: a 0-d tensor does not promote a tensor of more dims; its gradient comes back
    in its own dtype."""
    x = mc.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    s = mc.tensor(np.float64(3.0), requires_grad=True)
    y = (x * s).sum()
    assert y.dtype == np.float32
    y.backward()
    assert s.grad.dtype == np.float64 and s.grad.item() == 2.0
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    with pytest.raises(TypeError, match="add: the tensors are float32 and float64"):
        mc.tensor(np.float32(1.0)) + mc.tensor(np.float64(1.0))  # two scalars: no such rule


def test_integer_and_bool_sums_are_int64_as_in_pytorch():
    assert mc.tensor(np.array([200, 100], dtype=np.uint8)).sum().item() == 300
    assert mc.tensor(np.array([200, 100], dtype=np.uint8)).sum().dtype == np.int64
    assert mc.tensor([True, True, False]).sum(0).dtype == np.int64


@pytest.mark.parametrize("data", [2**63, [2**63, 1], -(2**63) - 1, [[1], [2**64]]])
def test_a_python_int_outside_int64_is_refused_naming_it_as_pytorch_refuses_it(data):
    with pytest.raises(
        ValueError, match=r"^tensor: the int -?\d+ is outside int64's range \[-9223372036854775808, "
    ):
        mc.tensor(data)
    with pytest.raises(ValueError, match=r"^full: the int 9223372036854775808 is outside int64's range"):
        mc.full((2,), 2**63)
    assert mc.full((2,), 2**63, dtype=mc.float64).dtype == np.float64  # as a float it is a value


def test_nans_alone_make_a_tensor_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the look for huge ints once warned of an all-NaN array)
        for data in (float("nan"), [float("nan")] * 3, np.full((2, 2), np.nan)):
            assert np.isnan(mc.tensor(data).numpy()).all()


def test_the_ends_of_int64_a_float_beside_a_huge_int_and_a_uint64_array_are_taken():
    assert mc.tensor(-(2**63)).item() == -(2**63)
    assert mc.tensor([2**63 - 1]).dtype == np.int64
    assert mc.tensor([2**63, 1.5]).dtype == np.float32  # a float among them: floats, as PyTorch
    assert mc.tensor(2**63, dtype=mc.float64).item() == 2.0**63
    big = mc.tensor(np.array([2**63], dtype=np.uint64))
    assert (big.dtype, big.tolist()) == (np.dtype(np.uint64), [2**63])
