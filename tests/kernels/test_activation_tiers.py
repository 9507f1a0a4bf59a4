"""ReLU's forward and backward kernels in every tier against the reference loops, float64 and float32."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels
from minicnn.kernels import reference, xp_activation


def _numba():
    pytest.importorskip("numba")
    from minicnn.kernels import numba_activation

    return numba_activation


def _plain_numba(gy, y):
    """numba_activation's backward loop as plain Python, run without compiling."""
    gx = np.empty_like(gy).reshape(-1)
    _numba()._relu_bwd_py(np.ascontiguousarray(gy).reshape(-1), np.ascontiguousarray(y).reshape(-1), gx)
    return gx.reshape(gy.shape)


def _plain_numba_forward(x):
    """numba_activation's forward loop as plain Python, run without compiling."""
    y = np.empty_like(x).reshape(-1)
    _numba()._relu_fwd_py(np.ascontiguousarray(x).reshape(-1), y)
    return y.reshape(x.shape)


FORWARD_TIERS = {
    "xp": xp_activation.relu_forward,
    "numba": lambda x: _numba().relu_forward(x),
    "numba_plain": _plain_numba_forward,
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tier", sorted(FORWARD_TIERS))
def test_relu_forward_equals_the_reference(tier, dtype):
    """max(x, 0) bit for bit: NaN and inf pass, -inf, negatives and -0.0 give +0."""
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5)).astype(dtype)
    x.reshape(-1)[:5] = [np.nan, -0.0, np.inf, -np.inf, 0.0]
    want = reference.relu_forward(x)
    got = FORWARD_TIERS[tier](x)
    assert got.dtype == dtype and got.shape == x.shape and not np.shares_memory(got, x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(want, np.where(x > 0, x, 0) + np.where(np.isnan(x), x, 0))
    flat = got.reshape(-1)
    assert np.isnan(flat[0]) and flat[2] == np.inf and not np.signbit(flat[[1, 3, 4]]).any()


@pytest.mark.parametrize("tier", sorted(FORWARD_TIERS))
def test_relu_forward_of_a_strided_array_and_a_scalar(tier):
    x = np.random.default_rng(5).standard_normal((3, 4, 6)).astype(np.float32).transpose(2, 0, 1)
    np.testing.assert_array_equal(FORWARD_TIERS[tier](x), reference.relu_forward(x))
    zero = FORWARD_TIERS[tier](np.full((), -2.5))
    assert isinstance(zero, np.ndarray) and zero.shape == () and zero == 0
    assert FORWARD_TIERS[tier](np.full((), 2.5)) == 2.5


@pytest.mark.parametrize("tier", ["reference", "numpy", "auto"])
def test_relu_runs_the_forward_kernel_of_its_tier(tier, monkeypatch):
    x = mc.tensor(np.random.default_rng(6).standard_normal((2, 3, 4)))
    K = kernels.get(tier)
    calls = []
    kernel = K.relu_forward
    monkeypatch.setattr(K, "relu_forward", lambda a: calls.append(tier) or kernel(a))
    with mc.use_kernels(tier):
        y = F.relu(x)
    assert calls == [tier]
    np.testing.assert_array_equal(y.numpy(), np.maximum(x.numpy(), 0))


TIERS = {
    "xp": xp_activation.relu_input_grad,
    "numba": lambda gy, y: _numba().relu_input_grad(gy, y),
    "numba_plain": _plain_numba,
}


def _arrays(dtype, seed, shape=(2, 3, 4, 5)):
    """gy, and y = max(x, 0) with exact zeros, a -0.0, a NaN and an inf among its cells;
    where y is 0, gy also holds inf, NaN and a negative value."""
    rng = np.random.default_rng(seed)
    y = np.maximum(rng.standard_normal(shape), 0).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    y.reshape(-1)[:7] = [np.nan, -0.0, np.inf, 0.0, 0.0, 0.0, 0.0]
    gy.reshape(-1)[3:7] = [np.inf, -np.inf, np.nan, -2.0]
    return gy, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tier", sorted(TIERS))
def test_relu_input_grad_equals_the_reference(tier, dtype):
    gy, y = _arrays(dtype, seed=1)
    want = reference.relu_input_grad(gy, y)
    got = TIERS[tier](gy, y)
    assert got.dtype == dtype and got.shape == gy.shape
    np.testing.assert_array_equal(got, want)  # a selection: every cell exact
    flat = got.reshape(-1)
    # NaN passes gy (PyTorch's mask is y <= 0, false for NaN); -0.0 and 0.0 stop it, with
    # +0 even where gy is inf, NaN or negative (as PyTorch's threshold_backward)
    assert flat[0] == gy.reshape(-1)[0] and flat[2] == gy.reshape(-1)[2]
    np.testing.assert_array_equal(flat[[1, 3, 4, 5, 6]], 0)
    assert not np.signbit(flat[[1, 3, 4, 5, 6]]).any() and not np.signbit(want.reshape(-1)[[3, 6]]).any()
    assert not np.shares_memory(got, gy)


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_strided_inputs_and_a_scalar(tier):
    gy, y = _arrays(np.float32, seed=2, shape=(3, 4, 6))
    gy_t, y_t = gy.transpose(2, 0, 1), y.transpose(2, 0, 1)
    np.testing.assert_array_equal(TIERS[tier](gy_t, y_t), reference.relu_input_grad(gy_t, y_t))
    g0, y0 = np.full((), 2.5), np.zeros(())
    assert TIERS[tier](g0, y0).shape == () and TIERS[tier](g0, y0) == 0
    assert TIERS[tier](g0, y0 + 1) == 2.5


def test_auto_takes_the_jitted_loops_and_numpy_the_xp_code():
    _numba()
    for name in ("relu_forward", "relu_input_grad"):
        assert kernels.get("auto").which(name) == f"minicnn.kernels.numba_activation.{name}"
        assert kernels.get("numpy").which(name) == f"minicnn.kernels.xp_activation.{name}"


@pytest.mark.parametrize("tier", ["reference", "numpy", "auto"])
def test_relu_backward_runs_the_kernel_of_its_forwards_tier(tier, monkeypatch):
    """F.relu's backward calls relu_input_grad of the tier its forward ran in, even when the
    tier is switched before backward, and gets the reference's gradient."""
    rng = np.random.default_rng(3)
    x = mc.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    calls = []
    K = kernels.get(tier)
    kernel = K.relu_input_grad

    def spied(gy, y):
        calls.append(tier)
        return kernel(gy, y)

    monkeypatch.setattr(K, "relu_input_grad", spied)
    with mc.use_kernels(tier):
        y = F.relu(x)
    with mc.use_kernels("reference" if tier != "reference" else "numpy"):
        (y * 2).sum().backward()
    assert calls == [tier]
    np.testing.assert_array_equal(x.grad.numpy(), 2.0 * (x.numpy() > 0))
