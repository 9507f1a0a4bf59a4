"""CUDA kernels (CuPy ElementwiseKernel / RawKernel) where the xp code launches
too many small kernels. Anything not defined here runs the shared xp code of
im2col.py on CuPy arrays.
"""

# --- convolution ------------------------------------------------------------
# None yet: conv runs im2col.py's xp code on CuPy. im2col is one as_strided
# view copied into the column matrix, the GEMMs go to cuBLAS, and col2im is
# KH*KW strided-slice adds, each one kernel launch. A RawKernel col2im (one
# thread per input pixel, gathering instead of scattering) would fuse them.

# --- pooling ----------------------------------------------------------------
# None yet: pooling runs im2col.py's xp code on CuPy (window copy + argmax,
# bincount for max-pool backward, KH*KW slice adds for average pooling).

# --- local response normalization -------------------------------------------
# None yet: LRN runs im2col.py's xp code on CuPy, `size` slice-adds over the
# padded channel axis per pass plus a few elementwise ops. A fused
# ElementwiseKernel for s^-beta and the backward's product would cut launches.

# --- batch normalization ----------------------------------------------------
# None yet: BN runs im2col.py's xp reductions (cupy.sum over axes (0, 2)),
# which already run as single reduction kernels on the GPU.
