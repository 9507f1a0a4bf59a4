"""The ops that move elements (indexing, reshape ... cat, stack, view): repeated indices,
dimensions past the end, views that share memory, and bad input.

The registry specs of this family are checked in test_registry.py; reductions in
test_reductions.py.
"""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

# --- indexing ---------------------------------------------------------------------


def test_repeated_indices_add_their_gradients():
    x = mc.tensor(np.arange(4.0), requires_grad=True)
    x[mc.tensor([0, 0, 3, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 0, 1])


def test_list_index_repeats_too():
    x = mc.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    x[[2, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [0, 0], [2, 2]])


def test_boolean_mask_routes_gradient_to_chosen_elements():
    x = mc.tensor(np.array([-1.0, 2.0, -3.0, 4.0]), requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])
    (y * mc.tensor(np.array([10.0, 20.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 10, 0, 20])


# --- shapes -----------------------------------------------------------------------


def test_squeeze_of_a_dim_that_is_not_one_changes_nothing():
    x = mc.zeros(2, 1, 3)
    assert x.squeeze(0).shape == (2, 1, 3)
    assert x.squeeze(1).shape == (2, 3)


def test_T_reverses_all_axes():
    assert mc.zeros(2, 3, 4).T.shape == (4, 3, 2)


def test_reshape_with_bad_size_raises():
    with pytest.raises(ValueError):
        mc.zeros(2, 3).reshape(4, 2)


def test_permute_rejects_a_non_permutation():
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0\) are not a permutation of 2 axes"):
        mc.zeros(2, 3).permute(0, 0)


def test_cat_rejects_mismatched_shapes_naming_them():
    with pytest.raises(ValueError, match=r"cat: shapes \[\(2, 3\), \(3, 3\)\] do not match outside dim 1"):
        mc.cat([mc.zeros(2, 3), mc.zeros(3, 3)], dim=1)


def test_stack_rejects_different_shapes_and_empty_lists():
    with pytest.raises(ValueError, match=r"stack: shapes \[\(2, 3\), \(2, 4\)\]"):
        mc.stack([mc.zeros(2, 3), mc.zeros(2, 4)])
    with pytest.raises(ValueError, match="cat: expected a non-empty list"):
        mc.cat([])


@pytest.mark.parametrize("join", [mc.cat, mc.stack])
def test_joining_keeps_the_float_dtype_and_refuses_two(join):
    """An integer tensor takes the float one's dtype, as in any op of two operands; float32
    beside float64 is refused, where NumPy would promote and backward then fail."""
    w = mc.ones(1, 2, requires_grad=True)
    y = join([w, mc.tensor([[1, 2]])])
    assert y.dtype == np.float32
    (y * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[2, 2]])
    with pytest.raises(TypeError, match=rf"{join.__name__}: the tensors are float32 and float64; convert"):
        join([w, mc.tensor(np.ones((1, 2)))])


def test_cat_gradient_reaches_only_inputs_that_want_it():
    a = mc.tensor(np.ones((1, 2)), requires_grad=True)
    b = mc.tensor(np.ones((2, 2)))
    (mc.cat([a, b]) * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[3, 3]])
    assert b.grad is None


@pytest.mark.parametrize(
    "call, name, bounds, got",
    [
        (lambda x: x.sum(3), "sum", "[-3, 2]", 3),
        (lambda x: x.mean(-4), "mean", "[-3, 2]", -4),
        (lambda x: x.amax(dim=(0, 5)), "amax", "[-3, 2]", 5),
        (lambda x: x.max(3), "max", "[-3, 2]", 3),
        (lambda x: x.unsqueeze(4), "unsqueeze", "[-4, 3]", 4),
        (lambda x: x.squeeze(3), "squeeze", "[-3, 2]", 3),
        (lambda x: x.permute(0, 1, 5), "permute", "[-3, 2]", 5),
        (lambda x: x.transpose(0, 3), "transpose", "[-3, 2]", 3),
        (lambda x: x.flatten(0, 5), "flatten", "[-3, 2]", 5),
        (lambda x: F.cat([x, x], dim=3), "cat", "[-3, 2]", 3),
        (lambda x: F.stack([x, x], dim=-5), "stack", "[-4, 3]", -5),
        (lambda x: mc.tensor(1.0).sum(1), "sum", "[-1, 0]", 1),
    ],
)
def test_a_dimension_past_the_end_is_an_error_not_another_axis(call, name, bounds, got):
    """As PyTorch: x.sum(3) on a 3-D x once summed axis 0 (3 % 3)."""
    x = mc.randn(1, 2, 3, seed=3)
    with pytest.raises(
        IndexError,
        match=rf"^{name}: dimension out of range \(expected to be in range of \{bounds}, but got {got}\)$",
    ):
        call(x)


