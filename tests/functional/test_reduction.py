"""The reduction the losses share (reduction.py): L = l, sum l or mean l, in l's dtype, and
its backward gl = g, g or g / n, on arrays and on Tensors; a mean over another count
(cross_entropy's kept class weights, kl_div's batch) divides by it instead."""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn.functional.reduction import loss_grad, reduce_losses, reduce_tensor


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_is_the_sum_divided_once_in_the_losses_dtype(rng, dtype):
    losses = rng.standard_normal((4, 3)).astype(dtype)
    assert reduce_losses(losses, "none") is losses
    total, mean = reduce_losses(losses, "sum"), reduce_losses(losses, "mean")
    assert total.dtype == mean.dtype == dtype and total.shape == mean.shape == ()
    assert total == losses.sum() and mean == losses.sum() / 12


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_passes_g_on_to_each_loss_divided_by_n_for_mean(rng, dtype):
    g = np.asarray(rng.standard_normal(), dtype=dtype)
    each = rng.standard_normal((4, 3)).astype(dtype)
    np.testing.assert_array_equal(loss_grad(each, "none", (4, 3)), each)
    np.testing.assert_array_equal(loss_grad(g, "sum", (4, 3)), np.full((4, 3), g))
    gl = loss_grad(g, "mean", (4, 3))
    assert gl.dtype == dtype and gl.shape == (4, 3)
    np.testing.assert_array_equal(gl, np.full((4, 3), g / 12))


def test_no_losses_give_a_nan_mean_and_an_empty_gradient_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean = reduce_losses(np.zeros(0, np.float32), "mean")
        gl = loss_grad(np.asarray(1.0, np.float32), "mean", (0,))
    assert np.isnan(mean) and mean.dtype == np.float32
    assert gl.shape == (0,) and gl.dtype == np.float32


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_the_tensor_form_has_the_array_forms_value_and_gradient(rng, t, reduction):
    a = rng.standard_normal(5)
    losses = t(a, grad=True)
    out = reduce_tensor(losses, reduction)
    np.testing.assert_allclose(out.numpy(), reduce_losses(a, reduction), rtol=1e-15)
    g = rng.standard_normal(out.shape)
    out.backward(mc.tensor(g))
    np.testing.assert_allclose(losses.grad.numpy(), loss_grad(g, reduction, (5,)), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_divisor_replaces_the_count_of_a_mean_and_nothing_else(dtype):
    rng = np.random.default_rng(4520)
    losses = rng.standard_normal((4, 3)).astype(dtype)
    g = np.asarray(rng.standard_normal(), dtype=dtype)
    divisor = dtype(2.5)
    mean = reduce_losses(losses, "mean", divisor)
    assert mean.dtype == dtype and mean == losses.sum() / divisor
    assert reduce_losses(losses, "sum", divisor) == losses.sum()
    assert reduce_losses(losses, "none", divisor) is losses
    np.testing.assert_array_equal(loss_grad(g, "mean", (4, 3), divisor), np.full((4, 3), g / divisor))
    np.testing.assert_array_equal(loss_grad(g, "sum", (4, 3), divisor), np.full((4, 3), g))


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss], ids=["cross_entropy", "nll_loss"])
def test_every_target_ignored_gives_a_nan_mean_a_zero_sum_and_no_gradient_as_pytorch(loss, smoothing):
    """PyTorch: the mean over no kept target is 0 / 0, NaN, silently; the sum 0; and nothing
    reaches the input from either."""
    rng = np.random.default_rng(4521)
    settings = {"label_smoothing": smoothing} if loss is F.cross_entropy else {}
    weight = mc.tensor(rng.uniform(0.5, 2.0, 4))
    for reduction in ("mean", "sum"):
        x = mc.tensor(rng.standard_normal((3, 4)), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = loss(x, mc.tensor([-100, -100, -100]), weight, reduction=reduction, **settings)
            out.backward()
        assert np.isnan(out.item()) if reduction == "mean" else out.item() == 0.0
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))
