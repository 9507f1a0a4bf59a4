"""nn.utils: clip_grad_norm_ / clip_grad_value_ and parameters <-> one vector."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def params_with_grads(*grads):
    ps = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g)))
        p.grad = mc.tensor(np.asarray(g, dtype=np.float64))
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_all_gradients_together():
    ps = params_with_grads([3.0, 0.0], [[4.0], [0.0]])
    old = ps[0].grad.data
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, mc.Tensor) and total.item() == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)  # PyTorch's formula
    np.testing.assert_allclose(ps[0].grad.data, [3 * coef, 0.0], rtol=1e-15)
    np.testing.assert_allclose(ps[1].grad.data, [[4 * coef], [0.0]], rtol=1e-15)
    assert old.tolist() == [3.0, 0.0]  # a new array: a holder of the old one keeps it


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    ps = params_with_grads([0.3, 0.4]) + [nn.Parameter(np.ones(2))]
    assert clip_grad_norm_(ps, max_norm=1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(ps[0].grad.data, [0.3, 0.4])
    assert ps[1].grad is None
    assert clip_grad_norm_([ps[1]], 1.0).item() == 0.0


def test_clip_grad_norm_inf_norm_and_nonfinite():
    ps = params_with_grads([1.0, -6.0], [2.0])
    assert clip_grad_norm_(ps, max_norm=3.0, norm_type="inf").item() == 6.0
    np.testing.assert_allclose(ps[0].grad.data, [0.5, -3.0], rtol=1e-6)
    bad = params_with_grads([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="total norm"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_orders_that_are_not_p_norms_as_pytorch():
    """PyTorch takes each gradient's norm, then the norm of those: -inf is the smallest |g|
    (0 here, so nothing is clipped), 0 counts the gradients with a non-zero entry."""
    ps = params_with_grads([0.0, -6.0], [2.0])
    assert clip_grad_norm_(ps, max_norm=1.0, norm_type=-np.inf).item() == 0.0
    np.testing.assert_array_equal(ps[0].grad.data, [0.0, -6.0])
    assert clip_grad_norm_(params_with_grads([0.0, -6.0], [2.0], [0.0]), 10.0, norm_type=0).item() == 2.0


def test_clip_grad_value_():
    ps = params_with_grads([-5.0, 0.5, 5.0])
    clip_grad_value_(ps, 1.0)
    assert ps[0].grad.data.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_to_vector_and_back():
    lin = nn.Linear(3, 2).double()
    vec = parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(vec.data[:6], lin.weight.data.ravel())
    (vec * mc.tensor(np.arange(8.0))).sum().backward()  # the gradient flows to the parameters
    np.testing.assert_array_equal(lin.bias.grad.data, [6.0, 7.0])
    vector_to_parameters(mc.tensor(np.arange(8.0)), lin.parameters())
    assert lin.weight.data.tolist() == [[0, 1, 2], [3, 4, 5]] and lin.bias.data.tolist() == [6, 7]
    with pytest.raises(ValueError, match="the parameters hold 8 elements"):
        vector_to_parameters(mc.tensor(np.arange(7.0)), lin.parameters())