def test_flatten_refuses_a_start_after_its_end_and_clamp_keeps_float32():
    x = mc.randn(1, 2, 3, seed=4)
    with pytest.raises(ValueError, match=r"flatten: start_dim \(2\) cannot come after end_dim \(1\)"):
        x.flatten(2, 1)
    assert mc.tensor(2.0).sum(0).shape == () and x.sum(-1).shape == (1, 2)
    y = x.clamp(min=np.float64(-0.5), max=np.float64(0.5))
    assert y.dtype == np.float32


def test_masks_and_indices_as_pytorch():
    """The parts without a gradient: argmin, any, all, &, |, ^, ~ on bool tensors."""
    t = mc.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert t.argmin(1).tolist() == [0, 1] and t.argmin().item() == 0
    assert (t > 4).any().item() and not (t > 4).all().item()
    assert (t > 0).all(dim=1).tolist() == [True, True]
    assert ((t > 1) & (t < 5)).tolist() == [[False, False], [True, True]]
    assert ((t > 4) | (t < 2)).tolist() == [[True, True], [False, False]]
    assert ((t > 1) ^ (t > 2)).tolist() == [[False, False], [False, True]]
    assert (~(t > 2)).tolist() == [[True, False], [False, True]]


def test_clone_split_expand_repeat_and_where_refuse_in_one_line():
    x = mc.randn(2, 3, seed=5, requires_grad=True)
    c = x.clone()
    assert c.data is not x.data and np.array_equal(c.numpy(), x.numpy()) and c.requires_grad
    assert [p.shape for p in x.split(2, dim=1)] == [(2, 2), (2, 1)] and len(x.chunk(5, dim=1)) == 3
    assert x.var(1, unbiased=False).shape == (2,) and mc.var(x).shape == ()
    with pytest.raises(ValueError, match=r"split: sizes \[1, 1\] add up to 2, not the size 3 of dim 1"):
        x.split([1, 1], dim=1)
    with pytest.raises(ValueError, match=r"expand: axis 1 of shape \(2, 3\) has size 3, neither 1 nor 4"):
        x.expand(2, 4)
    with pytest.raises(ValueError, match="repeat: 1 counts for a 2-D tensor; give at least 2"):
        x.repeat(2)
    with pytest.raises(TypeError, match="where: condition must be a bool tensor, got float32"):
        mc.where(x, x, x)
    with pytest.raises(TypeError, match="where: the tensors are float32 and float64"):
        mc.where(x > 0, x, x.double())


def test_the_new_ops_take_pytorchs_positional_arguments_and_edge_inputs():
    x = mc.randn(3, 4, seed=6, dtype=mc.float64)
    n = 4
    biased = ((x.numpy() - x.numpy().mean(1, keepdims=True)) ** 2).sum(1) / n
    np.testing.assert_allclose(x.var(1, False).numpy(), biased)  # var(dim, unbiased)
    np.testing.assert_allclose(x.std(1, True, True).numpy()[:, 0], np.sqrt(biased * n / (n - 1)))
    with pytest.raises(ValueError, match="var: give unbiased or correction, not both"):
        x.var(1, True, correction=0)
    values, index = mc.tensor(4.0).max(0)  # 0-d: the value, at index 0
    assert (values.item(), index.item()) == (4.0, 0)
    assert x.max(np.int64(1)).indices.shape == (3,)
    m = mc.tensor([True, False])
    assert m.clone().dtype == np.bool_ and (~m.clone()).tolist() == [False, True]
    np.testing.assert_array_equal(mc.tensor([0, 1, 2]).clamp(min=0.5).numpy(), [0.5, 1, 2])
    with pytest.raises(ValueError, match=r"expand: size -1 at position 0 for shape \(3,\)"):
        mc.tensor([1.0, 2.0, 3.0]).expand(-1, 3)
    assert mc.tensor(5.0).expand(2, 3).shape == (2, 3)
    with pytest.raises(ValueError, match="cat: zero-dimensional tensors cannot be joined"):
        F.cat([mc.tensor(1.0), mc.tensor(2.0)])


