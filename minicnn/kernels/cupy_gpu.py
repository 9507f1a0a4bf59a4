"""CUDA kernels (CuPy RawKernel / ElementwiseKernel) for convolution, pooling and ReLU,
where the xp code makes copies through many-axis strided views or several launches.
Anything not defined here (or in cupy_norm.py) runs the shared xp code of im2col.py,
xp_pool.py, xp_norm.py and xp_activation.py on CuPy arrays.

No kernel here uses shared memory, nor atomics except where windows overlap (max-pool's
backward). Index arithmetic is in 32-bit ints where the sizes allow (checked on the host,
else the xp code runs); where a kernel cannot be compiled (cupy_compile.py), the xp code
runs.
"""

import numpy as np

from ..backend import Array, Pair, Shape
from . import im2col, xp_activation, xp_pool
from .cupy_compile import GRID_MAX, INT_MAX, THREADS, blocks, elementwise, kernel

# --- convolution ------------------------------------------------------------
# The GEMMs go to cuBLAS through im2col.py's code (which also picks the algorithm:
# a "same" convolution's input gradient is a convolution of gy, whose columns its
# weight gradient reads too); the two copies between images and columns are one
# kernel each:
#
#     cols[c, u, v, n, i, j] = xpad[n, c, i*sh + u*dh, j*sw + v*dw]        (im2col)
#     gx[n, c, h, w] = sum of the column entries that read cell (h, w)    (col2im)
#
# The grid is (cells of one image, N, C): a block works out n and c from where it
# is, and a thread only splits its cell number into a row and a column, once: a
# division by a number known only at run time costs a GPU tens of instructions, and
# a copy does little else. im2col's thread copies its whole window, one store into
# each row (c, u, v) that its warp's neighbours continue (what a first version, a
# thread per column value, took: benchmarks/README.md, "Figures behind comments in the
# kernels"). col2im gathers: a thread per input cell sums the entries that read it, so
# no two threads write one place and no atomics are needed; it adds them in
# im2col.col2im's order.

_IM2COL = r"""
extern "C" __global__ void im2col_gather(
        const real* xpad, real* cols, int N, int C, int HP, int WP, int KH, int KW,
        int OH, int OW, int sh, int sw, int dh, int dw) {
    int ohw = OH * OW;
    int t = blockIdx.x * blockDim.x + threadIdx.x;          // the window (i, j) of image n, channel c
    if (t >= ohw) return;
    int n = blockIdx.y, c = blockIdx.z;
    int i = t / OW, j = t - i * OW;
    const real* window = xpad + (((long long)n * C + c) * HP + i * sh) * WP + j * sw;
    long long row = (long long)N * ohw;                      // the length of a row of cols
    real* out = cols + (long long)c * KH * KW * row + (long long)n * ohw + t;
    for (int u = 0; u < KH; ++u)
        for (int v = 0; v < KW; ++v)
            out[(u * KW + v) * row] = window[u * dh * WP + v * dw];
}
"""

_COL2IM = r"""
extern "C" __global__ void col2im_gather(
        const real* cols, real* gx, int N, int C, int H, int W, int KH, int KW, int OH, int OW,
        int sh, int sw, int ph, int pw, int dh, int dw) {
    int hw = H * W;
    int t = blockIdx.x * blockDim.x + threadIdx.x;          // the cell (h, w) of image n, channel c
    if (t >= hw) return;
    int n = blockIdx.y, c = blockIdx.z;
    int h = t / W, w = t - h * W;
    long long row = (long long)N * OH * OW;
    const real* image = cols + (long long)c * KH * KW * row + (long long)n * OH * OW;
    real acc = 0;
    for (int u = 0; u < KH; ++u) {
        int hh = h + ph - u * dh;                            // = i * sh for the window row i reading h
        if (hh < 0) break;                                   // and for every later u
        int i = sh == 1 ? hh : hh / sh;                      // no division at stride 1
        if (i * sh != hh || i >= OH) continue;
        for (int v = 0; v < KW; ++v) {
            int ww = w + pw - v * dw;
            if (ww < 0) break;
            int j = sw == 1 ? ww : ww / sw;
            if (j * sw != ww || j >= OW) continue;
            acc += image[(u * KW + v) * row + i * OW + j];
        }
    }
    gx[((long long)n * C + c) * hw + t] = acc;
}
"""


