"""add_, sub_, mul_, div_ (its rounding modes too) and clamp_: PyTorch's arithmetic in place,
under minicnn's in-place rules (no gradient recorded; leaves that require grad only under
no_grad; each change counted, see tests/test_changed_in_place.py). These tests pin what they
compute, the dtypes and shapes they accept, and the one-line refusals, with PyTorch 2.13's
values (more of them in the value specs of tests/fixtures/gen_basic.py; masked_fill_:
test_masked_fill.py).
"""

import numpy as np
import pytest

import minicnn as mc


def test_arithmetic_in_place_writes_into_the_same_array_and_returns_it():
    x = mc.tensor([1.0, 2.0])
    data = x.data
    assert x.add_(mc.tensor([1.0, 1.0]), alpha=2) is x
    assert x.tolist() == [3.0, 4.0]
    assert x.sub_(3, alpha=2).tolist() == [-3.0, -2.0]
    assert x.mul_(mc.tensor([2.0, -1.0])).tolist() == [-6.0, 2.0]
    assert x.div_(2).tolist() == [-3.0, 1.0]
    assert x.clamp_(min=-1.0, max=0.5).tolist() == [-1.0, 0.5]
    assert x.data is data and x.dtype == np.float32
    rows = mc.tensor([[1.0, 2.0]]).div_(mc.tensor([1.0, 2.0]))  # other broadcast to x's shape
    assert rows.tolist() == [[1.0, 1.0]]
    ints = mc.tensor([1, 2])
    assert ints.mul_(2).add_(1, alpha=3).tolist() == [5, 7] and ints.dtype == np.int64


def test_other_of_another_float_dtype_is_cast_to_xs_as_pytorch():
    x = mc.tensor([1.0, 2.0])
    x.add_(mc.tensor(np.array([1.0, 2.0])))
    assert x.dtype == np.float32 and x.tolist() == [2.0, 4.0]


def test_an_sgd_step_by_hand_with_add_under_no_grad():
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with mc.no_grad():
        w.add_(w.grad, alpha=-0.25)
    assert w.is_leaf and w.requires_grad and w.tolist() == [0.5, 1.0]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda x: x.add_(0.5),
            r"^add_\(\): x is int64 and other float, whose result cannot be written into x's int64 array "
            r"in place \(PyTorch computes it in float32\); write x = x \+ other$",
        ),
        (
            lambda x: x.div_(2),
            r"^div_\(\): x is int64 and other int, whose result cannot be written into x's int64 array "
            r"in place \(PyTorch computes it in float32\); write x = x / other$",
        ),
        (
            lambda x: x.add_(1, alpha=0.5),
            r"add_\(\): alpha must not be a float for an integer tensor \(int64\), got 0.5",
        ),
        (lambda x: x.clamp_(min=1.5), r"clamp_\(\): x is int64, and a float bound cannot clamp it in place"),
    ],
)
def test_a_float_result_for_an_integer_tensor_is_refused_as_in_pytorch(change, message):
    x = mc.tensor([1, 2])
    with pytest.raises(TypeError, match=message):
        change(x)
    assert x.tolist() == [1, 2]


def test_alpha_in_place_follows_the_rules_of_add_and_sub():
    x = mc.tensor([1, 2])
    with pytest.raises(
        TypeError, match=r"^sub_\(\): a bool alpha is for bool tensors only, got alpha=True for int64$"
    ):
        x.sub_(1, alpha=True)
    with pytest.raises(TypeError, match=r"^add_\(\): alpha must be a real number, got str$"):
        x.add_(1, alpha="2")
    assert x.tolist() == [1, 2] and x.add_(1, alpha=-3).tolist() == [-2, -1]


def test_a_broadcast_that_would_grow_x_and_a_missing_bound_are_refused():
    x = mc.tensor([1.0, 2.0])
    with pytest.raises(
        ValueError, match=r"div_\(\): other of shape \(2, 1\) does not broadcast to x's shape \(2,\)"
    ):
        x.div_(mc.tensor([[1.0], [2.0]]))
    with pytest.raises(
        ValueError, match=r"mul_\(\): other of shape \(3,\) does not broadcast to x's shape \(2,\)"
    ):
        x.mul_(mc.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"clamp_\(\): at least one of min and max must be given"):
        x.clamp_()
    assert x.tolist() == [1.0, 2.0]