def test_empty_and_negative_pieces_and_reductions_over_no_dims_as_pytorch():
    empty = mc.zeros(0, 3)
    assert [p.shape for p in empty.split(2)] == [(0, 3)]  # one empty piece
    assert [p.shape for p in empty.chunk(3)] == [(0, 3)] * 3
    with pytest.raises(ValueError, match=r"split: sizes must not be negative, got \[3, -1, 3\]"):
        mc.tensor(np.arange(5.0)).split([3, -1, 3])
    leaf = mc.zeros(0, 3, requires_grad=True)
    leaf.repeat(2, 1).sum().backward()  # divided by the empty axis's size before
    assert leaf.grad.shape == (0, 3)
    x = mc.tensor(np.arange(6.0).reshape(2, 3))
    # dim=() reduces every axis in PyTorch (NumPy's axis=() reduces none)
    assert x.sum(dim=()).item() == 15.0 and x.mean(dim=[]).item() == 2.5
    assert x.var(dim=()).item() == 3.5 and x.amax(dim=()).item() == 5.0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: mc.ones(2, 3) @ mc.ones(4, 5),
            ValueError,
            r"matmul: shapes \(2, 3\) and \(4, 5\) cannot",
        ),
        (lambda: mc.ones(3) @ mc.ones(4, 5), ValueError, r"multiplied \(3 != 4\)"),
        (
            lambda: mc.ones(4, 6).view(5, -1),
            ValueError,
            r"shape \(5, -1\) is invalid for x of 24 elem",
        ),
        (lambda: mc.ones(4, 6).view(-1, -1), ValueError, r"view: only one size can be -1 \(inferred\)"),
        (lambda: mc.ones(4, 6).reshape(25), ValueError, r"reshape: shape \(25,\) is invalid"),
        (lambda: F.softmax(mc.ones(2, 3), 2), IndexError, r"softmax: dimension out of range .* got 2"),
        (lambda: F.log_softmax(mc.ones(2, 3), -3), IndexError, r"log_softmax: dimension out of range"),
        (lambda: mc.ones(2, 3).argmax(2), IndexError, r"argmax: dimension out of range"),
        (lambda: mc.ones(2, 3).argmin(-3), IndexError, r"argmin: dimension out of range"),
        # out.data is the array in minicnn: torch.max(out.data, 1) has no counterpart
        (
            lambda: mc.max(mc.ones(2, 3).data, 1),
            TypeError,
            r"max: x must be a minicnn Tensor, got numpy.nd",
        ),
    ],
)
def test_shape_and_dim_errors_are_one_line_before_numpy(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_reshape_with_minus_one_still_infers():
    assert mc.zeros(4, 6).view(-1).shape == (24,)
    assert mc.zeros(4, 6).view(3, -1, 2).shape == (3, 4, 2)
    assert mc.zeros(0, 3).view(-1, 3).shape == (0, 3)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda x: x, (6, 4)),  # C order
        (lambda x: x.transpose(0, 2), (4, 3, 2, 1)),  # only size-1 axes added
        (lambda x: x.transpose(0, 1), (3, 2, 2, 2)),  # the last axis split alone
        (lambda x: x[:, ::2], (2, 2, 2, 2)),  # a stepped axis split off the others
        (lambda x: x[:, 1:], (2, 8)),  # rows 1 and 2 of each block are one stride apart
        (lambda x: x[:, :1].expand(2, 5, 4), (2, 5, 2, 2)),  # the stride-0 axis kept
    ],
)
def test_view_shares_memory_where_pytorchs_view_is_allowed(make, shape):
    x = make(mc.tensor(np.arange(24.0).reshape(2, 3, 4)))
    y = x.view(shape)
    np.testing.assert_array_equal(y.numpy(), x.numpy().reshape(shape))
    assert np.shares_memory(y.data, x.data)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda x: x.transpose(0, 2), (24,)),
        (lambda x: x.transpose(0, 1), (3, 8)),
        (lambda x: x[:, ::2], (4, 4)),
        (lambda x: x[..., 1:3], (2, 6)),
        (lambda x: x[:, :1].expand(2, 5, 4), (2, 20)),
    ],
)
def test_view_refuses_a_layout_that_needs_a_copy_as_pytorch(make, shape):
    x = make(mc.tensor(np.arange(24.0).reshape(2, 3, 4)))
    with pytest.raises(
        RuntimeError, match=r"^view: shape .* without a copy; use \.reshape\(\.\.\.\) instead"
    ):
        x.view(shape)
    np.testing.assert_array_equal(x.reshape(shape).numpy(), x.numpy().reshape(shape))  # reshape copies


def test_a_write_through_a_view_reaches_the_tensor():
    x = mc.tensor(np.arange(6.0).reshape(2, 3))
    x.view(6)[4] = -1.0
    x.view_as(mc.zeros(3, 2))[0, 1] = -2.0
    np.testing.assert_array_equal(x.numpy(), [[0, -2, 2], [3, -1, 5]])
    with pytest.raises(RuntimeError, match="^view: "):
        x.t().view(6)
    with pytest.raises(RuntimeError, match="^view: "):
        x.t().view_as(mc.zeros(6))


def test_contiguous_copies_only_what_view_could_not_take():
    x = mc.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.data.flags.c_contiguous and not np.shares_memory(y.data, x.data)
    (y.view(6) * mc.tensor(np.arange(6.0))).sum().backward()
    np.testing.assert_array_equal(y.view(6).numpy(), [0, 3, 1, 4, 2, 5])
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2, 4], [1, 3, 5]])


def test_squeeze_takes_a_tuple_of_dims_as_pytorch():
    x = mc.zeros(1, 3, 1, 2)
    assert x.squeeze((0, 2)).shape == (3, 2) and x.squeeze((1, -2)).shape == (1, 3, 2)
    assert x.squeeze().shape == (3, 2) and x.squeeze(0).shape == (3, 1, 2)
    with pytest.raises(IndexError, match="squeeze: dimension out of range"):
        x.squeeze((0, 4))
