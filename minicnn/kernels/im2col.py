"""Vectorized kernels written against ``xp`` (NumPy on CPU, CuPy on GPU).

The default tier: the same lines run on both array modules, so the CPU tests
cover the GPU path's logic.
"""
from .. import backend

# --- convolution ------------------------------------------------------------

# --- pooling ----------------------------------------------------------------

# --- local response normalization -------------------------------------------

# --- batch normalization ----------------------------------------------------
