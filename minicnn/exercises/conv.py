"""Exercises on convolution: im2col, col2im, and the conv layer's forward and backward.

Expected values come from the plain-loop reference tier and, for the columns, the xp tier.
"""

import numpy as np

from ..kernels import im2col as xp_tier
from ..kernels import reference as ref
from ..kernels.sizes import conv_out_size
from .exercise import Case, Exercise, Mistake

NB = "02_convolution_im2col"

# (N, C, H, W, O, k, stride, padding): overlapping windows with C == O (where a missing channel swap
# still fits), stride > 1 with padding, a batch of 1, non-square inputs, 1x1, leftover rows
SHAPES = [
    (2, 3, 5, 5, 3, 3, 1, 0),
    (2, 3, 7, 5, 4, 3, 2, 1),
    (1, 2, 6, 4, 2, 2, 2, 0),
    (3, 1, 4, 6, 2, 3, 1, 2),
    (1, 4, 5, 5, 3, 1, 1, 0),
    (2, 2, 8, 6, 3, 4, 3, 1),
]
CONV_CASES = [Case(100 + i, dict(zip("NCHWOksp", s))) for i, s in enumerate(SHAPES)]


def _sizes(H, W, k, s, p):
    return conv_out_size(H, k, s, p), conv_out_size(W, k, s, p)


def _pairs(s, p):
    return (s, s), (p, p), (1, 1)


# --- im2col -----------------------------------------------------------------


def _make_im2col(rng, N, C, H, W, O, k, s, p):
    return rng.standard_normal((N, C, H, W)), k, s, p


def _im2col(x, k, s, p):
    cols, _ = xp_tier.im2col(x, (k, k), *_pairs(s, p))
    return cols.copy()  # the kernel's result lives in a reused workspace


def _rows_uvc(x, k, s, p):
    cols = _im2col(x, k, s, p)
    C = x.shape[1]
    return cols.reshape(C, k, k, -1).transpose(1, 2, 0, 3).reshape(C * k * k, -1)


def _cols_ijn(x, k, s, p):
    cols = _im2col(x, k, s, p)
    N, (OH, OW) = x.shape[0], _sizes(*x.shape[2:], k, s, p)
    return cols.reshape(-1, N, OH, OW).transpose(0, 2, 3, 1).reshape(cols.shape[0], -1)


def _pad_after(x, p):
    """x with all 2*p rows and columns of zeros after it (bottom, right) instead of p on each side:
    what ``xp[:, :, :H, :W] = x`` into a zero array of the padded size makes."""
    return np.pad(x, ((0, 0), (0, 0), (0, 2 * p), (0, 2 * p)))


def _windows_at_stride_1(x, k, s, p):
    """im2col with window (i, j) read at (i, j), not (i*stride, j*stride): the first OH x OW of
    the stride-1 windows."""
    N, (OH, OW), (OH1, OW1) = x.shape[0], _sizes(*x.shape[2:], k, s, p), _sizes(*x.shape[2:], k, 1, p)
    cols = _im2col(x, k, 1, p).reshape(-1, N, OH1, OW1)[:, :, :OH, :OW]
    return cols.reshape(cols.shape[0], -1)


STRIDE_HINT = "stride is ignored: window (i, j) starts at (i*stride, j*stride), not at (i, j)"

ONE_SIDE_HINT = (
    "the padding is all on one side: the image goes in the middle of the padded array, "
    "xp[:, :, p:p+H, p:p+W] = x (or np.pad with (p, p) on both axes), not xp[:, :, :H, :W] = x"
)

IM2COL = Exercise(
    name="im2col",
    signature="(x, kernel_size, stride, padding)",
    returns=("cols",),
    notebook=NB,
    teaches="every window of the input as one column, so a convolution becomes one matrix product",
    doc="""x (N, C, H, W) -> cols of shape (C*k*k, N*OH*OW),
    OH = (H + 2*padding - k)//stride + 1.
    cols[(c, u, v), (n, i, j)]
        = x_padded[n, c, i*stride + u, j*stride + v]:
    rows ordered (c, u, v), columns ordered (n, i, j).""",
    make=_make_im2col,
    expected=_im2col,
    cases=CONV_CASES,
    mistakes=[
        Mistake(
            "the rows are ordered (u, v, c); the layout is (c, u, v), matching "
            "w.reshape(O, C*k*k) so that W @ cols is the convolution",
            _rows_uvc,
        ),
        Mistake(
            "the columns are ordered (i, j, n); the layout is (n, i, j): image first, then the "
            "output row and column",
            _cols_ijn,
        ),
        Mistake(
            "padding is ignored: pad x with `padding` zeros on each side first (np.pad)",
            lambda x, k, s, p: _im2col(x, k, s, 0),
        ),
        Mistake(ONE_SIDE_HINT, lambda x, k, s, p: _im2col(_pad_after(x, p), k, s, 0)),
        Mistake(STRIDE_HINT, _windows_at_stride_1),
    ],
)


