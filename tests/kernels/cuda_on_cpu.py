"""The CUDA C of kernels/cupy_gpu.py and cupy_norm.py, run on the CPU.

A RawKernel's source is C++ with a few CUDA words. Compiled by the C++ compiler with
those words defined (``__global__`` as nothing, ``blockIdx``/``threadIdx``/``blockDim``/
``gridDim`` as plain globals, ``atomicAdd`` as ``+=``), and launched by a loop that runs
every block and every thread in turn, a kernel computes what it computes on a GPU, as
long as its threads share nothing but the arrays (no shared memory, no
``__syncthreads``: none of these kernels uses them). So its index arithmetic, its bounds
and its order of additions are checked on machines without a GPU; its speed is not.

``elementwise`` does the same for an ElementwiseKernel: its one-line body in a loop over
the elements. ``cupy_on_numpy`` is a stand-in for the ``cupy`` module made of NumPy's
functions, so the kernels' host code (the launch sizes, the fallbacks) runs as it is, on
NumPy arrays.
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
extern "C" void launch(unsigned launch_gx, unsigned launch_gy, unsigned launch_gz, unsigned launch_bx,
                       {params}) {{
    gridDim = {{launch_gx, launch_gy, launch_gz}};
    blockDim = {{launch_bx, 1, 1}};
    for (unsigned launch_z = 0; launch_z < launch_gz; ++launch_z)
        for (unsigned launch_y = 0; launch_y < launch_gy; ++launch_y)
            for (unsigned launch_x = 0; launch_x < launch_gx; ++launch_x)
                for (unsigned launch_t = 0; launch_t < launch_bx; ++launch_t) {{
                    blockIdx = {{launch_x, launch_y, launch_z}};
                    threadIdx = {{launch_t, 0, 0}};
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


def elementwise(name, in_params, out_params, body):
    """Like cupy_compile.elementwise: a callable ``(*inputs, *outputs)`` applying the
    ElementwiseKernel's ``body`` (C++ over the parameters' names, of type T) to every element
    on the CPU, its array arguments broadcast against each other as CuPy does. Outputs
    given are written in place (and, as in CuPy, may be read first)."""
    ins = [p.split()[-1] for p in in_params.split(",")]
    outs = [p.split()[-1] for p in out_params.split(",")]

    def run(*args):
        T = next(a.dtype for a in args if isinstance(a, np.ndarray))
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        given = list(args[len(ins) :])
        inputs = [
            np.ascontiguousarray(np.broadcast_to(a, shape), T) if isinstance(a, np.ndarray) else a
            for a in args[: len(ins)]
        ]
        results = [np.array(np.broadcast_to(g, shape), T) for g in given]
        results += [np.empty(shape, T) for _ in outs[len(given) :]]
        scalar = tuple(not isinstance(a, np.ndarray) for a in inputs)
        key = ("elementwise", name, body, REAL[np.dtype(T).name], scalar)
        if key not in _built:
            params = [f"T {n}_" if s else f"const T* {n}_" for n, s in zip(ins, scalar)]
            params += [f"T* {n}_" for n in outs]
            loads = [f"T {n} = {n}_;" if s else f"T {n} = {n}_[i_];" for n, s in zip(ins, scalar)]
            loads += [f"T& {n} = {n}_[i_];" for n in outs]
            source = (
                f'extern "C" __global__ void {name}(long long n_, {", ".join(params)}) {{\n'
                f"    long long i_ = blockIdx.x * (long long)blockDim.x + threadIdx.x;\n"
                f"    if (i_ >= n_) return;\n    {' '.join(loads)}\n    {body};\n}}\n"
            )
            _built[key] = _compile("typedef real T;\n" + source, name, REAL[np.dtype(T).name])
        size = int(np.prod(shape))
        values = [np.dtype(T).type(a) if s else a for a, s in zip(inputs, scalar)]
        _built[key]((max(1, size),), (1,), (np.int64(size), *values, *results))
        for g, r in zip(given, results):
            g[...] = r
        return results[0] if len(results) == 1 else tuple(results)

    return run


def cupy_on_numpy():
    """A stand-in for the ``cupy`` module: the functions the kernels' host code calls."""
    cupy = types.ModuleType("cupy")
    for name in ("ascontiguousarray", "asarray", "empty", "empty_like", "full", "zeros", "int64"):
        setattr(cupy, name, getattr(np, name))
    return cupy
