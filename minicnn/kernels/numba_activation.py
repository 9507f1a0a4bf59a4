"""ReLU's forward and backward as jitted passes over flat arrays (in "auto" and "numba").

Each is a plain Python function first (``_name_py``), so tests can run it without
compiling, and jitted second, as numba_cpu.py's loops. NumPy's ``maximum(x, 0)`` and
xp_activation.py's bit selection each make more passes, or slower ones, than one loop.
"""

import numba
import numpy as np

from ..backend import Array
from . import numba_compiling  # noqa: F401  # says so as a first run compiles the loops


def _relu_fwd_py(x, y):
    for i in numba.prange(x.size):
        y[i] = 0 if x[i] <= 0 else x[i]  # NaN <= 0 is false: NaN passes, as in maximum(x, 0)


_relu_fwd = numba.njit(cache=True, parallel=True)(_relu_fwd_py)


def relu_forward(x: Array) -> Array:
    """y = max(x, 0), as xp_activation's, in one pass over a flat array.

    NOTE: NumPy's loop of maximum(x, 0) against a scalar is not vectorized, so it runs
    well behind a copy of x; this loop runs close to one (benchmarks/README.md, "ReLU's
    forward as one jitted pass").
    """
    y = np.empty(x.shape, x.dtype)
    x = np.ascontiguousarray(x)
    _relu_fwd(x.reshape(-1), y.reshape(-1))
    return y


def _relu_bwd_py(gy, y, gx):
    for i in numba.prange(gy.size):
        gx[i] = gy[i] if y[i] != 0 else 0


_relu_bwd = numba.njit(cache=True, parallel=True)(_relu_bwd_py)


def relu_input_grad(gy: Array, y: Array) -> Array:
    """gx = gy where y = max(x, 0) is not 0, else 0, in one pass over flat arrays.

    NOTE: xp_activation's selection writes the mask y != 0, widens it to words and ANDs
    them with gy's bits, a pass each; this loop reads gy and y once (benchmarks/kernels.py).
    """
    gx = np.empty(gy.shape, gy.dtype)
    gy, y = np.ascontiguousarray(gy), np.ascontiguousarray(y)  # (0-d arrays come back 1-d)
    _relu_bwd(gy.reshape(-1), y.reshape(-1), gx.reshape(-1))
    return gx