# --- col2im -----------------------------------------------------------------


def _make_col2im(rng, N, C, H, W, O, k, s, p):
    OH, OW = _sizes(H, W, k, s, p)
    return rng.standard_normal((C * k * k, N * OH * OW)), (N, C, H, W), k, s, p


def _col2im(cols, x_shape, k, s, p):
    N, C, H, W = x_shape
    OH, OW = _sizes(H, W, k, s, p)
    return xp_tier.col2im(cols.reshape(C, k, k, N, OH, OW), x_shape, *_pairs(s, p)).copy()


def _col2im_assign(taps_outer):
    """col2im written with `=`: the last window to write a pixel wins (which one depends on the loops)."""

    def wrong(cols, x_shape, k, s, p):
        N, C, H, W = x_shape
        OH, OW = _sizes(H, W, k, s, p)
        c6 = cols.reshape(C, k, k, N, OH, OW)
        gx = np.zeros((N, C, H + 2 * p, W + 2 * p))
        if taps_outer:
            for u in range(k):
                for v in range(k):
                    gx[:, :, u : u + s * OH : s, v : v + s * OW : s] = c6[:, u, v].transpose(1, 0, 2, 3)
        else:
            for i in range(OH):
                for j in range(OW):
                    gx[:, :, i * s : i * s + k, j * s : j * s + k] = c6[..., i, j].transpose(3, 0, 1, 2)
        return gx[:, :, p : p + H, p : p + W]

    return wrong


def _col2im_cropped_at_the_corner(cols, x_shape, k, s, p):
    N, C, H, W = x_shape
    padded = _col2im(cols, (N, C, H + 2 * p, W + 2 * p), k, s, 0)
    return padded[:, :, :H, :W].copy()


def _col2im_at_stride_1(cols, x_shape, k, s, p):
    """col2im adding window (i, j) back at (i, j), not (i*stride, j*stride)."""
    N, C, H, W = x_shape
    (OH, OW), (OH1, OW1) = _sizes(H, W, k, s, p), _sizes(H, W, k, 1, p)
    at_1 = np.zeros((C * k * k, N, OH1, OW1))
    at_1[:, :, :OH, :OW] = cols.reshape(-1, N, OH, OW)
    return _col2im(at_1.reshape(C * k * k, -1), x_shape, k, 1, p)


def _col2im_columns_ijn(cols, x_shape, k, s, p):
    N, C, H, W = x_shape
    OH, OW = _sizes(H, W, k, s, p)
    return _col2im(cols.reshape(-1, OH, OW, N).transpose(0, 3, 1, 2).reshape(cols.shape), x_shape, k, s, p)


ASSIGN_HINT = (
    "overlapping windows: a pixel read by several windows must receive the sum of their "
    "gradients. You wrote `=` where it must be `+=`, so the last window overwrote the others."
)

COL2IM = Exercise(
    name="col2im",
    signature="(cols, x_shape, kernel_size, stride, padding)",
    returns=("gx",),
    notebook=NB,
    teaches="the adjoint of im2col: every column entry added back onto the pixel it was read from",
    doc="""cols (C*k*k, N*OH*OW) laid out as im2col's -> an array of
    x_shape (N, C, H, W):
    gx[n, c, i*stride + u - padding, j*stride + v - padding]
        += cols[(c, u, v), (n, i, j)]
    for every entry whose pixel lies inside x
    (the padding's share is dropped).""",
    make=_make_col2im,
    expected=_col2im,
    cases=CONV_CASES,
    mistakes=[
        Mistake(ASSIGN_HINT, _col2im_assign(True)),
        Mistake(ASSIGN_HINT, _col2im_assign(False)),
        Mistake(
            "gx was cut from the padded gradient's corner, gx_padded[:, :, :H, :W]: the image sits "
            "in the middle of the padding, so drop p rows and columns on each side, "
            "gx_padded[:, :, p:p+H, p:p+W]",
            _col2im_cropped_at_the_corner,
        ),
        Mistake(
            "the columns are ordered (n, i, j), as im2col lays them out: image first, then the output "
            "row and column; you read them as (i, j, n)",
            _col2im_columns_ijn,
        ),
        Mistake(STRIDE_HINT, _col2im_at_stride_1),
    ],
)


