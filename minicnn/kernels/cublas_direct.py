"""Matrix products by cuBLAS called directly (ctypes), for a step recorded as a CUDA graph.

CuPy will not call cuBLAS while a stream is captured; cuBLAS itself records into a
graph, given a handle bound to the capturing stream and a workspace it need not
allocate during the capture. ``prepare()`` makes both before a capture; ``matmul``
then multiplies 2-D and 3-D arrays as ``xp.matmul`` does, on the current stream.

cuBLAS is column-major, and a row-major matrix's memory is its transpose in column-major
order. So the row-major product C = A @ B, (m, k) @ (k, n), is asked of cuBLAS as
C^T = B^T @ A^T, an (n, m) result whose memory is C's. An operand stored as the transpose
of a contiguous array (``w.T``) is read as it lies, with cuBLAS's transpose flag; a batch
of matrices is one strided-batched call, and a 2-D side shared by every matrix of the
other has a batch stride of 0.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from typing import Any

from .. import backend

OP_N, OP_T = 0, 1  # cublasOperation_t
WORKSPACE_BYTES = 32 << 20  # cuBLAS's own default for Hopper, at most

_state: dict[int, Any] = {}  # device id -> (library, handle, workspace)
_lock = threading.Lock()  # a handle's stream and its GEMM are set and run by one thread at a time


def prepare(cp: Any = None) -> None:
    """Make this device's handle and workspace, outside any capture (both allocate); ``cp``
    is the CuPy module (by default backend.cupy())."""
    cp = cp or backend.cupy()
    device = cp.cuda.Device().id
    if device in _state:
        return
    lib = _library()
    _declare(lib)
    handle = ctypes.c_void_p()
    _check(lib.cublasCreate_v2(ctypes.byref(handle)), "cublasCreate")
    workspace = cp.empty(WORKSPACE_BYTES, dtype=cp.uint8)
    _check(lib.cublasSetWorkspace_v2(handle, workspace.data.ptr, WORKSPACE_BYTES), "cublasSetWorkspace")
    _state[device] = (lib, handle, workspace)


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """a @ b (2-D or 3-D sides, as ``xp.matmul``) by one cuBLAS call on the current stream."""
    cp = backend.cupy()
    found = _state.get(cp.cuda.Device().id)
    if found is None:
        raise RuntimeError("cublas_direct.matmul: call cublas_direct.prepare() before the capture begins")
    lib, handle, workspace = found

    def gemm(*args):
        with _lock:
            _check(lib.cublasSetStream_v2(handle, cp.cuda.get_current_stream().ptr), "cublasSetStream")
            # NOTE: setting the stream also sets cuBLAS back to its own workspace pool
            status = lib.cublasSetWorkspace_v2(handle, workspace.data.ptr, WORKSPACE_BYTES)
            _check(status, "cublasSetWorkspace")
            _gemm(lib, handle, a.dtype, *args)

    return product(a, b, out, cp, gemm, _pointer)


def product(a, b, out, xp, gemm, pointer):
    """a @ b written into ``out`` (made when None) by ``gemm(*args)``, whose arguments are those
    of cublas<t>gemmStridedBatched after the handle; ``pointer(array)`` is an array's address.

    A side whose matrices have neither their rows nor their columns contiguous (``a[:, ::2]``,
    reversed axes) or whose batch runs backwards is copied first; an empty product makes
    no call.
    """
    who = "cublas_direct.matmul"
    if a.ndim not in (2, 3) or b.ndim not in (2, 3):
        raise ValueError(f"{who}: expected 2-D or 3-D arrays, got shapes {a.shape} and {b.shape}")
    if a.dtype != b.dtype or a.dtype.char not in "fd":
        raise ValueError(f"{who}: expected two float32 or two float64 arrays, got {a.dtype} and {b.dtype}")
    (m, k), (k2, n) = a.shape[-2:], b.shape[-2:]
    batch_a, batch_b = (a.shape[0] if a.ndim == 3 else 1), (b.shape[0] if b.ndim == 3 else 1)
    batch = batch_b if batch_a == 1 else batch_a  # a batch of 1 goes with any other, 0 too
    if k != k2 or batch_b not in (1, batch):
        raise ValueError(f"{who}: shapes {a.shape} and {b.shape} do not multiply")
    shape = ((batch,) if max(a.ndim, b.ndim) == 3 else ()) + (m, n)
    if out is not None and (out.shape != shape or out.dtype != a.dtype):
        raise ValueError(f"{who}: out is {out.shape} {out.dtype}, the product {shape} {a.dtype}")
    target = out if out is not None and out.flags.c_contiguous else xp.empty(shape, dtype=a.dtype)
    if 0 in (batch, m, n, k):  # nothing to multiply: cuBLAS refuses the sizes, the sum of none is 0
        target[...] = 0
        return _into(out, target)
    a, (op_a, ld_a) = _readable(a, xp)
    b, (op_b, ld_b) = _readable(b, xp)
    # C^T (n, m) = op(B's memory) @ op(A's memory): B's memory read as B^T, A's as A^T
    gemm(
        op_b, op_a, n, m, k,
        pointer(b), ld_b, _batch_stride(b, batch_b),
        pointer(a), ld_a, _batch_stride(a, batch_a),
        pointer(target), n, m * n, batch,
    )  # fmt: skip
    return _into(out, target)


def _into(out, target):
    """The product: ``target`` itself, or copied into the ``out`` asked for where that was not
    contiguous."""
    if out is None:
        return target
    if target is not out:
        out[...] = target
    return out


def _readable(m, xp):
    """(m or a contiguous copy, (cuBLAS's flag, leading dimension)) for the matrices of m.

    Rows contiguous (strides (ld, 1) in items): its memory is m^T column-major, read as
    it lies (OP_N for the side that wants m^T). Columns contiguous (strides (1, ld)): its
    memory is m itself column-major, read transposed (OP_T).
    """
    item = m.itemsize
    rows, cols = m.shape[-2:]
    s_row, s_col = m.strides[-2], m.strides[-1]
    batch_ok = m.ndim == 2 or m.shape[0] == 1 or (m.strides[0] >= 0 and m.strides[0] % item == 0)
    if batch_ok and (s_col == item or cols == 1) and s_row % item == 0 and s_row // item >= max(cols, 1):
        return m, (OP_N, s_row // item)
    if batch_ok and (s_row == item or rows == 1) and s_col % item == 0 and s_col // item >= max(rows, 1):
        return m, (OP_T, s_col // item)
    return xp.ascontiguousarray(m), (OP_N, max(cols, 1))


def _batch_stride(m, batch):
    """Items between consecutive matrices of m; 0 for a side shared by the whole batch."""
    return m.strides[0] // m.itemsize if m.ndim == 3 and batch > 1 else 0


def _pointer(array):
    return array.data.ptr


def _gemm(lib, handle, dtype, op_x, op_y, m, n, k, x, ldx, sx, y, ldy, sy, c, ldc, sc, batch):
    name = "cublasSgemmStridedBatched" if dtype.char == "f" else "cublasDgemmStridedBatched"
    real = ctypes.c_float if dtype.char == "f" else ctypes.c_double
    alpha, beta = ctypes.byref(real(1.0)), ctypes.byref(real(0.0))
    fn = getattr(lib, name)
    _check(fn(handle, op_x, op_y, m, n, k, alpha, x, ldx, sx, y, ldy, sy, beta, c, ldc, sc, batch), name)


def _check(status, what):
    if status != 0:
        raise RuntimeError(f"cuBLAS {what} failed with status {status}")


def _declare(lib):
    """The argument types of the functions used: ctypes would pass Python ints as C ints."""
    p, i, ll = ctypes.c_void_p, ctypes.c_int, ctypes.c_longlong
    lib.cublasCreate_v2.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.cublasSetStream_v2.argtypes = [p, p]
    lib.cublasSetWorkspace_v2.argtypes = [p, p, ctypes.c_size_t]
    for name, real in (
        ("cublasSgemmStridedBatched", ctypes.c_float),
        ("cublasDgemmStridedBatched", ctypes.c_double),
    ):
        r = ctypes.POINTER(real)  # alpha and beta, read on the host
        getattr(lib, name).argtypes = [p, i, i, i, i, i, r, p, i, ll, p, i, ll, r, p, i, ll, i]
    for name in ("cublasCreate_v2", "cublasSetStream_v2", "cublasSetWorkspace_v2",
                 "cublasSgemmStridedBatched", "cublasDgemmStridedBatched"):  # fmt: skip
        getattr(lib, name).restype = ctypes.c_int


def _library():
    """The libcublas CuPy loaded (so both use one copy), else the system's."""
    from cupy_backends.cuda.libs import cublas  # noqa: F401 -- loads CuPy's libcublas

    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "/libcublas.so" in path:
                    return ctypes.CDLL(path)
    except OSError:  # no /proc here: the system's
        pass
    name = ctypes.util.find_library("cublas")
    if name is None:
        raise RuntimeError("cublas_direct: libcublas was not found")
    return ctypes.CDLL(name)
