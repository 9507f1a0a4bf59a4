"""Numba kernels for the loops NumPy does badly.

Each kernel is a plain Python function first (``_name_py``), so tests can run
it without compiling, and jitted second (``cache=True``; ``parallel=True``
where it pays). Only the kernels listed in USE_BY_DEFAULT (each measured at
least 2x faster than the NumPy tier) are used by ``use_kernels("auto")``;
``use_kernels("numba")`` uses them all.
"""
import numba
import numpy as np

USE_BY_DEFAULT = set()

# --- convolution ------------------------------------------------------------

# --- pooling ----------------------------------------------------------------

# --- local response normalization -------------------------------------------

# --- batch normalization ----------------------------------------------------
