"""Convolution kernels: every fast tier equals the reference loops.

Same dtype, two kernels: float64 to 1e-10 and float32 to 1e-5, relative to
the array's largest value (kernel_checks.close). Also: the flipped weight, im2col's
adjoint, the phase split of strided convolutions, and the xp code on CuPy arrays.
"""

import numpy as np
import pytest
from conv_pool_cases import CONV, DTYPES, FAST, conv_arrays
from kernel_checks import close, conv_kernels_equal_reference

from minicnn import kernels
from minicnn.kernels import im2col, reference, strided


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_tiers_equal_reference(name, tier, dtype, rng):
    K, params = kernels.get(tier), CONV[name][2:]
    x, w, b, _, gy = conv_arrays(rng, name, dtype)
    conv_kernels_equal_reference(K, x, w, b, gy, params, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST + ["reference"])
@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_gradients_in_either_order_alone_or_for_a_new_gy(name, tier, dtype, rng):
    """The xp tier's two gradient kernels share gy's layout: it must never leak into another
    gy, even one of the same shape, nor survive a convolution that reuses its workspace."""
    K, params = kernels.get(tier), CONV[name][2:]
    x, w, _, _, gy = conv_arrays(rng, name, dtype)
    want_gx = reference.conv2d_input_grad(gy, w, x.shape, *params)
    want_gw = reference.conv2d_weight_grad(gy, x, w.shape, *params)
    close(K.conv2d_input_grad(gy, w, x.shape, *params), want_gx, dtype)
    close(K.conv2d_weight_grad(gy, x, w.shape, *params), want_gw, dtype)
    close(K.conv2d_weight_grad(gy, x, w.shape, *params), want_gw, dtype)  # weight first
    close(K.conv2d_input_grad(gy, w, x.shape, *params), want_gx, dtype)
    other = (-2 * gy).astype(dtype)
    close(K.conv2d_weight_grad(other, x, w.shape, *params), -2 * want_gw, dtype)
    close(K.conv2d_input_grad(gy, w, x.shape, *params), want_gx, dtype)
    K.conv2d_forward(x, w, None, *params)  # reuses the workspaces
    close(K.conv2d_weight_grad(gy, x, w.shape, *params), want_gw, dtype)


def test_same_conv_input_gradient_is_a_convolution_without_col2im(monkeypatch, rng):
    x, w, _, _, gy = conv_arrays(rng, "same_3x3", np.float64)
    params = CONV["same_3x3"][2:]
    want = reference.conv2d_input_grad(gy, w, x.shape, *params)

    def no_col2im(*args):
        raise AssertionError("col2im called")

    monkeypatch.setattr(im2col, "col2im", no_col2im)
    close(im2col.conv2d_input_grad(gy, w, x.shape, *params), want, np.float64)
    close(
        im2col.conv2d_weight_grad(gy, x, w.shape, *params),
        reference.conv2d_weight_grad(gy, x, w.shape, *params),
        np.float64,
    )
    for x_shape, w_, stride, padding in (
        ((2, 4, 8, 7), w, (1, 1), (0, 0)),  # unpadded
        ((2, 2, 6, 5), w[:, :2], (1, 1), (1, 1)),
    ):  # widening
        with pytest.raises(AssertionError, match="col2im called"):
            im2col.conv2d_input_grad(gy, w_, x_shape, stride, padding, (1, 1), 1)


