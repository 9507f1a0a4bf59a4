"""Every LRN and batch-norm kernel against the reference loops, float64 and float32."""

import numpy as np
import pytest

from minicnn.kernels import reference, xp_norm

RTOL = {np.float64: 1e-10, np.float32: 1e-5}
SHAPE = (2, 6, 7)  # (N, C, M)
LRN_PARAMS = [(3, 0.4, 0.75, 1.0), (5, 0.2, 0.6, 2.0), (8, 1.0, 0.75, 1.0)]  # last: size > C


def _numba():
    pytest.importorskip("numba")
    from minicnn.kernels import numba_cpu

    return numba_cpu


def _close(a, b, dtype):
    assert a.dtype == b.dtype == dtype
    scale = np.abs(b).max()
    np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


def _arrays(dtype, seed=0, noncontiguous=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(SHAPE).astype(dtype) * 1.5 for _ in range(2)]
    if noncontiguous:  # same values, strided memory
        arrays = [np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1) for a in arrays]
        assert not arrays[0].flags.c_contiguous
    return arrays


def _plain_numba():
    """The Numba kernels' plain-Python twins, run without compiling."""
    nb = _numba()

    class Plain:
        @staticmethod
        def lrn_forward(x, size, alpha, beta, k):
            y, s = np.empty_like(x), np.empty_like(x)
            nb._lrn_fwd_py(x, size, alpha, beta, k, y, s)
            return y, s

        @staticmethod
        def lrn_input_grad(gy, x, s, size, alpha, beta):
            p, t, gx = np.empty_like(x), np.empty_like(x), np.empty_like(x)
            nb._lrn_bwd_py(gy, x, s, size, alpha, beta, p, t, gx)
            return gx

        @staticmethod
        def batch_norm_stats(x):
            mean, var = np.empty(x.shape[1], x.dtype), np.empty(x.shape[1], x.dtype)
            nb._bn_stats_py(x, mean, var)
            return mean, var

        @staticmethod
        def batch_norm_apply(x, mean, invstd, weight, bias):
            y, xhat = np.empty_like(x), np.empty_like(x)
            nb._bn_apply_py(x, mean, invstd, weight, bias, y, xhat)
            return y, xhat

        @staticmethod
        def batch_norm_grads(gy, xhat, invstd, weight):
            gx = np.empty_like(gy)
            gw, gb = np.empty(gy.shape[1], gy.dtype), np.empty(gy.shape[1], gy.dtype)
            nb._bn_bwd_py(gy, xhat, invstd, weight, gx, gw, gb)
            return gx, gw, gb

    return Plain


TIERS = {
    "numpy": lambda: xp_norm,
    "numba": pytest.param(lambda: _numba(), marks=pytest.mark.numba),
    "numba_py": pytest.param(_plain_numba, marks=pytest.mark.numba),
}
TIER_PARAMS = [TIERS["numpy"], TIERS["numba"], TIERS["numba_py"]]
TIER_IDS = list(TIERS)


