"""The xp code of layer norm and group norm (functional/sample_norm.py) against the plain loops of
kernels/reference_sample_norm.py: forward and the three gradients, float64 and float32."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn.kernels import reference_sample_norm as reference

# same dtype, two implementations (DESIGN's tolerances)
RTOL = {np.float64: 1e-12, np.float32: 1e-5}

# name -> (x shape, normalized_shape, weight, bias)
LN_CASES = {
    "2d": ((4, 5), (5,), True, True),
    "4d_over_chw": ((2, 3, 2, 3), (3, 2, 3), True, True),
    "3d_over_last": ((2, 3, 4), (4,), True, False),
    "plain": ((3, 2, 4), (2, 4), False, False),
}
# name -> (x shape, num_groups, weight, bias)
GN_CASES = {
    "4d": ((2, 6, 2, 3), 3, True, True),
    "one_group": ((2, 4, 3), 1, True, True),
    "group_per_channel": ((2, 4, 2, 2), 4, True, True),
    "2d": ((3, 6), 2, True, False),
    "plain": ((2, 4, 5), 2, False, False),
}


def _close(got, want, dtype, what):
    assert got.dtype == dtype, what
    scale = np.abs(want).max()
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype] * scale, err_msg=what)


def _draw(rng, shape, param_shape, weight, bias, dtype):
    x = rng.standard_normal(shape) * 2 + 0.5
    x[0] = 1.5  # the first sample constant: rows and groups of zero variance as well
    arrays = [x, rng.standard_normal(shape)]
    arrays += [rng.uniform(0.5, 2.0, param_shape) if weight else None]
    arrays += [rng.standard_normal(param_shape) if bias else None]
    return [None if a is None else a.astype(dtype) for a in arrays]


def _minicnn(op, x, gy, w, b):
    """y and the gradients of sum(y * gy) through the Function, as arrays (None where not given)."""
    xt, wt, bt = (None if a is None else mc.tensor(a, requires_grad=True) for a in (x, w, b))
    y = op(xt, wt, bt)
    y.backward(gy)
    return y.numpy(), xt.grad.numpy(), *(None if t is None else t.grad.numpy() for t in (wt, bt))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(LN_CASES))
def test_layer_norm_equals_the_loops(name, dtype, rng):
    shape, normalized_shape, weight, bias = LN_CASES[name]
    x, gy, w, b = _draw(rng, shape, normalized_shape, weight, bias, dtype)
    got = _minicnn(lambda *t: F.layer_norm(t[0], normalized_shape, *t[1:]), x, gy, w, b)
    k = int(np.prod(normalized_shape))
    rows = lambda a: a.reshape(-1, k)
    flat = lambda a: None if a is None else a.reshape(k)
    y = reference.layer_norm(rows(x), flat(w), flat(b), 1e-5).reshape(shape)
    gx, gw, gb = reference.layer_norm_grads(rows(gy), rows(x), flat(w), 1e-5)
    want = (y, gx.reshape(shape), gw.reshape(normalized_shape), gb.reshape(normalized_shape))
    for what, g, expected, given in zip(("y", "gx", "gw", "gb"), got, want, (True, True, weight, bias)):
        if given:
            _close(g, expected, dtype, what)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(GN_CASES))
def test_group_norm_equals_the_loops(name, dtype, rng):
    shape, groups, weight, bias = GN_CASES[name]
    x, gy, w, b = _draw(rng, shape, (shape[1],), weight, bias, dtype)
    got = _minicnn(lambda *t: F.group_norm(t[0], groups, *t[1:]), x, gy, w, b)
    ncm = lambda a: a.reshape(shape[0], shape[1], -1)
    y = reference.group_norm(ncm(x), groups, w, b, 1e-5).reshape(shape)
    gx, gw, gb = reference.group_norm_grads(ncm(gy), ncm(x), groups, w, 1e-5)
    want = (y, gx.reshape(shape), gw, gb)
    for what, g, expected, given in zip(("y", "gx", "gw", "gb"), got, want, (True, True, weight, bias)):
        if given:
            _close(g, expected, dtype, what)


def test_the_loops_match_pytorch(golden):
    """The loops are a spec in their own right: PyTorch's numbers, not only the xp code's."""
    g = golden("norm")
    x, gy, w, b = (g[f"ln_4d_chw_{k}"] for k in ("x", "gy", "w", "b"))
    rows = lambda a: a.reshape(2, -1)
    np.testing.assert_allclose(
        reference.layer_norm(rows(x), w.ravel(), b.ravel(), 1e-5),
        rows(g["ln_4d_chw_y"]),
        rtol=1e-7,
        atol=1e-12,
    )
    gx, gw, gb = reference.layer_norm_grads(rows(gy), rows(x), w.ravel(), 1e-5)
    np.testing.assert_allclose(gx, rows(g["ln_4d_chw_gx"]), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(gw, g["ln_4d_chw_gw"].ravel(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(gb, g["ln_4d_chw_gb"].ravel(), rtol=1e-7, atol=1e-12)
    x, gy, w, b = (g[f"gn_4d_{k}"] for k in ("x", "gy", "w", "b"))
    ncm = lambda a: a.reshape(2, 6, -1)
    np.testing.assert_allclose(
        reference.group_norm(ncm(x), 3, w, b, 1e-5), ncm(g["gn_4d_y"]), rtol=1e-7, atol=1e-12
    )
    gx, gw, gb = reference.group_norm_grads(ncm(gy), ncm(x), 3, w, 1e-5)
    np.testing.assert_allclose(gx, ncm(g["gn_4d_gx"]), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(gw, g["gn_4d_gw"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(gb, g["gn_4d_gb"], rtol=1e-7, atol=1e-12)