@pytest.mark.parametrize(
    "shape, groups", [((6, 4, 3, 2), 1), ((6, 2, 3, 3), 3), ((5, 3, 1, 1), 1), ((4, 2, 1, 1), 2)]
)
def test_flipped_transposed_weight(shape, groups, rng):
    """W'[c, o, u, v] = W[o, c, KH-1-u, KW-1-v] within each group; a 1x1 kernel's is a view of W."""
    w = rng.standard_normal(shape)
    O, Cg, KH, KW = shape
    want = np.empty((groups * Cg, O // groups, KH, KW))
    for g in range(groups):
        for o in range(O // groups):
            for c in range(Cg):
                want[g * Cg + c, o] = w[g * (O // groups) + o, c, ::-1, ::-1]
    got = im2col.flipped_transposed_weight(w, groups)
    np.testing.assert_array_equal(got, want)
    assert np.shares_memory(got, w) == (KH == KW == 1 and groups == 1)


def test_col2im_is_the_adjoint_of_im2col(rng):
    """<im2col(x), c> = <x, col2im(c)> for every x and c: the defining property of backward."""
    x = rng.standard_normal((2, 3, 7, 6))
    k, s, p, d = (3, 2), (2, 1), (1, 2), (2, 1)
    cols, (oh, ow) = im2col.im2col(x, k, s, p, d)
    c = rng.standard_normal(cols.shape)
    back = im2col.col2im(c.reshape(3, 3, 2, 2, oh, ow), x.shape, s, p, d)
    assert np.isclose((cols * c).sum(), (x * back).sum(), rtol=1e-12)


# (x shape, kernel_size, stride, padding, dilation)
PHASE_SPLIT = [
    ((2, 3, 31, 29), (11, 11), (4, 4), (0, 0), (1, 1)),
    ((1, 2, 11, 10), (3, 3), (3, 3), (2, 2), (1, 1)),
    ((2, 3, 9, 12), (3, 2), (2, 3), (1, 2), (2, 3)),
    ((1, 2, 8, 9), (5, 3), (1, 2), (2, 0), (1, 1)),
]


@pytest.mark.parametrize("x_shape, k, s, p, d", PHASE_SPLIT)
def test_phase_split_columns_are_im2col_plus_extra_columns(x_shape, k, s, p, d, rng):
    x = rng.standard_normal(x_shape)
    want, (oh, ow) = im2col.im2col(x, k, s, p, d)
    want = want.copy()
    cols, (oh2, ow2, width) = strided.columns(x, k, s, p, d)
    assert (oh2, ow2) == (oh, ow) and width >= ow
    wide = cols.reshape(-1, x_shape[0], oh, width)
    np.testing.assert_array_equal(wide[..., :ow].reshape(want.shape), want)


@pytest.mark.parametrize("x_shape, k, s, p, d", PHASE_SPLIT)
def test_phase_split_col2im_is_the_adjoint_of_its_columns(x_shape, k, s, p, d, rng):
    """<columns(x), c> = <x, col2im(c)>, with c zero in the extra columns (as W^T @ gY makes them)."""
    x = rng.standard_normal(x_shape)
    cols, (oh, ow, width) = strided.columns(x, k, s, p, d)
    cols = cols.copy()
    c = rng.standard_normal(cols.shape).reshape(-1, x_shape[0], oh, width)
    c[..., ow:] = 0
    back = strided.col2im(c.reshape(cols.shape), x_shape, k, s, p, d)
    assert back.shape == x_shape
    assert np.isclose((cols * c.reshape(cols.shape)).sum(), (x * back).sum(), rtol=1e-12)


def test_strided_convolutions_take_the_phase_split(monkeypatch, rng):
    x, w, _, _, gy = conv_arrays(rng, "11x11_stride4", np.float64)
    params = CONV["11x11_stride4"][2:]

    def refuse(*args, **kwargs):
        raise AssertionError("direct im2col called")

    monkeypatch.setattr(im2col, "_im2col_into", refuse)
    monkeypatch.setattr(im2col, "col2im", refuse)
    close(
        im2col.conv2d_forward(x, w, None, *params), reference.conv2d_forward(x, w, None, *params), np.float64
    )
    close(
        im2col.conv2d_input_grad(gy, w, x.shape, *params),
        reference.conv2d_input_grad(gy, w, x.shape, *params),
        np.float64,
    )
    close(
        im2col.conv2d_weight_grad(gy, x, w.shape, *params),
        reference.conv2d_weight_grad(gy, x, w.shape, *params),
        np.float64,
    )
    x1, w1, _, _, _ = conv_arrays(rng, "1x1_stride2", np.float64)
    with pytest.raises(AssertionError, match="direct im2col called"):
        im2col.conv2d_forward(x1, w1, None, *CONV["1x1_stride2"][2:])


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(CONV))
def test_conv_on_cupy_equals_numpy(name, rng):
    import cupy as cp

    x, w, b, _, gy = conv_arrays(rng, name, np.float64)
    params = CONV[name][2:]
    K = kernels.for_array(cp.asarray(x))
    close(
        cp.asnumpy(K.conv2d_forward(cp.asarray(x), cp.asarray(w), cp.asarray(b), *params)),
        im2col.conv2d_forward(x, w, b, *params),
        np.float64,
    )
    close(
        cp.asnumpy(K.conv2d_input_grad(cp.asarray(gy), cp.asarray(w), x.shape, *params)),
        im2col.conv2d_input_grad(gy, w, x.shape, *params),
        np.float64,
    )
    close(
        cp.asnumpy(K.conv2d_weight_grad(cp.asarray(gy), cp.asarray(x), w.shape, *params)),
        im2col.conv2d_weight_grad(gy, x, w.shape, *params),
        np.float64,
    )
