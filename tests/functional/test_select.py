"""gather, index_select, masked_fill, Tensor.where, sort, argsort and topk.

The registry specs (test_registry.py) compare them with PyTorch on inputs without ties; these
tests pin repeated indices, the order of ties and NaN, k's bounds and bad input, with values
read from PyTorch 2.13 (and, where minicnn chooses a tie order PyTorch leaves open, that order).
"""

import numpy as np
import pytest

import minicnn as mc

NAN, INF = np.nan, np.inf


def test_gather_adds_the_gradient_of_a_repeated_index(t):
    x = mc.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = mc.gather(x, 1, mc.tensor([[0, 0, 1], [3, 3, 3]]))  # index shorter than x along dim 0
    np.testing.assert_array_equal(y.numpy(), [[0, 0, 1], [7, 7, 7]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 1, 0, 0], [0, 0, 0, 3], [0, 0, 0, 0]])
    wide = x.gather(1, mc.tensor([[0] * 5]))  # longer than x along dim itself: allowed
    assert wide.shape == (1, 5)
    assert x.gather(1, mc.tensor(np.array([[1]], np.int32))).item() == 1.0


def test_gather_of_a_0d_tensor():
    assert mc.gather(mc.tensor(5.0), 0, mc.tensor(0)).shape == ()
    assert mc.gather(mc.tensor(5.0), 0, mc.tensor([0])).tolist() == [5.0]


@pytest.mark.parametrize(
    "index, error, message",
    [
        (mc.tensor([[-1]]), IndexError, r"gather: index -1 is out of bounds for dim 1 of size 4"),
        (mc.tensor([[0, 4]]), IndexError, r"gather: index 4 is out of bounds for dim 1 of size 4"),
        (
            mc.tensor([0, 1]),
            ValueError,
            r"gather: index must have as many dims as input; input \(3, 4\), index \(2,\)",
        ),
        (mc.tensor([[0]] * 4), ValueError, r"gather: index is longer than input along dim 0"),
        (mc.tensor([[0.0]]), TypeError, r"gather: index must be int64 \(or int32\), got float32"),
        (np.array([[0]]), TypeError, r"gather: index must be a minicnn Tensor of int64, got numpy.ndarray"),
    ],
)
def test_gather_refuses_a_bad_index_in_one_line(index, error, message):
    with pytest.raises(error, match=message):
        mc.gather(mc.zeros(3, 4), 1, index)


def test_gather_refuses_a_dim_past_the_end_and_sparse_gradients():
    with pytest.raises(
        IndexError,
        match=r"gather: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
    ):
        mc.gather(mc.zeros(3, 4), 2, mc.tensor([[0]]))
    with pytest.raises(ValueError, match="gather: sparse_grad=True is not supported"):
        mc.gather(mc.zeros(3, 4), 1, mc.tensor([[0]]), sparse_grad=True)


def test_index_select_adds_at_repeated_indices():
    x = mc.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = mc.index_select(x, 1, mc.tensor([2, 0, 2]))
    np.testing.assert_array_equal(y.numpy(), [[2, 0, 2], [5, 3, 5]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 2], [1, 0, 2]])
    assert x.index_select(1, mc.tensor(1)).shape == (2, 1)  # a 0-d index keeps the dim, as PyTorch
    assert mc.index_select(mc.tensor(5.0), 0, mc.tensor(0)).shape == ()
    with pytest.raises(IndexError, match="index_select: index 3 is out of bounds for dim 1 of size 3"):
        x.index_select(1, mc.tensor([3]))
    with pytest.raises(IndexError, match="index_select: index -1 is out of bounds"):
        x.index_select(1, mc.tensor([-1]))
    with pytest.raises(ValueError, match=r"index_select: index must be 0-d or 1-d, got shape \(1, 1\)"):
        x.index_select(1, mc.tensor([[1]]))
    with pytest.raises(TypeError, match="index_select: index must be int64 \\(or int32\\), got float32"):
        x.index_select(1, mc.tensor([1.0]))
    with pytest.raises(ValueError, match="index_select: a 0-d input takes one index, got 2"):
        mc.index_select(mc.tensor(5.0), 0, mc.tensor([0, 0]))


