"""Exercises on convolution: im2col, col2im, the conv layer's forward and backward, 1x1 convs, cost.

Expected values come from minicnn's kernels: the plain-loop reference tier
for the convolution, the xp tier's im2col/col2im for the column layout.
"""

import numpy as np

from ..kernels import im2col as xp_tier
from ..kernels import reference as ref
from ..kernels.sizes import conv_out_size
from .grading import Case, Exercise, Mistake

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


IM2COL = Exercise(
    name="im2col",
    signature="(x, kernel_size, stride, padding)",
    returns=("cols",),
    notebook=NB,
    teaches="every window of the input as one column, so a convolution becomes one matrix product",
    doc="""x (N, C, H, W) -> cols of shape (C*k*k, N*OH*OW), OH = (H + 2*padding - k)//stride + 1.
    cols[(c, u, v), (n, i, j)] = x_padded[n, c, i*stride + u, j*stride + v]:
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
    doc="""cols (C*k*k, N*OH*OW) laid out as im2col's -> an array of x_shape (N, C, H, W):
    gx[n, c, i*stride + u - padding, j*stride + v - padding] += cols[(c, u, v), (n, i, j)]
    for every entry whose pixel lies inside x (the padding's share is dropped).""",
    make=_make_col2im,
    expected=_col2im,
    cases=CONV_CASES,
    mistakes=[Mistake(ASSIGN_HINT, _col2im_assign(True)), Mistake(ASSIGN_HINT, _col2im_assign(False))],
)


# --- conv2d forward ----------------------------------------------------------


def _make_conv(rng, N, C, H, W, O, k, s, p):
    return rng.standard_normal((N, C, H, W)), rng.standard_normal((O, C, k, k)), rng.standard_normal(O), s, p


def _conv(x, w, b, s, p):
    return ref.conv2d_forward(x, w, b, *_pairs(s, p), 1)


CONV_FORWARD = Exercise(
    name="conv2d_forward",
    signature="(x, w, b, stride, padding)",
    returns=("y",),
    notebook=NB,
    teaches="the convolution layer's forward pass (cross-correlation), with stride and zero padding",
    doc="""x (N, C, H, W), w (O, C, k, k), b (O,) -> y (N, O, OH, OW), OH = (H + 2*padding - k)//stride + 1.
    y[n, o, i, j] = b[o] + sum_{c,u,v} w[o, c, u, v] * x_padded[n, c, i*stride + u, j*stride + v].""",
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


def _gw_transposed(gy, x, w, s, p):
    gx, gw, gb = _conv_backward(gy, x, w, s, p)
    O = w.shape[0]
    return gx, gw.reshape(O, -1).T.reshape(w.shape), gb


CONV_BACKWARD = Exercise(
    name="conv2d_backward",
    signature="(gy, x, w, stride, padding)",
    returns=("gx", "gw", "gb"),
    notebook=NB,
    teaches="the conv layer's backward: gx is the forward op on fully padded gy, with the kernel turned 180°",
    doc="""gy (N, O, OH, OW), x (N, C, H, W), w (O, C, k, k) -> (gx, gw, gb) of the shapes of x, w, b.
    gw[o, c, u, v] = sum_{n,i,j} gy[n, o, i, j] x_padded[n, c, i*stride + u, j*stride + v]
    gb[o] = sum of gy[:, o];  gx: each gy[n, o, i, j] * w[o, c, u, v] added to the pixel
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
            "gw is the wrong transpose: gy_mat (O, N*OH*OW) @ cols.T gives (O, C*k*k); you reshaped "
            "the transposed product (C*k*k, O)",
            _gw_transposed,
        ),
        Mistake(
            "gb: the bias gradient is the SUM of gy over the batch and the positions, not the mean",
            lambda gy, x, w, s, p: _conv_backward(gy, x, w, s, p)[:2] + (gy.mean(axis=(0, 2, 3)),),
        ),
    ],
)


# --- 1x1 convolution (Network in Network, GoogLeNet's reductions) ------------------------------


def _make_conv1x1(rng, N, C, H, W, O):
    return rng.standard_normal((N, C, H, W)), rng.standard_normal((O, C, 1, 1)), rng.standard_normal(O)


def _reshaped_without_transpose(x, w, b):
    N, C, H, W = x.shape
    O = w.shape[0]
    return (w.reshape(O, C) @ x.reshape(C, -1)).reshape(N, O, H, W) + b[None, :, None, None]


CONV1X1 = Exercise(
    name="conv1x1_forward",
    signature="(x, w, b)",
    returns=("y",),
    notebook="05_deeper_vgg_nin_googlenet",
    teaches="a 1x1 convolution is one matrix product over the channels at every pixel (NIN, Inception)",
    doc="""x (N, C, H, W), w (O, C, 1, 1), b (O,) -> y (N, O, H, W).
    y[n, o, h, w] = b[o] + sum_c w[o, c, 0, 0] x[n, c, h, w]. Write it as one matrix product.""",
    make=_make_conv1x1,
    expected=lambda x, w, b: _conv(x, w, b, 1, 0),
    cases=[
        Case(150, dict(N=1, C=3, H=4, W=5, O=2)),
        Case(151, dict(N=2, C=3, H=4, W=4, O=5)),
        Case(152, dict(N=3, C=8, H=2, W=3, O=4)),
    ],
    mistakes=[
        Mistake(
            "x.reshape(C, N*H*W) mixes images and channels when N > 1 (it happens to work for a "
            "batch of 1): move C to the front first, x.transpose(1, 0, 2, 3).reshape(C, -1), and "
            "transpose the product back",
            _reshaped_without_transpose,
        )
    ],
)


# --- the cost of a convolution ------------------------------------------------------------------


def _make_macs(rng, N, C, H, W, O, k, s, p):
    return (N, C, H, W), (O, C, k, k), s, p


def _macs(x_shape, w_shape, s, p):
    N, C, H, W = x_shape
    O, _, KH, KW = w_shape
    return N * O * conv_out_size(H, KH, s, p) * conv_out_size(W, KW, s, p) * C * KH * KW


MACS = Exercise(
    name="conv2d_macs",
    signature="(x_shape, w_shape, stride, padding)",
    returns=("macs",),
    notebook="09_cpu_vs_gpu",
    teaches="a convolution's cost in multiply-adds, the figure that predicts its time",
    doc="""The number of multiply-adds of conv2d_forward (an int), bias not counted:
    every one of the N*O*OH*OW outputs is a sum of C*k*k products.""",
    make=_make_macs,
    expected=_macs,
    cases=CONV_CASES + [Case(160, dict(zip("NCHWOksp", (8, 64, 56, 56, 64, 3, 1, 1))))],
    mistakes=[
        Mistake(
            "the count is for one image: multiply by the batch size N",
            lambda xs, ws, s, p: _macs((1,) + tuple(xs[1:]), ws, s, p),
        ),
        Mistake(
            "the output size is OH = (H + 2*padding - k)//stride + 1, not the input's H",
            lambda xs, ws, s, p: xs[0] * ws[0] * xs[2] * xs[3] * int(np.prod(ws[1:])),
        ),
        Mistake(
            "each output sums over all C input channels as well as the k*k taps",
            lambda xs, ws, s, p: _macs(xs, ws, s, p) // xs[1],
        ),
        Mistake(
            "that is FLOPs (2 per multiply-add); count multiply-adds",
            lambda xs, ws, s, p: 2 * _macs(xs, ws, s, p),
        ),
    ],
)

EXERCISES = [IM2COL, COL2IM, CONV_FORWARD, CONV_BACKWARD, CONV1X1, MACS]
