"""scatter, scatter_add, index_add and index_fill out of place (PyTorch's values and gradients,
float64 gradient checks) and what PyTorch leaves open or gets wrong: which of two values for
one cell stays, a src wider than index, a 0-d tensor, bad indices. Their in-place twins'
values are in test_in_place2.py."""

import numpy as np
import pytest
from fixtures.gen_in_place2 import OUT_OF_PLACE
from out_of_place_golden import check_gradcheck, check_values_and_gradients

import minicnn as mc

CASES = [n for n in OUT_OF_PLACE if n.startswith(("scatter", "index"))]


@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_are_pytorchs(golden, name):
    check_values_and_gradients(golden("in_place2"), name)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(golden, name):
    check_gradcheck(golden("in_place2"), name)


def test_of_two_values_for_one_cell_the_later_in_index_order_stays():
    index = mc.tensor([[0, 2, 0, 0], [1, 1, 2, 1]])
    src = mc.tensor(np.arange(1.0, 9.0).reshape(2, 4), requires_grad=True)
    y = mc.scatter(mc.zeros(2, 3, dtype=mc.float64), 1, index, src)
    assert y.tolist() == [[4.0, 0.0, 2.0], [0.0, 8.0, 7.0]]
    y.backward(mc.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert src.grad.tolist() == [[1.0, 3.0, 1.0, 1.0], [5.0, 5.0, 6.0, 5.0]]  # gy gathered, as PyTorch
    x = mc.zeros(2, 3, dtype=mc.float64)
    assert x.scatter_(1, index, src.detach()).tolist() == y.tolist()
    assert x.scatter_(1, index, src.detach(), reduce="add").tolist() == [[12.0, 0.0, 4.0], [0.0, 27.0, 14.0]]
    assert mc.ones(3).scatter_(
        0, mc.tensor([1, 1, 2, 1]), mc.tensor([2.0, 3.0, 5.0, 7.0]), reduce="multiply"
    ).tolist() == [
        1.0,
        42.0,
        5.0,
    ]


def test_a_src_wider_than_index_gets_zero_gradient_where_it_is_not_read():
    """PyTorch's backward fails here ("invalid gradient ... got [2, 2] but expected [2, 3]")."""
    src = mc.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x = mc.zeros(2, 3, dtype=mc.float64, requires_grad=True)
    index = mc.tensor([[2, 0], [1, 2]])
    for op in (mc.scatter, mc.scatter_add):
        src.grad = None
        op(x, 1, index, src).backward(mc.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        assert src.grad.tolist() == [[3.0, 1.0, 0.0], [5.0, 6.0, 0.0]]
    assert mc.gradcheck(lambda x, s: mc.scatter(x, 1, index, s), [x, src])


def test_a_0d_tensor_is_scattered_into_as_one_element():
    x = mc.tensor(1.0, dtype=mc.float64, requires_grad=True)
    y = mc.scatter_add(x, 0, mc.tensor(0), mc.tensor(2.0, dtype=mc.float64))
    assert y.shape == () and y.item() == 3.0
    assert mc.index_fill(x, 0, mc.tensor([0]), 5.0).item() == 5.0
    assert mc.zeros(()).index_add_(0, mc.tensor([0]), mc.tensor(4.0)).item() == 4.0
    assert mc.zeros(()).scatter_(-1, mc.tensor(0), 7.0).item() == 7.0


def test_reduce_has_no_gradient_and_takes_add_or_multiply_only():
    x = mc.zeros(2, 3, requires_grad=True)
    index = mc.tensor([[0], [1]])
    with pytest.raises(RuntimeError, match=r"^scatter: reduce='add' has no gradient \(in PyTorch neither\)"):
        mc.scatter(x, 1, index, mc.ones(2, 1), reduce="add")
    with mc.no_grad():
        assert mc.scatter(x, 1, index, 2.0, reduce="add").tolist() == [[2.0, 0, 0], [0, 2.0, 0]]
    with pytest.raises(
        ValueError, match=r"^scatter_\(\): reduce must be None, 'add' or 'multiply', got 'mean'"
    ):
        mc.zeros(2, 3).scatter_(1, index, mc.ones(2, 1), reduce="mean")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda x: x.scatter_(1, mc.tensor([0, 1]), mc.ones(2, 3)),
            ValueError,
            r"^scatter_\(\): index must have as many dims as x; x \(2, 3\), index \(2,\)",
        ),
        (
            lambda x: x.scatter_(1, mc.tensor([[0, 1, 2, 0]]), mc.ones(2, 3)),
            ValueError,
            r"^scatter_\(\): expected index \(1, 4\) no larger than x \(2, 3\) apart from dim 1 and no "
            r"larger than src",
        ),
        (
            lambda x: x.scatter_add_(1, mc.tensor([[3]]), mc.ones(1, 1)),
            IndexError,
            r"^scatter_add_\(\): index 3 is out of bounds for dim 1 of size 3",
        ),
        (
            lambda x: x.scatter_(1, mc.tensor([[-1]]), 1.0),
            IndexError,
            r"^scatter_\(\): index -1 is out of bounds for dim 1 of size 3",
        ),
        (
            lambda x: x.scatter_(1, mc.tensor([[0]]), mc.ones(1, 1, dtype=mc.float64)),
            TypeError,
            r"^scatter_\(\): expected src of x's dtype float32, got float64 \(as PyTorch\)",
        ),
        (
            lambda x: x.scatter_(1, mc.tensor([[0.0]]), 1.0),
            TypeError,
            r"^scatter_\(\): index must be int64 \(or int32\), got float32",
        ),
        (
            lambda x: x.scatter_(2, mc.tensor([[0]]), 1.0),
            IndexError,
            r"^scatter_\(\): dimension out of range",
        ),
        (lambda x: x.scatter_(1, mc.tensor([[0]])), TypeError, r"^scatter_\(\): give exactly one of src"),
        (
            lambda x: x.index_add_(1, mc.tensor([0]), mc.ones(2, 2)),
            ValueError,
            r"^index_add_\(\): expected source of shape \(2, 1\) \(x's, with len\(index\) = 1 along dim 1\), "
            r"got \(2, 2\)",
        ),
        (
            lambda x: x.index_add_(1, mc.tensor([[0]]), mc.ones(2, 1)),
            ValueError,
            r"^index_add_\(\): index must be 0-d or 1-d, got shape \(1, 1\)",
        ),
        (
            lambda x: x.index_add_(0, mc.tensor([-1]), mc.ones(1, 3)),
            IndexError,
            r"^index_add_\(\): index -1 is out of bounds for dim 0 of size 2",
        ),
        (
            lambda x: x.index_fill_(1, mc.tensor([-4]), 1.0),
            IndexError,
            r"^index_fill_\(\): index -4 is out of bounds for dim 1 of size 3",
        ),
        (
            lambda x: x.index_fill_(1, mc.tensor([0]), mc.ones(1)),
            ValueError,
            r"^index_fill_\(\): value must be a number or a 0-d tensor, got shape \(1,\)",
        ),
        (
            lambda x: mc.tensor([1, 2], dtype=mc.uint8).index_fill_(0, mc.tensor([0]), 300),
            ValueError,
            r"^index_fill_\(\): value 300 cannot be written into a uint8 tensor without overflow",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(call, error, message, rng):
    x = mc.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    before = x.numpy().copy()
    with pytest.raises(error, match=message):
        call(x)
    np.testing.assert_array_equal(x.numpy(), before)


def test_the_one_hot_and_count_idioms(rng):
    labels = mc.tensor(rng.integers(0, 5, 8))
    one_hot = mc.zeros(8, 5).scatter_(1, labels[:, None], 1.0)
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(5, dtype=np.float32)[labels.numpy()])
    counts = mc.zeros(5, dtype=mc.int64).scatter_add_(0, labels, mc.ones(8, dtype=mc.int64))
    np.testing.assert_array_equal(counts.numpy(), np.bincount(labels.numpy(), minlength=5))
    x = mc.tensor(rng.standard_normal((4, 3)))
    x.index_add_(0, mc.tensor([0, 0]), x[1:3])  # source a view of x itself: read before the write
    assert x.shape == (4, 3)
