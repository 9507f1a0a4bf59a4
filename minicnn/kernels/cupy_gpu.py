"""CUDA kernels (CuPy ElementwiseKernel / RawKernel) where the xp code launches
too many small kernels. Anything not defined here runs the shared xp code of
im2col.py on CuPy arrays.
"""

# --- convolution ------------------------------------------------------------
# The GEMMs go to cuBLAS through im2col.py's xp code; col2im there is KH*KW
# strided-slice adds, one launch each. Here it is one kernel that gathers
# instead of scattering: a thread per input cell sums the column entries that
# read it, so no two threads write one place and no atomics are needed.
# If NVRTC cannot compile (no toolkit headers, an old driver), the xp code runs.

import numpy as np

from . import im2col

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

_compiled = {}
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
        except Exception:        # NVRTC missing or failing: keep the xp code
            _compiled[key] = None
    return _compiled[key]


def _blocks(total):
    return ((total + _THREADS - 1) // _THREADS,)


def col2im(cols, x_shape, stride, padding, dilation):
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


def conv2d_backward_input(gy, weight, x_shape, stride, padding, dilation, groups):
    """gX = col2im(W^T @ gY): the GEMM in cuBLAS, the gather in one kernel."""
    return col2im(im2col.input_grad_columns(gy, weight, groups), x_shape, stride, padding, dilation)


# --- pooling ----------------------------------------------------------------
# Max-pool backward as one kernel of atomic adds instead of the xp code's
# bincount (which sorts/histograms in several launches, in float64).
# Everything else runs im2col.py's xp code on CuPy.

def max_pool2d_backward(gy, argmax, x_shape):
    """gx = gy added at each window's argmax."""
    kernel = _kernel(_MAXPOOL_BWD, "maxpool_bwd", gy.dtype)
    if kernel is None:
        return im2col.max_pool2d_backward(gy, argmax, x_shape)
    import cupy
    gy, argmax = cupy.ascontiguousarray(gy), cupy.ascontiguousarray(argmax, dtype=cupy.int64)
    gx = cupy.zeros(x_shape, dtype=gy.dtype)
    OHW, HW = gy.shape[2] * gy.shape[3], x_shape[2] * x_shape[3]
    kernel(_blocks(gy.size), (_THREADS,), (gy, argmax, gx, np.int64(gy.size), np.int32(OHW), np.int32(HW)))
    return gx


# --- local response normalization -------------------------------------------
# None yet: LRN runs im2col.py's xp code on CuPy, `size` slice-adds over the
# padded channel axis per pass plus a few elementwise ops. A fused
# ElementwiseKernel for s^-beta and the backward's product would cut launches.

# --- batch normalization ----------------------------------------------------
# None yet: BN runs im2col.py's xp reductions (cupy.sum over axes (0, 2)),
# which already run as single reduction kernels on the GPU.
