"""CUDA kernels (CuPy ElementwiseKernel / RawKernel) where the xp code launches
too many small kernels. Anything not defined here runs the shared xp code of
im2col.py on CuPy arrays.
"""