@pytest.mark.parametrize("noncontiguous", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("params", LRN_PARAMS)
@pytest.mark.parametrize("tier", TIER_PARAMS, ids=TIER_IDS)
def test_lrn_kernels_match_reference(tier, params, dtype, noncontiguous):
    K = tier()
    x, gy = _arrays(dtype, noncontiguous=noncontiguous)
    if noncontiguous and K.__name__ == "Plain":  # the twins get what the wrappers hand them
        x, gy = np.ascontiguousarray(x), np.ascontiguousarray(gy)
    y_ref, s_ref = reference.lrn_forward(x, *params)
    gx_ref = reference.lrn_input_grad(gy, x, s_ref, *params[:3])
    y, s = K.lrn_forward(x, *params)
    _close(y, y_ref, dtype)
    _close(s, s_ref, dtype)
    _close(K.lrn_input_grad(gy, x, s, *params[:3]), gx_ref, dtype)


@pytest.mark.parametrize("noncontiguous", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tier", TIER_PARAMS, ids=TIER_IDS)
def test_batch_norm_kernels_match_reference(tier, dtype, noncontiguous):
    K = tier()
    x, gy = _arrays(dtype, seed=1, noncontiguous=noncontiguous)
    x = x * 3 + 1
    if noncontiguous and K.__name__ == "Plain":  # the twins get what the wrappers hand them
        x, gy = np.ascontiguousarray(x), np.ascontiguousarray(gy)
    rng = np.random.default_rng(2)
    weight, bias = (rng.standard_normal(SHAPE[1]).astype(dtype) for _ in range(2))

    mean_ref, var_ref = reference.batch_norm_stats(x)
    mean, var = K.batch_norm_stats(x)
    _close(mean, mean_ref, dtype)
    _close(var, var_ref, dtype)

    invstd = (1 / np.sqrt(var_ref + 1e-5)).astype(dtype)
    y_ref, xhat_ref = reference.batch_norm_apply(x, mean_ref, invstd, weight, bias)
    y, xhat = K.batch_norm_apply(x, mean_ref, invstd, weight, bias)
    _close(y, y_ref, dtype)
    _close(xhat, xhat_ref, dtype)

    for got, want in zip(
        K.batch_norm_grads(gy, xhat_ref, invstd, weight),
        reference.batch_norm_grads(gy, xhat_ref, invstd, weight),
    ):
        _close(got, want, dtype)


@pytest.mark.parametrize("tier", ["reference", "xp", "numba"])
def test_batch_norm_stats_of_float32_far_from_zero_are_float32_exact(tier):
    """A channel of mean 1e4 and spread 0.5: every tier sums in float64, so its float32 mean
    and variance are the exact ones rounded once (a float32 running sum in the reference was
    off by 2%; the xp tier's float32 sums, by 8e-6 of the variance)."""
    kernels = {"reference": lambda: reference, "xp": lambda: xp_norm, "numba": _numba}[tier]()
    x = (1e4 + 0.5 * np.random.default_rng(47).standard_normal((64, 3, 1024))).astype(np.float32)
    mean, var = kernels.batch_norm_stats(x)
    exact = x.astype(np.float64)
    np.testing.assert_allclose(mean, exact.mean(axis=(0, 2)), rtol=1e-7)
    np.testing.assert_allclose(var, exact.var(axis=(0, 2)), rtol=1e-6)


def test_reference_batch_norm_grads_sum_float32_in_float64():
    """gbias and gweight are sums over N*M values: the reference adds them up in float64, so
    each is the exact sum rounded once (a float32 running sum was off by 6e-6, a hundred roundings)."""
    rng = np.random.default_rng(48)
    gy = (100 + rng.standard_normal((64, 2, 1024))).astype(np.float32)
    xhat = rng.standard_normal((64, 2, 1024)).astype(np.float32)
    ones = np.ones(2, np.float32)
    _, gweight, gbias = reference.batch_norm_grads(gy, xhat, ones, ones)
    exact = gy.astype(np.float64)
    np.testing.assert_allclose(gbias, exact.sum(axis=(0, 2)), rtol=1e-7)
    np.testing.assert_allclose(gweight, (exact * xhat).sum(axis=(0, 2)), rtol=1e-6)


def test_reference_lrn_input_grad_is_the_transpose_of_its_jacobian():
    # finite differences of the plain-loop forward agree with the plain-loop backward
    rng = np.random.default_rng(3)
    x, gy = rng.standard_normal((1, 4, 2)), rng.standard_normal((1, 4, 2))
    size, alpha, beta, k = 3, 0.5, 0.75, 1.0
    _, s = reference.lrn_forward(x, size, alpha, beta, k)
    gx = reference.lrn_input_grad(gy, x, s, size, alpha, beta)
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1e-6
        plus = (reference.lrn_forward(x + e, size, alpha, beta, k)[0] * gy).sum()
        minus = (reference.lrn_forward(x - e, size, alpha, beta, k)[0] * gy).sum()
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(gx, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.numba
def test_auto_tier_takes_lrn_and_batch_norm_kernels_from_numba():
    import minicnn as mc
    from minicnn import kernels

    nb = _numba()
    listed = {"lrn_forward", "lrn_input_grad", "batch_norm_stats", "batch_norm_apply", "batch_norm_grads"}
    assert listed <= set(kernels.AUTO["numba_cpu"])
    with mc.use_kernels("auto"):
        K = kernels.for_array(np.zeros(1))
        for name in listed:
            assert getattr(K, name) is getattr(nb, name), name
        # what the Numba module does not define comes from the xp tier
        assert K.batch_norm_invstd is xp_norm.batch_norm_invstd


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_xp_kernels_on_cupy_match_numpy(dtype):
    from minicnn import backend

    cp = backend.cupy()
    x, gy = _arrays(dtype, seed=4)
    y, s = xp_norm.lrn_forward(x, 5, 0.3, 0.75, 2.0)
    y_gpu, s_gpu = xp_norm.lrn_forward(cp.asarray(x), 5, 0.3, 0.75, 2.0)
    _close(cp.asnumpy(y_gpu), y, dtype)
    _close(
        cp.asnumpy(xp_norm.lrn_input_grad(cp.asarray(gy), cp.asarray(x), s_gpu, 5, 0.3, 0.75)),
        xp_norm.lrn_input_grad(gy, x, s, 5, 0.3, 0.75),
        dtype,
    )
    mean, var = xp_norm.batch_norm_stats(x)
    mean_gpu, var_gpu = xp_norm.batch_norm_stats(cp.asarray(x))
    _close(cp.asnumpy(mean_gpu), mean, dtype)
    _close(cp.asnumpy(var_gpu), var, dtype)
    invstd, w = (1 / np.sqrt(var + 1e-5)).astype(dtype), np.linspace(0.5, 1.5, SHAPE[1]).astype(dtype)
    _, xhat = xp_norm.batch_norm_apply(x, mean, invstd, w, w)
    on_gpu = xp_norm.batch_norm_grads(*(cp.asarray(a) for a in (gy, xhat, invstd, w)))
    for got, want in zip(on_gpu, xp_norm.batch_norm_grads(gy, xhat, invstd, w)):
        _close(cp.asnumpy(got), want, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_norm_invstd_and_running_update_match_the_reference(dtype):
    rng = np.random.default_rng(5)
    mean, var = rng.standard_normal(6).astype(dtype), rng.random(6).astype(dtype)
    _close(xp_norm.batch_norm_invstd(var, 1e-5), reference.batch_norm_invstd(var, 1e-5), dtype)
    start = [rng.standard_normal(6).astype(dtype), rng.random(6).astype(dtype) + 0.5]
    fast, ref = [a.copy() for a in start], [a.copy() for a in start]
    xp_norm.batch_norm_update_running(*fast, mean, var, 0.1, 50)
    reference.batch_norm_update_running(*ref, mean, var, 0.1, 50)
    for got, want, old, stat in zip(fast, ref, start, (mean, var * 50 / 49)):
        _close(got, want, dtype)
        _close(want, (0.9 * old + 0.1 * stat).astype(dtype), dtype)  # the rule itself


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cupy_batch_norm_invstd_and_running_update_match_numpy(dtype):
    from minicnn import backend
    from minicnn.kernels import cupy_norm

    cp = backend.cupy()
    rng = np.random.default_rng(6)
    mean, var = rng.standard_normal(6).astype(dtype), rng.random(6).astype(dtype)
    _close(
        cp.asnumpy(cupy_norm.batch_norm_invstd(cp.asarray(var), 1e-5)),
        xp_norm.batch_norm_invstd(var, 1e-5),
        dtype,
    )
    start = [rng.standard_normal(6).astype(dtype), rng.random(6).astype(dtype) + 0.5]
    on_gpu = [cp.asarray(a) for a in start]
    cupy_norm.batch_norm_update_running(*on_gpu, cp.asarray(mean), cp.asarray(var), 0.1, 50)
    xp_norm.batch_norm_update_running(*start, mean, var, 0.1, 50)
    for got, want in zip(on_gpu, start):
        _close(cp.asnumpy(got), want, dtype)
