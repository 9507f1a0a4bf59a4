"""CUDA kernels (CuPy RawKernel / ElementwiseKernel) for local response normalization and
batch norm. Whatever is not defined here runs xp_norm.py's xp code on CuPy arrays.
"""

import numpy as np

from ..backend import Array
from . import xp_norm
from .cupy_compile import GRID_MAX, INT_MAX, THREADS, blocks, elementwise, kernel, real

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


def lrn_forward(x: Array, size: int, alpha: float, beta: float, k: float) -> tuple[Array, Array]:
    """y = x * s^-beta,  s = k + alpha/size * (window sum of x^2), one kernel.   Returns (y, s)."""
    window_sums = kernel(_LRN_FWD, "lrn_fwd", x.dtype)
    if window_sums is None:
        return xp_norm.lrn_forward(x, size, alpha, beta, k)
    import cupy

    x = cupy.ascontiguousarray(x)
    y, s = cupy.empty_like(x), cupy.empty_like(x)
    N, C, M = x.shape
    window_sums(
        blocks(x.size),
        (THREADS,),
        (
            x,
            y,
            s,
            np.int32(C),
            np.int32(M),
            np.int64(x.size),
            np.int32(size // 2),
            np.int32((size - 1) // 2),
            real(x.dtype, alpha / size),
            real(x.dtype, beta),
            real(x.dtype, k),
        ),
    )
    return y, s


def lrn_input_grad(gy: Array, x: Array, s: Array, size: int, alpha: float, beta: float) -> Array:
    """gx = gy s^-beta - (2 alpha beta/size) x * (mirrored window sum of gy x s^(-beta-1)), one kernel."""
    window_sums = kernel(_LRN_BWD, "lrn_bwd", gy.dtype)
    if window_sums is None:
        return xp_norm.lrn_input_grad(gy, x, s, size, alpha, beta)
    import cupy

    gy, x, s = (cupy.ascontiguousarray(a) for a in (gy, x, s))
    gx = cupy.empty_like(gy)
    N, C, M = gy.shape
    window_sums(
        blocks(gy.size),
        (THREADS,),
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
            real(gy.dtype, 2 * alpha * beta / size),
            real(gy.dtype, beta),
        ),
    )
    return gx


# --- batch normalization ----------------------------------------------------
# Shapes: x, gy, xhat (N, C, M); per-channel sums over axes (0, 2).
#
# Each channel's N*M values are split among many threads, each adding every P-th value
# into a partial sum, and CuPy adds the P partials per channel (a reduction along the
# last, contiguous axis). The backward's two sums share one pass over gy; the variance
# adds the squared differences without writing them out. CuPy's own sums over axes
# (0, 2) write an array for each and launch a kernel per step of the reduction
# (benchmarks/README.md, "Figures behind comments in the kernels"). The elementwise parts,
# four or five launches in the xp code, are one ElementwiseKernel each.

_CHANNEL_SUMS = r"""
extern "C" __global__ void channel_sums(const real* a, const real* b, const real* shift,
                                        real* partial, int N, int C, int M, int mode) {
    // thread p of the P = gridDim.x * blockDim.x threads of channel c adds the values
    // k = p, p + P, p + 2P, ... of its N*M and writes partial[c, p] (and partial[C + c, p]):
    //   mode 0 (SUM): sum a      1 (CENTRED_SQUARES): sum (a - shift[c])^2
    //   mode 2 (SUM_AND_PRODUCT): sum a and sum a*b
    int c = blockIdx.y;
    int P = gridDim.x * blockDim.x, p = blockIdx.x * blockDim.x + threadIdx.x;
    int count = N * M;
    real mu = mode == 1 ? shift[c] : 0;
    real s0 = 0, s1 = 0;
    for (int k = p; k < count; k += P) {
        int n = k / M;
        long long at = ((long long)n * C + c) * M + (k - n * M);
        real v = a[at];
        if (mode == 0) {
            s0 += v;
        } else if (mode == 1) {
            real d = v - mu;
            s0 += d * d;
        } else {
            s0 += v;
            s1 += v * b[at];
        }
    }
    partial[(long long)c * P + p] = s0;
    if (mode == 2) partial[((long long)C + c) * P + p] = s1;
}
"""
# what channel_sums adds: its ``mode``
SUM, CENTRED_SQUARES, SUM_AND_PRODUCT = 0, 1, 2
# each thread adds at least this many values, on at most 64 blocks a channel (chosen so
# that a thread's loads overlap and a large channel still has thousands of threads; not tuned)
VALUES_PER_THREAD = 32


def _channel_sums(mode, a, b=None, shift=None):
    """Per-channel sums of a (N, C, M) as ``mode`` says: an array (1 or 2, C), or None where
    the kernel does not apply (then the caller runs the xp code).

        SUM: sum a      CENTRED_SQUARES: sum (a - shift)^2      SUM_AND_PRODUCT: sum a, sum a*b
    """
    N, C, M = a.shape
    count = N * M
    per_channel = max(1, min(64, count // (THREADS * VALUES_PER_THREAD)))
    sums = kernel(_CHANNEL_SUMS, "channel_sums", a.dtype)
    if sums is None or C > GRID_MAX or count + per_channel * THREADS > INT_MAX:
        return None
    import cupy

    a = cupy.ascontiguousarray(a)
    b = a if b is None else cupy.ascontiguousarray(b, dtype=a.dtype)
    shift = a if shift is None else cupy.ascontiguousarray(shift, dtype=a.dtype)
    partial = cupy.empty((2 if mode == SUM_AND_PRODUCT else 1, C, per_channel * THREADS), dtype=a.dtype)
    sizes = (np.int32(N), np.int32(C), np.int32(M), np.int32(mode))
    sums((per_channel, C), (THREADS,), (a, b, shift, partial, *sizes))
    return partial.sum(axis=2)


def batch_norm_stats(x: Array) -> tuple[Array, Array]:
    """Per-channel mean and biased variance, two passes (xp_norm.batch_norm_stats): the sum,
    then the sum of squared differences from the mean."""
    sums = _channel_sums(SUM, x)
    if sums is None:
        return xp_norm.batch_norm_stats(x)
    count = x.shape[0] * x.shape[2]
    mean = sums[0] / count
    return mean, _channel_sums(CENTRED_SQUARES, x, shift=mean)[0] / count


def batch_norm_invstd(var: Array, eps: float) -> Array:
    """invstd = 1 / sqrt(var + eps), one kernel (the xp code is three)."""
    invstd = elementwise("bn_invstd", "T var, T eps", "T invstd", "invstd = 1 / sqrt(var + eps)")
    return invstd(var, var.dtype.type(eps))


def batch_norm_update_running(
    running_mean: Array, running_var: Array, mean: Array, var: Array, momentum: float, count: int
) -> None:
    """In place: r = (1 - momentum) r + momentum stat (variance unbiased), one kernel for both."""
    update = elementwise(
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
    apply = elementwise(
        "bn_apply",
        "T x, T mean, T invstd, T w, T b",
        "T y, T xhat",
        "xhat = (x - mean) * invstd; y = w * xhat + b",
    )
    return apply(x, mean[:, None], invstd[:, None], weight[:, None], bias[:, None])


def batch_norm_grads(gy: Array, xhat: Array, invstd: Array, weight: Array) -> tuple[Array, Array, Array]:
    """Training mode's (gx, gweight, gbias): the two sums in one pass over gy, then
    gx = (weight*invstd)(gy - mean(gy) - xhat mean(gy xhat)) in one fused kernel."""
    sums = _channel_sums(SUM_AND_PRODUCT, gy, xhat)
    if sums is None:
        gbias, gweight = gy.sum(axis=(0, 2)), (gy * xhat).sum(axis=(0, 2))
    else:
        gbias, gweight = sums
    # NOTE: the per-channel factors are recomputed per element inside the kernel:
    # cheaper than three more launches over C numbers
    grad = elementwise(
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
