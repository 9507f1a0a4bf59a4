"""One GEMM per image instead of one for the whole batch: which convolutions of im2col.py
go that way, and the two kernels they go through.

im2col.py multiplies the weight by the columns of the whole batch, (C*KH*KW, N*OH*OW), in
one GEMM, whose (O, N*OH*OW) result is then copied into y's NCHW layout. The same sums cut
by image, y[n] = W @ cols_n, write y[n] in place; for a pointwise convolution cols_n is
x[n] itself and needs no copy either; and the weight gradient's sum over the batch becomes
a sum of per-image products. Which way pays depends on the shapes (benchmarks/few_taps.py).
"""

from .. import backend
from . import gemm

# Filters of at most this many taps (C*KH*KW: LeNet-5's first has 25, 3x3 on RGB 27) run
# their forward GEMM and their weight gradient image by image (few_taps).
FEW_TAPS = 27
# Pointwise convolutions (1x1, stride 1, no padding) run image by image on x itself
# (pointwise) on maps of at least POINTWISE_CELLS cells, where the weight (O*C values,
# read again for each image) is at most POINTWISE_WEIGHT_RATIO times the values an image's
# copies would move ((C + O) * H * W: its columns and its output's transposition).
POINTWISE_CELLS = 16
POINTWISE_WEIGHT_RATIO = 8


def few_taps(x, taps, groups):
    """Whether a convolution's forward and weight gradient run one GEMM per image
    (``forward``, ``weight_grad``): filters of at most FEW_TAPS taps (C*KH*KW), one group,
    on NumPy.

    NOTE: the weight gradient's one GEMM then has a long inner axis (N*OH*OW) and a tiny
    (O, C*KH*KW) result, a shape OpenBLAS ran slowly: image by image, LeNet-5's first
    (6 x 25 over 50,176 columns) took 0.58 of the time, a 3x3 filter on RGB (27 taps)
    0.80-0.88; from 32 taps it gained nothing or lost (benchmarks/few_taps.py). The
    forward's per-image GEMMs write y in place, where the one GEMM's result is copied
    into NCHW; on RGB 3x3 filters that did not pay against the one GEMM on the Intel Xeon
    (benchmarks/README.md), and on the AMD EPYC it took a half to a third of Winograd's
    time, so "auto" runs them here (numba_winograd.conv2d_forward). CuPy keeps the one
    GEMM: there each image would be a kernel launch.
    """
    return taps <= FEW_TAPS and groups == 1 and not backend.is_cupy_array(x)


def pointwise(x, weight_shape, stride, padding, groups):
    """Whether a convolution is pointwise and its forward and input gradient run image by
    image on x and gy themselves (``forward``): a 1x1 filter at stride 1 without padding,
    one group, on NumPy, within POINTWISE_CELLS and POINTWISE_WEIGHT_RATIO.

    NOTE: there image n's column matrix is x[n] as it lies, (C, H*W): y[n] = W @ x[n] and
    gx[n] = W^T @ gy[n] need neither columns nor a copy into NCHW. On MobileNet's and
    GoogLeNet's 1x1 layers that took 0.4-0.8 of the one GEMM's time (benchmarks/few_taps.py,
    benchmarks/README.md). But each image's GEMM reads all of W again: with W 8 times the
    values spared (256 -> 256 channels on 4x4 maps) it broke even, from 10 times
    (1024 -> 1024 on 7x7) it lost, and on 2x2 maps 2-3x. CuPy keeps the one GEMM.
    """
    O, C, KH, KW = weight_shape
    cells = x.shape[2] * x.shape[3]
    return (
        KH == KW == 1
        and tuple(stride) == (1, 1)
        and tuple(padding) == (0, 0)
        and groups == 1
        and cells >= POINTWISE_CELLS
        and O * C <= POINTWISE_WEIGHT_RATIO * (C + O) * cells
        and not backend.is_cupy_array(x)
    )


def pointwise_weight_grad(x, weight_shape, stride, padding, groups):
    """Whether a pointwise convolution's weight gradient runs image by image on x itself too
    (``weight_grad``): where H*W >= C.

    NOTE: image by image, each image's (O, C) product is written and summed; that pays where
    it is no larger than gy[n]'s (O, H*W) matrix that the one GEMM copies; with more channels
    than cells (128 -> 256 on 4x4 maps) it lost (benchmarks/README.md, "Pointwise").
    """
    return pointwise(x, weight_shape, stride, padding, groups) and x.shape[2] * x.shape[3] >= x.shape[1]


def columns_per_image(cols, N):
    """Columns (taps, N*OH*OW) viewed as (N, taps, OH*OW): image n's column matrix at [n]."""
    return cols.reshape(cols.shape[0], N, -1).transpose(1, 0, 2)


def forward(weight, cols, bias, OH, OW):
    """Y[n] = W @ cols[n] plus the bias: one GEMM per image, written straight into y's NCHW
    layout (the one GEMM's (O, N*OH*OW) result needs a transposing copy).

    cols: (N, taps, OH*OW), image n's column matrix at cols[n] (a view of the columns, or x).
    """
    xp = backend.xp_of(cols)
    O, N = weight.shape[0], cols.shape[0]
    y = xp.empty((N, O, OH, OW), dtype=cols.dtype)
    gemm.matmul(weight.reshape(O, -1), cols, out=y.reshape(N, O, -1))
    if bias is not None:
        y += bias.reshape(1, O, 1, 1)
    return y


def weight_grad(gy, cols, weight_shape):
    """gW = sum_n gY[n] @ cols[n]^T: one GEMM per image, straight from gy's NCHW layout
    (gY[n] is gy[n] as an (O, OH*OW) matrix), so gy is not rearranged either.

    cols: (N, taps, OH*OW), as ``forward``'s cols.
    """
    N, O, OH, OW = gy.shape
    per_image = backend.xp_of(gy).matmul(gy.reshape(N, O, OH * OW), cols.transpose(0, 2, 1))
    return per_image.sum(axis=0).reshape(weight_shape)