# --- conv2d forward ----------------------------------------------------------


def _make_conv(rng, N, C, H, W, O, k, s, p):
    return rng.standard_normal((N, C, H, W)), rng.standard_normal((O, C, k, k)), rng.standard_normal(O), s, p


def _conv(x, w, b, s, p):
    return ref.conv2d_forward(x, w, b, *_pairs(s, p), 1)


def _conv_reshaped_without_transpose(x, w, b, s, p):
    """The product W @ cols (O, N*OH*OW), columns ordered (n, i, j), reshaped straight to (N, O, OH, OW)."""
    y = _conv(x, w, b, s, p)
    return y.transpose(1, 0, 2, 3).reshape(y.shape)


CONV_FORWARD = Exercise(
    name="conv2d_forward",
    signature="(x, w, b, stride, padding)",
    returns=("y",),
    notebook=NB,
    teaches="the convolution layer's forward pass (cross-correlation), with stride and zero padding",
    doc="""x (N, C, H, W), w (O, C, k, k), b (O,) -> y (N, O, OH, OW),
    OH = (H + 2*padding - k)//stride + 1.
    y[n, o, i, j] = b[o] + sum_{c,u,v} w[o, c, u, v]
        * x_padded[n, c, i*stride + u, j*stride + v].""",
    make=_make_conv,
    expected=_conv,
    cases=CONV_CASES,
    mistakes=[
        Mistake(
            "the kernel is flipped (a textbook convolution). CNN layers, PyTorch and minicnn "
            "compute cross-correlation: w[o, c, u, v] multiplies x[.., i*s + u, j*s + v], no flip",
            lambda x, w, b, s, p: _conv(x, w[:, :, ::-1, ::-1], b, s, p),
        ),
        Mistake(
            "the bias is missing: add b[o] to every output of channel o",
            lambda x, w, b, s, p: _conv(x, w, None, s, p),
        ),
        Mistake(
            "padding is ignored: pad x with `padding` zeros on each side first",
            lambda x, w, b, s, p: _conv(x, w, b, s, 0),
        ),
        Mistake(
            "stride is ignored: window (i, j) starts at (i*stride, j*stride)",
            lambda x, w, b, s, p: _conv(x, w, b, 1, p),
        ),
        Mistake(ONE_SIDE_HINT, lambda x, w, b, s, p: _conv(_pad_after(x, p), w, b, s, 0)),
        Mistake(
            "the product W @ cols has shape (O, N*OH*OW), its columns ordered (n, i, j): reshape it "
            "to (O, N, OH, OW), then transpose to (N, O, OH, OW). Reshaping it straight to "
            "(N, O, OH, OW) mixes images and channels",
            _conv_reshaped_without_transpose,
        ),
        Mistake(
            "the bias was added along the last axis (y + b broadcasts b over the output's width): "
            "b[o] belongs to channel o, y + b[None, :, None, None]",
            lambda x, w, b, s, p: _conv(x, w, None, s, p) + b,
        ),
    ],
)


# --- conv2d backward ---------------------------------------------------------


def _make_conv_backward(rng, N, C, H, W, O, k, s, p):
    OH, OW = _sizes(H, W, k, s, p)
    return (
        rng.standard_normal((N, O, OH, OW)),
        rng.standard_normal((N, C, H, W)),
        rng.standard_normal((O, C, k, k)),
        s,
        p,
    )


def _gx(gy, x, w, s, p):
    return ref.conv2d_input_grad(gy, w, x.shape, *_pairs(s, p), 1)


def _conv_backward(gy, x, w, s, p):
    gw = ref.conv2d_weight_grad(gy, x, w.shape, *_pairs(s, p), 1)
    return _gx(gy, x, w, s, p), gw, gy.sum(axis=(0, 2, 3))


def _with_gx(kernel_of):
    """The right gw and gb, with gx computed from a wrongly prepared kernel."""

    def wrong(gy, x, w, s, p):
        _, gw, gb = _conv_backward(gy, x, w, s, p)
        return _gx(gy, x, kernel_of(w), s, p), gw, gb

    return wrong


