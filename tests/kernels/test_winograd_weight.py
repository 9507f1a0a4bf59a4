"""Winograd's transforms of the weight as jitted loops (kernels/numba_winograd_weight.py):
each equal to its plain Python twin, and to winograd.py's NumPy transform.

Same dtype, two kernels: the forward's transform to kernel_checks.close (float64 to 1e-10 and
float32 to 1e-5, relative to the array's largest value), the weight gradient's to 1e-12 and
1e-6 (``TIGHT``): it adds the same terms in the same order as NumPy's products.
"""

import numpy as np
import pytest
from kernel_checks import close

from minicnn.kernels import im2col, winograd

TIGHT = {np.float64: 1e-12, np.float32: 1e-6}


@pytest.fixture
def ww():
    pytest.importorskip("numba")
    from minicnn.kernels import numba_winograd_weight

    return numba_winograd_weight


@pytest.mark.numba
def test_the_plain_python_transforms_equal_the_jitted_ones(ww):
    rng = np.random.default_rng(160)
    w = rng.standard_normal((5, 3, 3, 3))
    U_jit, U_py = np.empty((16, 3, 5)), np.empty((16, 3, 5))
    ww._weight_tiles(w, U_jit)
    ww._weight_tiles_py(w, U_py)
    np.testing.assert_allclose(U_py, U_jit, rtol=1e-14, atol=1e-14)
    for dtype in (np.float64, np.float32):
        S = rng.standard_normal((16, 4, 6)).astype(dtype)
        gw_jit, gw_py = np.empty((4, 6, 3, 3), dtype), np.empty((4, 6, 3, 3), dtype)
        ww._weight_from_tiles(S, gw_jit)
        ww._weight_from_tiles_py(S, gw_py)
        np.testing.assert_array_equal(gw_py, gw_jit)  # the same operations, one by one


@pytest.mark.numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["contiguous", "a strided view"])
def test_the_jitted_weight_transform_equals_numpys(ww, dtype, layout):
    """weight_tiles against winograd.weight_tiles, on a contiguous weight and on a view of
    one (in/out swapped and flipped, as a weight a user passes may be)."""
    w = np.random.default_rng(161).standard_normal((7, 5, 3, 3)).astype(dtype)
    if layout != "contiguous":
        w = w.swapaxes(0, 1)[:, :, ::-1, ::-1]
    close(ww.weight_tiles(w), winograd.weight_tiles(w), dtype)


@pytest.mark.numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["contiguous", "a strided view"])
def test_the_jitted_weight_gradient_transform_equals_numpys(ww, dtype, layout):
    """weight_from_tiles against winograd.weight_from_tiles, on S as the 16 GEMMs give it and
    on a view (every other output channel, input channels reversed); every tap written."""
    rng = np.random.default_rng(162)
    S = rng.standard_normal((16, 7, 5)).astype(dtype)
    if layout != "contiguous":
        S = rng.standard_normal((16, 14, 5)).astype(dtype)[:, ::2, ::-1]
    gw, want = ww.weight_from_tiles(S), winograd.weight_from_tiles(S)
    assert gw.shape == (7, 5, 3, 3) and gw.dtype == dtype
    np.testing.assert_allclose(gw, want, rtol=TIGHT[dtype], atol=TIGHT[dtype] * np.abs(want).max())


@pytest.mark.numba
def test_the_weight_gradient_transform_is_g_transposed_s_g_per_filter(ww):
    """Both transforms against G^T s G written out for each (o, c) alone, in float64."""
    S = np.random.default_rng(163).standard_normal((16, 3, 4))
    g = np.array(winograd.G)
    want = np.empty((3, 4, 3, 3))
    for o in range(3):
        for c in range(4):
            want[o, c] = g.T @ S[:, o, c].reshape(4, 4) @ g
    np.testing.assert_allclose(winograd.weight_from_tiles(S), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ww.weight_from_tiles(S), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", [(0, 0), (1, 2)])
def test_the_input_gradients_weight_is_the_flipped_weight_as_a_view(padding):
    """gx's convolution reads W'[c, o, u, v] = W[o, c, 2-u, 2-v] in place: no copy is made
    that its transform would read once and drop."""
    w = np.random.default_rng(164).standard_normal((4, 3, 3, 3))
    flipped, bias, pad = winograd.input_grad_as_convolution(w, padding)
    np.testing.assert_array_equal(flipped, im2col.flipped_transposed_weight(w, 1))
    assert np.shares_memory(flipped, w) and bias is None and pad == (2 - padding[0], 2 - padding[1])
