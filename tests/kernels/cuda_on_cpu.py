"""The CUDA C of kernels/cupy_gpu.py and cupy_norm.py, run on the CPU.

A RawKernel's source is C++ with a few CUDA words. Compiled by the C++ compiler with
those words defined (``__global__`` as nothing, ``blockIdx``/``threadIdx``/``blockDim``/
``gridDim`` as plain globals, ``atomicAdd`` as ``+=``), and launched by a loop that runs
every block and every thread in turn, a kernel computes what it computes on a GPU, as
long as its threads share nothing but the arrays (no shared memory, no
``__syncthreads``: none of these kernels uses them). So its index arithmetic, its bounds
and its order of additions are checked on machines without a GPU; its speed is not.

``cupy_on_numpy`` is a stand-in for the ``cupy`` module made of NumPy's functions, so the
kernels' host code (the launch sizes, the fallbacks) runs as it is, on NumPy arrays.
"""

import ctypes
import os
import re
import shutil
import subprocess
import tempfile
import types

import numpy as np

CUDA_WORDS = """
#include <algorithm>
#include <cmath>
using std::max; using std::min;
struct dim3_ { unsigned x, y, z; };
static dim3_ blockIdx, threadIdx, blockDim, gridDim;
#define __global__
template <typename T> T atomicAdd(T* at, T v) { T old = *at; *at += v; return old; }
"""

_LAUNCHER = """
extern "C" void launch(unsigned grid_x_, unsigned grid_y_, unsigned grid_z_, unsigned block_x_, {params}) {{
    gridDim = {{grid_x_, grid_y_, grid_z_}};
    blockDim = {{block_x_, 1, 1}};
    for (unsigned z_ = 0; z_ < grid_z_; ++z_)
        for (unsigned y_ = 0; y_ < grid_y_; ++y_)
            for (unsigned x_ = 0; x_ < grid_x_; ++x_)
                for (unsigned t_ = 0; t_ < block_x_; ++t_) {{
                    blockIdx = {{x_, y_, z_}};
                    threadIdx = {{t_, 0, 0}};
                    {name}({args});
                }}
}}
"""

REAL = {"float32": "float", "float64": "double"}


def compiler():
    """The C++ compiler's path, or None."""
    return shutil.which("c++") or shutil.which("g++")


_built: dict = {}


def kernel(source, name, dtype):
    """Like cupy_compile.kernel: a callable ``(grid, block, args)`` running kernel ``name`` of
    ``source`` on the CPU, or None for a dtype the kernels are not written for."""
    real = REAL.get(np.dtype(dtype).name)
    if real is None:
        return None
    key = (source, name, real)
    if key not in _built:
        _built[key] = _compile(source, name, real)
    return _built[key]


def _compile(source, name, real):
    params = re.search(r"void\s+" + name + r"\s*\(([^)]*)\)", source).group(1)
    args = ", ".join(re.split(r"[\s*]+", p.strip())[-1] for p in params.split(","))
    program = CUDA_WORDS + f"typedef {real} real;\n" + source
    program += _LAUNCHER.format(params=params, name=name, args=args)
    with tempfile.TemporaryDirectory(prefix="cuda_on_cpu_") as folder:  # gone once loaded
        path = os.path.join(folder, f"{name}.cpp")
        with open(path, "w") as f:
            f.write(program)
        library = os.path.join(folder, f"{name}.so")
        subprocess.run([compiler(), "-O1", "-shared", "-fPIC", "-o", library, path], check=True)
        launch = ctypes.CDLL(library).launch

    def run(grid, block, args):
        grid = tuple(grid) + (1,) * (3 - len(grid))
        launch(*(ctypes.c_uint(g) for g in grid), ctypes.c_uint(block[0]), *map(_c_value, args))

    return run


def _c_value(a):
    """A kernel argument as C gets it: an array's address, or a scalar of its own C type."""
    if isinstance(a, np.ndarray):
        assert a.flags.c_contiguous, "a kernel reads its arrays as contiguous"
        return ctypes.c_void_p(a.ctypes.data)
    kinds = {np.int32: ctypes.c_int, np.int64: ctypes.c_longlong}
    kinds.update({np.float32: ctypes.c_float, np.float64: ctypes.c_double})
    return kinds[type(a)](a.item())


def cupy_on_numpy():
    """A stand-in for the ``cupy`` module: the functions the kernels' host code calls."""
    cupy = types.ModuleType("cupy")
    for name in ("ascontiguousarray", "asarray", "empty", "empty_like", "full", "zeros", "int64"):
        setattr(cupy, name, getattr(np, name))
    return cupy
