"""x[index] and x[index] = value by PyTorch's rule (indexing.py, setitem.py). The golden cases, forward,
backward and writes, are specs of tests/fixtures/gen_basic.py (names index_* and setitem_*);
here: the shapes that tell PyTorch's rule from NumPy's, errors, and writes reaching x."""

import re

import numpy as np
import pytest

import minicnn as mc

A = np.arange(60.0).reshape(4, 5, 3)


@pytest.mark.parametrize(
    "shape, index, want",
    [
        # an int is a select, not an advanced index: the list's axis stays where it was
        ((4, 5, 3), (0, slice(None), [0, 1]), (5, 2)),
        ((2, 3, 4, 5), (slice(None), 0, slice(None), [0, 1]), (2, 4, 2)),
        ((2, 3, 4), (1, Ellipsis, [3, 0, 3]), (3, 3)),
        ((3, 4, 3), ([0, 2], 1, [2, 0]), (2,)),  # the two lists are adjacent once the int is taken
        ((4, 5, 3), (0, True, [0, 1]), (2, 3)),  # True: a new axis of 1, indexed by [0]
        # advanced indices parted by a slice or None go to the front, as in NumPy
        ((3, 4, 3), ([0, 2], slice(None), [1, 1]), (2, 4)),
        ((2, 3, 4), (slice(None), [0, 2], None, [1, 1]), (2, 2, 1)),
        ((2, 3, 4), (slice(None), [[0], [2]], [1, 0, 1]), (2, 2, 3)),
        ((4, 5, 3), (slice(None), 1, None), (4, 1, 3)),
        ((4, 5, 3), (), (4, 5, 3)),
    ],
)
def test_advanced_axes_go_where_pytorch_puts_them(shape, index, want):
    assert mc.zeros(*shape)[index].shape == want


def test_an_int_beside_a_list_selects_as_pytorch_values_and_gradient():
    x = mc.tensor(A, requires_grad=True)
    y = x[0, :, [0, 2]]
    np.testing.assert_array_equal(y.numpy(), A[0][:, [0, 2]])
    (y * mc.tensor(np.arange(10.0).reshape(5, 2))).sum().backward()
    want = np.zeros_like(A)
    want[0][:, [0, 2]] = np.arange(10.0).reshape(5, 2)
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_gradcheck_through_ints_lists_a_mask_and_repeats():
    x = mc.tensor(np.random.default_rng(0).standard_normal((3, 4, 5)), requires_grad=True)
    mask = mc.tensor(np.array([True, False, True, True]))
    assert mc.gradcheck(lambda t: t[1, mask, [4, 0, 4]] * t[:, 0, [[1], [1]]].sum(), [x])


def test_a_0d_integer_tensor_is_an_int():
    assert mc.zeros(4, 5, 3)[mc.tensor(0), :, [0, 1]].shape == (5, 2)
    assert mc.zeros(4, 5, 3)[mc.tensor(2)].shape == (5, 3)


def test_a_short_list_holding_lists_or_slices_is_a_tuple_as_pytorch():
    x = mc.tensor(A)
    np.testing.assert_array_equal(x[[[0, 1], [1, 2]]].numpy(), A[[0, 1], [1, 2]])
    assert x[[0, slice(None), None]].shape == (5, 1, 3)
    assert x[[0, 1]].shape == (2, 5, 3) and x[[]].shape == (0, 5, 3)


def test_setitem_writes_where_getitem_reads():
    x = mc.zeros(4, 5, 3)
    x[0, :, [0, 2]] = mc.tensor(np.arange(10.0).reshape(5, 2))
    np.testing.assert_array_equal(x.numpy()[0][:, [0, 2]], np.arange(10.0).reshape(5, 2))
    assert x.numpy().sum() == 45
    x[1, 2] = 7.0  # ints only: still written into x
    x[..., 1] = mc.tensor(np.ones(5))  # broadcast over the leading axis
    assert x.numpy()[1, 2, 0] == 7 and (x.numpy()[..., 1] == 1).all()


