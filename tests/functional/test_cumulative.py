"""prod and cumsum: the gradient of a product with zeros, dtypes and bad input, with values
read from PyTorch 2.13. Away from zeros they are compared with PyTorch in test_registry.py.
"""

import numpy as np
import pytest

import minicnn as mc


@pytest.mark.parametrize(
    "row, grad",
    [
        ([2.0, 3.0, 4.0, 5.0], [60, 40, 30, 24]),
        ([2.0, 0.0, 3.0, 4.0], [0, 24, 0, 0]),  # one zero: its gradient is the product of the others
        ([2.0, 0.0, 3.0, 0.0], [0, 0, 0, 0]),  # two zeros: every product of the others holds a zero
        ([0.0, 0.0, 0.0, 0.0], [0, 0, 0, 0]),
    ],
)
def test_prod_gradient_with_zeros_as_pytorch(t, row, grad):
    x = t(row, grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), grad)
    rows = t([row, row[::-1]], grad=True)
    rows.prod(1).sum().backward()
    np.testing.assert_array_equal(rows.grad.numpy(), [grad, grad[::-1]])


def test_prod_along_dim0_keepdim_and_dtypes(t):
    x = t([[2.0, 0.0], [3.0, 4.0]], grad=True)
    x.prod(0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3, 4], [2, 0]])
    assert x.prod(1, keepdim=True).shape == (2, 1)
    assert mc.prod(mc.tensor(np.array([1, 2, 3], np.int32))).dtype == np.int64
    assert mc.prod(mc.tensor([True, True])).dtype == np.int64
    as_double = mc.prod(mc.tensor(np.array([1, 2, 3], np.int32)), dtype=mc.float64)
    assert as_double.dtype == np.float64 and as_double.item() == 6.0
    assert mc.prod(mc.zeros(2, 0), 1).tolist() == [1.0, 1.0]  # the empty product
    assert mc.prod(mc.tensor(3.0), 0).item() == 3.0
    with pytest.raises(TypeError, match=r"prod: dim must be one int, or None for all elements, got \(0, 1\)"):
        x.prod(dim=(0, 1))
    with pytest.raises(IndexError, match="prod: dimension out of range"):
        x.prod(2)


def test_empty_prod_has_an_empty_gradient():
    x = mc.tensor(np.zeros((2, 0)), requires_grad=True)
    x.prod(1).sum().backward()
    assert x.grad.shape == (2, 0)


def test_cumsum_gradient_is_the_reversed_running_sum(t):
    x = t([1.0, 2.0, 3.0], grad=True)
    y = mc.cumsum(x, 0)
    assert y.tolist() == [1, 3, 6]
    (y * t([1.0, 2.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7, 6, 4])


def test_cumsum_dtypes_and_dims():
    assert mc.tensor(np.array([1, 2, 3], np.int32)).cumsum(0).dtype == np.int64
    assert mc.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert mc.tensor(3.0).cumsum(0).shape == ()
    assert mc.tensor([1.0, 2.0]).cumsum(0, dtype=mc.float64).dtype == np.float64
    assert mc.tensor([[1, 2], [3, 4]]).cumsum(-1).tolist() == [[1, 3], [3, 7]]
    with pytest.raises(IndexError, match="cumsum: dimension out of range"):
        mc.tensor([1.0]).cumsum(1)