def _gx_reshaped(gy, x, w, s, p):
    """gx from w.reshape(-1, O) @ gy_mat, where w.reshape(O, -1).T belongs."""
    _, gw, gb = _conv_backward(gy, x, w, s, p)
    O, _, k, _ = w.shape
    gy_mat = gy.transpose(1, 0, 2, 3).reshape(O, -1)
    return _col2im(w.reshape(-1, O) @ gy_mat, x.shape, k, s, p), gw, gb


def _gy_reshaped(gy, x, w, s, p):
    """gw and gx from gy.reshape(O, -1), where gy.transpose(1, 0, 2, 3).reshape(O, -1) belongs."""
    O, _, k, _ = w.shape
    gy_mat = gy.reshape(O, -1)
    gw = (gy_mat @ _im2col(x, k, s, p).T).reshape(w.shape)
    return _col2im(w.reshape(O, -1).T @ gy_mat, x.shape, k, s, p), gw, gy.sum(axis=(0, 2, 3))


def _gw_averaged(gy, x, w, s, p):
    gx, gw, gb = _conv_backward(gy, x, w, s, p)
    return gx, gw / x.shape[0], gb


def _gw_transposed(gy, x, w, s, p):
    gx, gw, gb = _conv_backward(gy, x, w, s, p)
    O = w.shape[0]
    return gx, gw.reshape(O, -1).T.reshape(w.shape), gb


CONV_BACKWARD = Exercise(
    name="conv2d_backward",
    signature="(gy, x, w, stride, padding)",
    returns=("gx", "gw", "gb"),
    notebook=NB,
    teaches=(
        "the conv layer's backward: at stride 1, gx is the forward op on gy padded by k - 1 - p, "
        "with the kernel turned 180° and its in and out channels swapped; at stride s, gy is first "
        "dilated by s - 1 zeros between its elements"
    ),
    doc="""gy (N, O, OH, OW), x (N, C, H, W), w (O, C, k, k)
    -> (gx, gw, gb) of the shapes of x, w, b.
    gw[o, c, u, v] = sum_{n,i,j} gy[n, o, i, j]
        x_padded[n, c, i*stride + u, j*stride + v]
    gb[o] = sum of gy[:, o];
    gx: each gy[n, o, i, j] * w[o, c, u, v] added to the pixel
    (i*stride + u - padding, j*stride + v - padding).""",
    make=_make_conv_backward,
    expected=_conv_backward,
    cases=CONV_CASES,
    mistakes=[
        Mistake(
            "gx uses the kernel unflipped: the input gradient is a full cross-correlation (the forward "
            "op) of gy with the kernel rotated by 180 degrees, w[:, :, ::-1, ::-1]",
            _with_gx(lambda w: w[:, :, ::-1, ::-1]),
        ),
        Mistake(
            "gx: the kernel is transposed (u and v swapped) where it must be rotated by 180 degrees "
            "(w[:, :, ::-1, ::-1])",
            _with_gx(lambda w: w.transpose(0, 1, 3, 2)[:, :, ::-1, ::-1]),
        ),
        Mistake(
            "gx: the kernel's in and out channels are not swapped. gy has O channels and gx has C, so "
            "the full cross-correlation uses w.transpose(1, 0, 2, 3)",
            _with_gx(lambda w: w.transpose(1, 0, 2, 3)),
        ),
        Mistake(
            "gx: w.reshape(-1, O) is not the transpose of w.reshape(O, -1); a reshape keeps the "
            "numbers in memory order and only regroups them. The columns' gradient is "
            "w.reshape(O, -1).T @ gy_mat",
            _gx_reshaped,
        ),
        Mistake(
            "gw is the wrong transpose: gy_mat (O, N*OH*OW) @ cols.T gives (O, C*k*k); you reshaped "
            "the transposed product (C*k*k, O)",
            _gw_transposed,
        ),
        Mistake(
            "gb: the bias gradient is the SUM of gy over the batch and the positions, not the mean",
            lambda gy, x, w, s, p: _conv_backward(gy, x, w, s, p)[:2] + (gy.mean(axis=(0, 2, 3)),),
        ),
        Mistake(
            "gy.reshape(O, -1) mixes images and channels: gy is (N, O, OH, OW), so move O to the "
            "front first, gy.transpose(1, 0, 2, 3).reshape(O, -1), to match the columns (n, i, j)",
            _gy_reshaped,
        ),
        Mistake(
            "gw is divided by N: every image adds its own share to gw, so it is the SUM over the batch "
            "(the loss's mean over the batch is already in gy)",
            _gw_averaged,
        ),
    ],
)


EXERCISES = [IM2COL, COL2IM, CONV_FORWARD, CONV_BACKWARD]