def test_where_a_gradient_would_be_recorded_it_is_refused_in_one_line():
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"a leaf Tensor that requires grad is used in an in-place operation \(add_\(\)\)"
    ):
        w.add_(1.0)
    y = w * 2
    with pytest.raises(
        RuntimeError, match=r"mul_\(\) on a Tensor inside an autograd graph: .* write x = x \* other"
    ):
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"clamp_\(\) on a Tensor inside an autograd graph"):
        y.clamp_(min=0.0)
    x = mc.tensor([1.0, 2.0])
    with pytest.raises(
        RuntimeError, match=r"sub_\(\): other requires grad, and minicnn records no in-place operation"
    ):
        x.sub_(w)
    assert x.tolist() == [1.0, 2.0]
    with mc.no_grad():
        x.sub_(w)  # no gradient recorded: allowed, as an optimizer step
    assert x.tolist() == [0.0, 0.0]


def test_div_with_a_rounding_mode_writes_into_integer_and_float_tensors():
    ints = mc.tensor([7, -7, 6])
    data = ints.data
    assert ints.div_(2, rounding_mode="floor") is ints and ints.tolist() == [3, -4, 3]
    assert ints.div_(mc.tensor([-2, 2, 4]), rounding_mode="trunc").tolist() == [-1, -2, 0]
    assert ints.data is data and ints.dtype == np.int64
    x = mc.tensor([1.0, -1.0, 0.0, 7.0])
    x.div_(mc.tensor([0.0, -0.0, 0.0, -2.0]), rounding_mode="floor")
    np.testing.assert_array_equal(x.numpy(), [np.inf, np.inf, np.nan, -4.0])
    assert x.dtype == np.float32


@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            lambda x: x.div_(2.5, rounding_mode="trunc"),
            TypeError,
            r"^div_\(\): x is int64 and other float, whose result cannot be written into x's int64 array "
            r"in place \(PyTorch computes it in float32\); write x = x.div\(other, rounding_mode='trunc'\)$",
        ),
        (
            lambda x: x.div_(mc.tensor([1, 0]), rounding_mode="floor"),
            ZeroDivisionError,
            r"div_\(\): integer division by zero$",
        ),
        (
            lambda x: x.div_(mc.tensor([[1], [2]]), rounding_mode="floor"),
            ValueError,
            r"div_\(\): other of shape \(2, 1\) does not broadcast to x's shape \(2,\)$",
        ),
    ],
)
def test_div_with_a_rounding_mode_refuses_what_pytorch_refuses(change, error, message):
    x = mc.tensor([5, -5])
    with pytest.raises(error, match=message):
        change(x)
    assert x.tolist() == [5, -5]


@pytest.mark.parametrize("other, says", [(mc.ones(2, 3), r"\(2, 3\)"), (mc.ones(2), r"\(2,\)")])
def test_an_augmented_op_whose_result_would_not_have_xs_shape_is_refused_in_one_line(other, says):
    x = mc.ones(3)
    with pytest.raises(ValueError, match=rf"^\+=: y of shape {says} does not broadcast to x's shape \(3,\)$"):
        x += other
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_an_augmented_op_refuses_none_and_a_result_that_does_not_fit_xs_dtype():
    x = mc.ones(3)
    with pytest.raises(
        TypeError, match=r"^\*=: expected a Tensor, a number or an array of numbers, got NoneType"
    ):
        x *= None
    n = mc.ones(3, dtype=mc.int32)
    with pytest.raises(
        TypeError, match=r"^\+=: x is int32 and y float32, whose result cannot be written into"
    ):
        n += mc.tensor(1.5)
    assert n.tolist() == [1, 1, 1]


# --- clamp_ with Tensor bounds (PyTorch's values: the clamp__ value specs of gen_basic.py) ---


def test_clamp_with_tensor_bounds_writes_clamps_result_into_x(rng):
    x = mc.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    lo, hi = mc.tensor(rng.uniform(-1, 0, 4)), mc.tensor(rng.uniform(0, 1, (3, 1)))  # float64 bounds
    data = x.data
    want = np.minimum(np.maximum(x.numpy(), lo.numpy()), hi.numpy()).astype(np.float32)
    assert x.clamp_(lo, hi) is x
    assert x.data is data and x.dtype == np.float32  # the result in x's dtype, as PyTorch
    np.testing.assert_array_equal(x.numpy(), want)
    ints = mc.tensor(rng.integers(-9, 10, 5))
    want = np.clip(ints.numpy(), -2, 3)
    assert ints.clamp_(mc.tensor(np.full(5, -2, np.int32)), max=mc.tensor(3)).tolist() == want.tolist()


