"""Plain-loop kernels: the spec.

Each function is the loop a student would write from the paper's formula,
one output element at a time. Slow (use tiny inputs) and obvious; every
faster tier is tested against these.
"""
import numpy as np

# --- convolution ------------------------------------------------------------

# --- pooling ----------------------------------------------------------------

# --- local response normalization -------------------------------------------

# --- batch normalization ----------------------------------------------------
