"""CUDA kernels (CuPy ElementwiseKernel / RawKernel) where the xp code launches
too many small kernels. Anything not defined here runs the shared xp code of
im2col.py, xp_pool.py and xp_norm.py on CuPy arrays.
"""

# --- convolution ------------------------------------------------------------
# The GEMMs go to cuBLAS through im2col.py's xp code; col2im there is KH*KW
# strided-slice adds, one launch each. Here it is one kernel that gathers
# instead of scattering: a thread per input cell sums the column entries that
# read it, so no two threads write one place and no atomics are needed.
# If NVRTC cannot compile (no toolkit headers, an old driver), the xp code runs.

import numpy as np

from ..backend import Array, Pair, Shape
from . import im2col, xp_norm, xp_pool

_COL2IM = r"""
extern "C" __global__ void col2im_gather(
        const real* cols, real* gx, int N, int C, int H, int W, int KH, int KW, int OH, int OW,
        int sh, int sw, int ph, int pw, int dh, int dw) {
    long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (idx >= (long long)N * C * H * W) return;
    int w = idx % W, h = (idx / W) % H;
    int c = (idx / ((long long)W * H)) % C, n = idx / ((long long)W * H * C);
    real acc = 0;
    for (int u = 0; u < KH; ++u) {
        int hh = h + ph - u * dh;                 // = i * sh for the window row i reading h
        if (hh < 0 || hh % sh) continue;
        int i = hh / sh;
        if (i >= OH) continue;
        for (int v = 0; v < KW; ++v) {
            int ww = w + pw - v * dw;
            if (ww < 0 || ww % sw) continue;
            int j = ww / sw;
            if (j >= OW) continue;
            acc += cols[((((long long)c * KH + u) * KW + v) * N + n) * OH * OW + (long long)i * OW + j];
        }
    }
    gx[idx] = acc;
}
"""

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

_compiled: dict = {}
_THREADS = 256


def _kernel(source, name, dtype):
    """The RawKernel for this dtype, or None when it cannot be compiled here."""
    key = (name, np.dtype(dtype).name)
    if key not in _compiled:
        import cupy

        real = {"float32": "float", "float64": "double"}.get(key[1])
        try:
            if real is None:
                raise TypeError(f"no CUDA kernel for dtype {key[1]}")
            kernel = cupy.RawKernel(f"typedef {real} real;\n" + source, name)
            kernel.compile()
            _compiled[key] = kernel
        except Exception:  # NVRTC missing or failing: keep the xp code
            _compiled[key] = None
    return _compiled[key]


