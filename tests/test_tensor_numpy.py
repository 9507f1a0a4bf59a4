"""Tensor and NumPy: a tensor read as an array, NumPy's ufuncs and operators on tensors, NumPy scalars
beside them."""

import numpy as np
import pytest

import minicnn as mc


def test_numpy_reads_a_tensor_as_its_array():
    t = mc.tensor([1.0, 2.0])
    assert np.asarray(t).dtype == np.float32 and np.asarray(t).tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    snapshot = np.array(t)  # a copy: a later update does not reach it
    t.data[0] = 5.0
    assert snapshot.tolist() == [1.0, 2.0] and np.shares_memory(np.asarray(t), t.data)
    with pytest.raises(ValueError, match="needs a copy"):
        np.array(t, dtype=np.float64, copy=False)
    assert mc.tensor([mc.tensor(1.0), mc.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert isinstance(np.ones(2) + t, mc.Tensor)  # operators still go to the Tensor


def test_numpy_of_a_tensor_that_requires_grad_is_a_read_only_view(rng):
    """A write into it would change what Exp kept for backward, uncounted: NumPy refuses it
    (PyTorch refuses numpy() itself there)."""
    x = mc.tensor(rng.standard_normal(3), requires_grad=True)
    y = x.exp()
    for array in (y.numpy(), np.asarray(y), x.numpy(), y.__array__()):
        assert np.shares_memory(array, y.data) or np.shares_memory(array, x.data)
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.numpy()))
    for writable in (y.detach().numpy(), np.array(y), x.grad.numpy(), mc.tensor([1.0]).numpy()):
        writable[0] = 5.0  # a copy, or a tensor without a gradient: as in PyTorch
    assert y.detach().numpy()[0] == 5.0  # (uncounted, as PyTorch's detach().numpy())


def test_a_numpy_ufunc_refuses_a_tensor_whose_gradient_it_would_lose():
    """np.exp(x) gives an array no gradient reaches: refused where x requires grad, as PyTorch."""
    x = mc.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"np.exp of a Tensor that requires grad: .* np.exp\(x.detach\(\)\)"):
        np.exp(x)
    np.testing.assert_allclose(np.exp(x.detach()), [1.0, np.e])
    with mc.no_grad():
        assert isinstance(np.exp(x), np.ndarray)  # no graph is recorded there anyway
    assert np.exp(mc.tensor(np.zeros(2))).tolist() == [1.0, 1.0]  # a tensor without a gradient


def test_numpy_operators_on_tensors_record_the_op():
    """np.add(a, x), a * x and a < x run the Tensor's operators, with the graph."""
    x = mc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    a = np.array([3.0, 0.5])
    y = np.add(a, x) * np.subtract(a, x) + np.multiply(x, a)  # (a + x)(a - x) + a x
    assert isinstance(y, mc.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -2 * x.numpy() + a)
    assert (a < x).tolist() == [False, True] and (np.less_equal(x, a)).tolist() == [True, False]


def test_a_ufunc_writing_into_a_tensor_counts_as_a_change_in_place():
    w = mc.tensor(np.array([1.0, 2.0]), requires_grad=True)
    x = mc.tensor(np.array([3.0, 4.0]))
    y = (x * w).sum()
    np.multiply(x, 2.0, out=x)
    assert x.tolist() == [6.0, 8.0]
    with pytest.raises(RuntimeError, match="input 0 of Mul was changed in place"):
        y.backward()


def test_pytorch_edges_of_comparison_size_len_and_numpy_scalars():
    x = mc.tensor([[1.0, 2.0, 3.0]])
    assert (x == None) is False and (x != None) is True  # noqa: E711 (the idiom under test)
    assert mc.tensor(3.0).dtype == np.float32  # a Python float: float32
    assert x.size(-1) == 3 and x.size() == (1, 3)
    with pytest.raises(
        IndexError, match=r"size: dim 2 is out of range for a 2-D tensor \(expected one in \[-2, 1\]\)"
    ):
        x.size(2)
    with pytest.raises(IndexError, match="a 0-d tensor has no dimensions"):
        mc.tensor(1.0).size(0)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(mc.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(mc.tensor(1.0))
    rows = list(mc.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    assert mc.max(x, x - 1).tolist() == x.tolist()  # two tensors: torch.max(a, b), the elementwise maximum