def test_masked_fill_gives_no_gradient_where_it_filled_and_one_to_a_value_tensor(t):
    x, v = t([1.0, 2.0, 3.0], grad=True), t(3.0, grad=True)
    y = x.masked_fill(mc.tensor([True, False, True]), v)
    np.testing.assert_array_equal(y.numpy(), [3, 2, 3])
    (y * t([1.0, 2.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 2, 0])
    assert v.grad.item() == 5.0


def test_masked_fill_keeps_the_inputs_dtype_and_broadcasts_as_pytorch():
    assert mc.tensor([1, 2]).masked_fill(mc.tensor([True, False]), 0.5).tolist() == [0, 2]
    assert (
        mc.tensor([1.0, 2.0]).masked_fill(mc.tensor([True, False]), mc.tensor(np.float64(3.0))).dtype
        == np.float32
    )
    grown = mc.masked_fill(mc.zeros(3), mc.ones(2, 3).bool(), 1.0)  # a larger mask: a larger result
    assert grown.shape == (2, 3) and grown.tolist() == [[1, 1, 1], [1, 1, 1]]
    scores = mc.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    p = scores.masked_fill(mc.tensor([[False, True, False]]), float("-inf")).softmax(1)
    assert p.numpy()[0, 1] == 0.0
    p[0, 0].backward()
    assert scores.grad.numpy()[0, 1] == 0.0


@pytest.mark.parametrize(
    "mask, value, error, message",
    [
        (mc.tensor([1, 0]), 0.0, TypeError, "masked_fill: mask must be a bool Tensor, got int64"),
        (
            np.array([True, False]),
            0.0,
            TypeError,
            "masked_fill: mask must be a bool Tensor, got numpy.ndarray",
        ),
        (
            mc.tensor([True, False, True]),
            0.0,
            ValueError,
            r"mask of shape \(3,\) does not broadcast with input of shape \(2,\)",
        ),
        (
            mc.tensor([True, False]),
            mc.tensor([3.0, 4.0]),
            ValueError,
            r"value must be a number or a 0-d tensor, got shape \(2,\)",
        ),
        (
            mc.tensor([True, False]),
            "x",
            TypeError,
            "masked_fill: value must be a number or a 0-d tensor, got str",
        ),
    ],
)
def test_masked_fill_refuses_bad_input(mask, value, error, message):
    with pytest.raises(error, match=message):
        mc.tensor([1.0, 2.0]).masked_fill(mask, value)


def test_where_method_is_where_with_self_as_the_first_choice():
    x = mc.tensor([1.0, 2.0])
    assert x.where(mc.tensor([True, False]), mc.tensor([5.0, 6.0])).tolist() == [1.0, 6.0]
    assert x.where(x < 1.5, 0.0).tolist() == [1.0, 0.0]


MIXED = [3.0, 1.0, 3.0, NAN, 2.0, 1.0, INF, -INF]


def test_sort_is_stable_and_puts_nan_last_ascending_first_descending():
    """The values and indices of torch.sort (stable=True, and its default on this input)."""
    values, indices = mc.sort(mc.tensor(MIXED))
    np.testing.assert_array_equal(values.numpy(), [-INF, 1, 1, 2, 3, 3, INF, NAN])
    assert indices.tolist() == [7, 1, 5, 4, 0, 2, 6, 3] and indices.dtype == np.int64
    values, indices = mc.tensor(MIXED).sort(descending=True)
    np.testing.assert_array_equal(values.numpy(), [NAN, INF, 3, 3, 2, 1, 1, -INF])
    assert indices.tolist() == [3, 6, 0, 2, 4, 1, 5, 7]
    assert mc.argsort(mc.tensor(MIXED), descending=True).tolist() == [3, 6, 0, 2, 4, 1, 5, 7]
    assert mc.tensor([True, False, True]).sort().indices.tolist() == [1, 0, 2]
    assert mc.tensor([[3, 1], [0, 2]]).sort(dim=0).values.tolist() == [[0, 1], [3, 2]]
    assert mc.tensor([[3, 1], [0, 2]]).argsort(0).tolist() == [[1, 0], [0, 1]]


def test_sort_sends_each_values_gradient_to_its_index(t):
    x = t([3.0, 1.0, 2.0], grad=True)
    (x.sort().values * t([1.0, 2.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4, 1, 2])
    scalar = mc.sort(mc.tensor(3.0))
    assert scalar.values.shape == scalar.indices.shape == () and scalar.indices.item() == 0
    with pytest.raises(
        IndexError, match=r"sort: dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"
    ):
        mc.sort(mc.tensor(3.0), dim=1)


def test_topk_picks_as_pytorch_and_takes_the_first_of_equal_values():
    top = mc.topk(mc.tensor(MIXED), 3)  # NaN counts as the largest, as in PyTorch
    np.testing.assert_array_equal(top.values.numpy(), [NAN, INF, 3])
    assert top.indices.tolist() == [3, 6, 0]
    low = mc.tensor(MIXED).topk(3, largest=False)
    np.testing.assert_array_equal(low.values.numpy(), [-INF, 1, 1])
    assert low.indices.tolist() == [7, 1, 5]
    ties = mc.tensor([1.0, 3.0, 3.0, 3.0, 0.0]).topk(2)
    assert ties.values.tolist() == [3.0, 3.0]
    assert ties.indices.tolist() == [1, 2]  # (PyTorch 2.13's CPU kernel gives [1, 3]: it promises no order)
    assert mc.topk(mc.tensor([1, 3, 2]), 2).indices.tolist() == [1, 2]


def test_topk_sends_the_gradient_to_its_indices_and_checks_k(t):
    x = t([[1.0, 4.0, 3.0], [2.0, 0.0, 5.0]], grad=True)
    (x.topk(2, dim=1).values * t([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 10], [1000, 0, 100]])
    assert x.topk(0).values.shape == (2, 0)
    assert mc.topk(mc.tensor(3.0), 1).values.item() == 3.0
    with pytest.raises(ValueError, match=r"topk: k must be in \[0, 3\] for dim 1 of size 3, got k=4"):
        x.topk(4)
    with pytest.raises(ValueError, match=r"topk: k must be in \[0, 2\] for dim 0 of size 2, got k=-1"):
        x.topk(-1, dim=0)
    with pytest.raises(TypeError, match="topk: k must be an int, got 1.0"):
        x.topk(1.0)
    with pytest.raises(ValueError, match=r"topk: k must be in \[0, 1\]"):
        mc.topk(mc.tensor(3.0), 2)