def _blocks(total):
    return ((total + _THREADS - 1) // _THREADS,)


def col2im(cols: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair) -> Array:
    """The adjoint of im2col (see im2col.col2im), as one gathering kernel."""
    kernel = _kernel(_COL2IM, "col2im_gather", cols.dtype)
    if kernel is None:
        return im2col.col2im(cols, x_shape, stride, padding, dilation)
    import cupy

    C, KH, KW, N, OH, OW = cols.shape
    H, W = x_shape[2], x_shape[3]
    cols = cupy.ascontiguousarray(cols)
    gx = cupy.empty(x_shape, dtype=cols.dtype)
    args = [np.int32(a) for a in (N, C, H, W, KH, KW, OH, OW, *stride, *padding, *dilation)]
    kernel(_blocks(gx.size), (_THREADS,), (cols, gx, *args))
    return gx


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """gX = col2im(W^T @ gY): the GEMM in cuBLAS, the gather in one kernel."""
    gcols = im2col._input_grad_columns(gy, weight, x_shape, stride, padding, dilation, groups)
    return col2im(gcols, x_shape, stride, padding, dilation)


# --- pooling ----------------------------------------------------------------
# Max-pool backward as one kernel of atomic adds instead of the xp code's
# add.at (a general scatter, with the index arithmetic in separate launches).
# Everything else runs xp_pool.py's xp code on CuPy.


def max_pool2d_input_grad(gy: Array, argmax: Array, x_shape: Shape) -> Array:
    """gx = gy added at each window's argmax."""
    kernel = _kernel(_MAXPOOL_BWD, "maxpool_bwd", gy.dtype)
    if kernel is None:
        return xp_pool.max_pool2d_input_grad(gy, argmax, x_shape)
    import cupy

    gy, argmax = cupy.ascontiguousarray(gy), cupy.ascontiguousarray(argmax, dtype=cupy.int64)
    gx = cupy.zeros(x_shape, dtype=gy.dtype)
    OHW, HW = gy.shape[2] * gy.shape[3], x_shape[2] * x_shape[3]
    kernel(_blocks(gy.size), (_THREADS,), (gy, argmax, gx, np.int64(gy.size), np.int32(OHW), np.int32(HW)))
    return gx


# --- local response normalization -------------------------------------------
# The xp code adds `size` shifted slices and runs a few elementwise passes (about
# 10 launches a direction); here each direction is one kernel, a thread per
# (n, c, m) cell summing its own channel window. x, s, gy are (N, C, M).

_LRN_FWD = r"""
extern "C" __global__ void lrn_fwd(const real* x, real* y, real* s, int C, int M, long long total,
                                   int before, int after, real alpha_n, real beta, real k) {
    long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (idx >= total) return;
    int c = (idx / M) % C;
    long long base = idx - (long long)c * M;           // cell (n, 0, m)
    real acc = 0;
    for (int cc = max(c - before, 0); cc <= min(c + after, C - 1); ++cc) {
        real v = x[base + (long long)cc * M];
        acc += v * v;
    }
    real si = k + alpha_n * acc;
    s[idx] = si;
    y[idx] = x[idx] * pow(si, -beta);
}
"""

_LRN_BWD = r"""
extern "C" __global__ void lrn_bwd(const real* gy, const real* x, const real* s, real* gx,
                                   int C, int M, long long total, int before, int after,
                                   real coef, real beta) {
    long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (idx >= total) return;
    int c = (idx / M) % C;
    long long base = idx - (long long)c * M;
    // the channels c' whose forward window holds c: the window mirrored
    real acc = 0;
    for (int cc = max(c - after, 0); cc <= min(c + before, C - 1); ++cc) {
        long long j = base + (long long)cc * M;
        acc += gy[j] * x[j] * pow(s[j], -beta - 1);
    }
    gx[idx] = gy[idx] * pow(s[idx], -beta) - coef * x[idx] * acc;
}
"""


def _real(dtype, value):
    """A scalar kernel argument in the kernel's float type."""
    return np.dtype(dtype).type(value)


def lrn_forward(x: Array, size: int, alpha: float, beta: float, k: float) -> tuple[Array, Array]:
    """y = x * s^-beta,  s = k + alpha/size * (window sum of x^2), one kernel.   Returns (y, s)."""
    kernel = _kernel(_LRN_FWD, "lrn_fwd", x.dtype)
    if kernel is None:
        return xp_norm.lrn_forward(x, size, alpha, beta, k)
    import cupy

    x = cupy.ascontiguousarray(x)
    y, s = cupy.empty_like(x), cupy.empty_like(x)
    N, C, M = x.shape
    kernel(
        _blocks(x.size),
        (_THREADS,),
        (
            x,
            y,
            s,
            np.int32(C),
            np.int32(M),
            np.int64(x.size),
            np.int32(size // 2),
            np.int32((size - 1) // 2),
            _real(x.dtype, alpha / size),
            _real(x.dtype, beta),
            _real(x.dtype, k),
        ),
    )
    return y, s


def lrn_input_grad(gy: Array, x: Array, s: Array, size: int, alpha: float, beta: float) -> Array:
    """gx = gy s^-beta - (2 alpha beta/size) x * (mirrored window sum of gy x s^(-beta-1)), one kernel."""
    kernel = _kernel(_LRN_BWD, "lrn_bwd", gy.dtype)
    if kernel is None:
        return xp_norm.lrn_input_grad(gy, x, s, size, alpha, beta)
    import cupy

    gy, x, s = (cupy.ascontiguousarray(a) for a in (gy, x, s))
    gx = cupy.empty_like(gy)
    N, C, M = gy.shape
    kernel(
        _blocks(gy.size),
        (_THREADS,),
        (
            gy,
            x,
            s,
            gx,
            np.int32(C),
            np.int32(M),
            np.int64(gy.size),
            np.int32(size // 2),
            np.int32((size - 1) // 2),
            _real(gy.dtype, 2 * alpha * beta / size),
            _real(gy.dtype, beta),
        ),
    )
    return gx


# --- batch normalization ----------------------------------------------------
# The per-channel sums stay cupy reductions (one kernel each); the elementwise
# parts, four or five launches in the xp code, are fused into one
# ElementwiseKernel each. Per-channel vectors broadcast as (C, 1) against (N, C, M).

_elementwise: dict = {}


def _fused(name, in_params, out_params, body):
    if name not in _elementwise:
        import cupy

        _elementwise[name] = cupy.ElementwiseKernel(in_params, out_params, body, name)
    return _elementwise[name]


def batch_norm_invstd(var: Array, eps: float) -> Array:
    """invstd = 1 / sqrt(var + eps), one kernel (the xp code is three)."""
    invstd = _fused("bn_invstd", "T var, T eps", "T invstd", "invstd = 1 / sqrt(var + eps)")
    return invstd(var, var.dtype.type(eps))


def batch_norm_update_running(
    running_mean: Array, running_var: Array, mean: Array, var: Array, momentum: float, count: int
) -> None:
    """In place: r = (1 - momentum) r + momentum stat (variance unbiased), one kernel for both."""
    update = _fused(
        "bn_running",
        "T mean, T var, T keep, T m, T m_unbiased",
        "T rm, T rv",
        "rm = rm * keep + m * mean; rv = rv * keep + m_unbiased * var",
    )
    t = running_mean.dtype.type
    update(
        mean.astype(running_mean.dtype, copy=False),
        var.astype(running_mean.dtype, copy=False),
        t(1 - momentum),
        t(momentum),
        t(momentum * count / (count - 1)),
        running_mean,
        running_var,
    )


def batch_norm_apply(x: Array, mean: Array, invstd: Array, weight: Array, bias: Array) -> tuple[Array, Array]:
    """xhat = (x - mean) * invstd,  y = weight * xhat + bias, one kernel.   Returns (y, xhat)."""
    apply = _fused(
        "bn_apply",
        "T x, T mean, T invstd, T w, T b",
        "T y, T xhat",
        "xhat = (x - mean) * invstd; y = w * xhat + b",
    )
    return apply(x, mean[:, None], invstd[:, None], weight[:, None], bias[:, None])


def batch_norm_grads(gy: Array, xhat: Array, invstd: Array, weight: Array) -> tuple[Array, Array, Array]:
    """Training mode's (gx, gweight, gbias): the two sums (cupy reductions), then
    gx = (weight*invstd)(gy - mean(gy) - xhat mean(gy xhat)) in one fused kernel."""
    gbias = gy.sum(axis=(0, 2))
    gweight = (gy * xhat).sum(axis=(0, 2))
    # NOTE: the per-channel factors are recomputed per element inside the kernel:
    # cheaper than three more launches over C numbers
    grad = _fused(
        "bn_backward",
        "T gy, T xhat, T w, T invstd, T gb, T gw, T count",
        "T gx",
        "gx = (w * invstd) * (gy - gb / count - xhat * (gw / count))",
    )
    gx = grad(
        gy,
        xhat,
        weight[:, None],
        invstd[:, None],
        gbias[:, None],
        gweight[:, None],
        gy.dtype.type(gy.shape[0] * gy.shape[2]),
    )
    return gx, gweight, gbias