def test_clamp_reads_a_0d_tensor_beside_a_number_as_a_number_and_refuses_any_other(rng):
    x = mc.tensor(rng.standard_normal(4))
    want = np.clip(x.numpy(), -0.25, 0.5)
    np.testing.assert_array_equal(x.clamp_(mc.tensor(-0.25), 0.5).numpy(), want)
    with pytest.raises(
        TypeError, match=r"^clamp_\(\): min is a Tensor of shape \(4,\) and the other bound a number; "
    ):
        x.clamp_(mc.zeros(4), 0.5)
    with pytest.raises(TypeError, match=r"^clamp_\(\): max is a Tensor of shape \(\) that requires grad"):
        x.clamp_(0.0, mc.tensor(0.5, requires_grad=True))
    with pytest.raises(TypeError, match=r"^clamp_\(\): min and max must be numbers or Tensors, got list$"):
        x.clamp_([0.0] * 4)
    np.testing.assert_array_equal(x.numpy(), want)


@pytest.mark.parametrize(
    "x, bounds, error, message",
    [
        (
            mc.ones(3),
            {"min": mc.zeros(2, 1)},
            ValueError,
            r"^clamp_\(\): min of shape \(2, 1\) does not broadcast to x's shape \(3,\)$",
        ),
        (
            mc.tensor([1, 2, 3]),
            {"max": mc.tensor([0.5, 0.5, 0.5])},
            TypeError,
            r"^clamp_\(\): x is int64 and max float32, whose result cannot be written into x's int64 ",
        ),
        (
            mc.tensor([True, False, True]),
            {"min": mc.tensor([1, 1, 1])},
            TypeError,
            r"^clamp_\(\): x is bool and min int64, whose result cannot be written into x's bool ",
        ),
    ],
    ids=["grows_x", "float_bound_for_ints", "int_bound_for_bools"],
)
def test_clamp_with_tensor_bounds_refuses_what_pytorch_refuses(x, bounds, error, message):
    before = x.tolist()
    with pytest.raises(error, match=message):
        x.clamp_(**bounds)
    assert x.tolist() == before


def test_clamp_with_tensor_bounds_where_a_gradient_would_be_recorded_is_refused(rng):
    w = mc.tensor(rng.standard_normal(3), requires_grad=True)
    lo = mc.tensor(np.full(3, -0.5))
    with pytest.raises(
        RuntimeError, match=r"a leaf Tensor that requires grad is used in an in-place operation"
    ):
        w.clamp_(lo)
    with pytest.raises(RuntimeError, match=r"^clamp_\(\) on a Tensor inside an autograd graph"):
        (w * 2).clamp_(lo)
    x = mc.tensor(rng.standard_normal(3))
    before = x.tolist()
    with pytest.raises(
        RuntimeError, match=r"^clamp_\(\): min requires grad, and minicnn records no in-place"
    ):
        x.clamp_(w)  # PyTorch would put x in w's graph; minicnn records no in-place operation
    assert x.tolist() == before
    with mc.no_grad():  # no gradient recorded: allowed, as an optimizer step
        w.clamp_(lo, mc.tensor(np.full(3, 0.5)))
        x.clamp_(w)
    assert w.is_leaf and np.abs(w.numpy()).max() <= 0.5
    np.testing.assert_array_equal(x.numpy(), np.maximum(before, w.numpy()))


def test_an_output_buffer_filled_in_a_loop_is_refused_naming_mc_stack(rng):
    """An RNN's outputs[t] = h, which PyTorch records (CopySlices): minicnn refuses it, and the
    way it names, a list and mc.stack, gives PyTorch's gradient."""
    x = mc.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    outputs = mc.zeros(2, 3, dtype=mc.float64)
    with pytest.raises(RuntimeError, match=r"hs\.append\(h\), then outputs = mc\.stack\(hs\)\)"):
        outputs[0] = x[0] * 2
    rows = [x[t] * 2 for t in range(2)]
    mc.stack(rows).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x, v: x.fill_(v), r"fill_\(\): value requires grad, .* write x = value\.expand_as\(x\) "),
        (lambda x, v: x.copy_(v), r"copy_\(\): other requires grad, .* write x = other\.expand_as\(x\) "),
        (lambda x, v: x.copy_(v.expand(3)), r"copy_\(\): other requires grad"),  # (a node of a graph)
    ],
)
def test_fill_and_copy_refuse_a_source_that_requires_grad_which_pytorch_would_record(rng, call, message):
    """torch 2.13: zeros(3).fill_(v) has grad_fn FillBackward and sends v a gradient; minicnn
    records no in-place op, so a silent write would cut v's gradient off: it refuses."""
    x = mc.tensor(rng.standard_normal(3))
    before = x.tolist()
    v = mc.tensor(rng.standard_normal(()), requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        call(x, v)
    assert x.tolist() == before
    with mc.no_grad():  # the values alone, as PyTorch's under no_grad
        call(x, v)
    assert x.tolist() == [v.item()] * 3 and not x.requires_grad