def _image_grid(cells, N, C, plane):
    """(grid, block) for a thread per cell of each of N images of C channels, or None where
    CUDA's grid cannot hold N or C, or a 32-bit int cannot index ``cells`` or the
    largest image ``plane`` (a thread's number runs up to a block past the cells)."""
    if N > GRID_MAX or C > GRID_MAX or max(cells, plane) > INT_MAX - THREADS:
        return None
    threads = min(THREADS, -(-cells // 32) * 32)  # small maps: no block mostly idle
    return (-(-cells // threads), N, C), (threads,)


def copy_windows(xpad: Array, cols: Array, stride: Pair, dilation: Pair) -> None:
    """im2col.copy_windows as one kernel: cols (C, KH, KW, N, OH, OW) from the padded x."""
    C, KH, KW, N, OH, OW = cols.shape
    HP, WP = xpad.shape[2:]
    gather = kernel(_IM2COL, "im2col_gather", cols.dtype)
    launch = _image_grid(OH * OW, N, C, HP * WP)
    if gather is None or launch is None or not cols.flags.c_contiguous:
        im2col.copy_windows(xpad, cols, stride, dilation)
        return
    import cupy

    xpad = cupy.ascontiguousarray(xpad)
    args = [np.int32(a) for a in (N, C, HP, WP, KH, KW, OH, OW, *stride, *dilation)]
    gather(*launch, (xpad, cols, *args))


def col2im(cols: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair) -> Array:
    """The adjoint of im2col (see im2col.col2im), as one gathering kernel: a new (N, C, H, W) array."""
    C, KH, KW, N, OH, OW = cols.shape
    H, W = x_shape[2], x_shape[3]
    gather = kernel(_COL2IM, "col2im_gather", cols.dtype)
    launch = _image_grid(H * W, N, C, OH * OW)
    if gather is None or launch is None:
        return im2col.col2im(cols, x_shape, stride, padding, dilation)
    import cupy

    cols = cupy.ascontiguousarray(cols)
    gx = cupy.empty(x_shape, dtype=cols.dtype)
    args = [np.int32(a) for a in (N, C, H, W, KH, KW, OH, OW, *stride, *padding, *dilation)]
    gather(*launch, (cols, gx, *args))
    return gx


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """im2col.conv2d_forward with the windows copied by one kernel."""
    return im2col.conv2d_forward(x, weight, bias, stride, padding, dilation, groups, windows=copy_windows)


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """im2col.conv2d_input_grad with gy's windows copied and col2im's sum gathered by one kernel each."""
    return im2col.conv2d_input_grad(
        gy, weight, x_shape, stride, padding, dilation, groups, windows=copy_windows, scatter=col2im
    )


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """im2col.conv2d_weight_grad with the windows of x (or of gy) copied by one kernel."""
    return im2col.conv2d_weight_grad(
        gy, x, weight_shape, stride, padding, dilation, groups, windows=copy_windows
    )


# --- pooling ----------------------------------------------------------------
# Max-pool backward as one kernel of atomic adds instead of the xp code's
# add.at (a general scatter, with the index arithmetic in separate launches).
# Everything else runs xp_pool.py's xp code on CuPy.

_MAXPOOL_BWD = r"""
extern "C" __global__ void maxpool_bwd(const real* gy, const long long* argmax, real* gx,
                                       long long total, int OHW, int HW) {
    long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (idx >= total) return;
    long long plane = idx / OHW;
    // NOTE: atomic: overlapping windows (3x3 stride 2) may share one argmax
    atomicAdd(gx + plane * HW + argmax[idx], gy[idx]);
}
"""


def max_pool2d_input_grad(gy: Array, argmax: Array, x_shape: Shape) -> Array:
    """gx = gy added at each window's argmax."""
    scatter = kernel(_MAXPOOL_BWD, "maxpool_bwd", gy.dtype)
    if scatter is None:
        return xp_pool.max_pool2d_input_grad(gy, argmax, x_shape)
    import cupy

    gy, argmax = cupy.ascontiguousarray(gy), cupy.ascontiguousarray(argmax, dtype=cupy.int64)
    gx = cupy.zeros(x_shape, dtype=gy.dtype)
    OHW, HW = gy.shape[2] * gy.shape[3], x_shape[2] * x_shape[3]
    scatter(blocks(gy.size), (THREADS,), (gy, argmax, gx, np.int64(gy.size), np.int32(OHW), np.int32(HW)))
    return gx


# --- ReLU ---------------------------------------------------------------------
# The xp code selects on the bits (a mask, its negation, an AND: four launches on
# CuPy); a GPU selects without branching, so here it is one elementwise kernel.


def relu_input_grad(gy: Array, y: Array) -> Array:
    """gx = gy where y = max(x, 0) is not 0, else +0 (xp_activation.relu_input_grad), one kernel."""
    if gy.dtype != y.dtype or gy.dtype.kind != "f":
        return xp_activation.relu_input_grad(gy, y)
    select = elementwise("relu_input_grad", "T gy, T y", "T gx", "gx = y != 0 ? gy : (T)0")
    return select(gy, y)