@pytest.mark.parametrize(
    "index, message",
    [
        ((0, 5), r"getitem: index 5 is out of bounds for dimension 1 with size 5"),
        ((0, slice(None), [0, -4]), r"getitem: index -4 is out of bounds for dimension 2 with size 3"),
        (([4],), r"getitem: index 4 is out of bounds for dimension 0 with size 4"),
        ((0, 0, 0, 0), r"getitem: too many indices for a tensor of dimension 3: 4 given"),
        ((Ellipsis, 0, Ellipsis), r"getitem: an index can only have a single ellipsis"),
        (
            (0, np.array([True, False])),
            r"getitem: a mask of shape \(2,\) at dimension 1 does not match the sizes \(5,\)",
        ),
        ((np.array([0.5]),), r"getitem: tensors used as indices must be integer or bool, got float64"),
    ],
)
def test_a_bad_index_is_one_line_naming_the_op(index, message):
    with pytest.raises(IndexError, match=message):
        mc.tensor(A)[index]


def test_a_bad_index_in_setitem_names_the_assignment():
    x = mc.zeros(4, 5, 3)
    with pytest.raises(IndexError, match=r"^x\[index\] = value: index 3 is out of bounds for dimension 2"):
        x[0, :, [0, 3]] = 1.0
    assert not x.numpy().any()


@pytest.mark.parametrize(
    "index, value_shape, target",
    [
        (0, (3,), (4,)),
        (slice(0, 2), (3, 4), (2, 4)),
        ((slice(None), 0), (4,), (3,)),
        (0, (2, 1, 4), (4,)),
        ([0, 1], (3, 4), (2, 4)),
        ("mask", (5,), (12,)),
    ],
)
def test_a_value_of_the_wrong_shape_in_setitem_is_one_line_naming_both_shapes(
    rng, index, value_shape, target
):
    """PyTorch refuses each ("The expanded size of the tensor (4) must match ..."); NumPy's
    own words would not say which op, nor x[index]'s shape."""
    x = mc.tensor(rng.standard_normal((3, 4)))
    before = x.tolist()
    index = x.abs() >= 0 if index == "mask" else index
    message = rf"^x\[index\] = value: value of shape {re.escape(str(value_shape))} does not broadcast to "
    message += rf"the shape {re.escape(str(target))} of x\[index\] \(x \(3, 4\)\)$"
    with pytest.raises(ValueError, match=message):
        x[index] = mc.tensor(rng.standard_normal(value_shape))
    assert x.tolist() == before  # nothing written
    x[0] = mc.tensor(rng.standard_normal((1, 1, 4)))  # leading 1s are dropped, as in PyTorch


@pytest.mark.parametrize("step", [-1, -2, 0, np.int64(-1), mc.tensor(-3)])
def test_a_slice_step_below_one_is_refused_as_pytorch_where_numpy_would_reverse(step):
    x = mc.tensor(np.random.default_rng(41).standard_normal((4, 5)))
    hint = r"; to reverse an axis of n, index it with mc\.arange\(n - 1, -1, -1\)" if int(step) else ""
    message = rf"a slice's step must be greater than zero \(as PyTorch\), got {int(step)}{hint}$"
    with pytest.raises(ValueError, match=rf"^getitem: {message}"):
        x[:, 1::step]
    with pytest.raises(ValueError, match=rf"^x\[index\] = value: {message}"):
        x[::step] = 0.0
    assert not (x.numpy() == 0).any()  # nothing written


def test_a_positive_step_still_slices_and_the_suggested_reversal_reverses():
    a = np.random.default_rng(42).standard_normal((4, 5))
    x = mc.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x[1::2, ::3].numpy(), a[1::2, ::3])
    y = x[:, mc.arange(4, -1, -1)]
    np.testing.assert_array_equal(y.numpy(), a[:, ::-1])
    (y * mc.tensor(np.arange(20.0).reshape(4, 5))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(20.0).reshape(4, 5)[:, ::-1])
