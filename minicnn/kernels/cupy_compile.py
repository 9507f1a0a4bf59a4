"""CUDA C compiled for CuPy, once per kernel and dtype, and the launch sizes the CUDA kernels
of cupy_gpu.py and cupy_norm.py share.

A RawKernel's source is written for a type ``real``, defined here as float or double;
a kernel that cannot be compiled (no NVRTC, no toolkit headers, an old driver) is None,
and its caller runs the xp code instead.
"""

import numpy as np

THREADS = 256  # threads per block
INT_MAX = 2**31 - 1  # the kernels index in 32-bit ints where the sizes allow
GRID_MAX = 65535  # CUDA's limit on gridDim.y and gridDim.z

_compiled: dict = {}
_elementwise: dict = {}


def kernel(source, name, dtype):
    """The RawKernel ``name`` of ``source`` for this dtype, or None when it cannot be compiled here."""
    key = (name, np.dtype(dtype).name)
    if key not in _compiled:
        import cupy

        real = {"float32": "float", "float64": "double"}.get(key[1])
        try:
            if real is None:
                raise TypeError(f"no CUDA kernel for dtype {key[1]}")
            compiled = cupy.RawKernel(f"typedef {real} real;\n" + source, name)
            compiled.compile()
            _compiled[key] = compiled
        except Exception:  # NVRTC missing or failing: keep the xp code
            _compiled[key] = None
    return _compiled[key]


def elementwise(name, in_params, out_params, body):
    """cupy.ElementwiseKernel(in_params, out_params, body, name), made once."""
    if name not in _elementwise:
        import cupy

        _elementwise[name] = cupy.ElementwiseKernel(in_params, out_params, body, name)
    return _elementwise[name]


def blocks(total):
    """Blocks of THREADS threads for a thread per value of ``total``."""
    return ((total + THREADS - 1) // THREADS,)


def real(dtype, value):
    """A scalar kernel argument in the kernel's float type."""
    return np.dtype(dtype).type(value)
