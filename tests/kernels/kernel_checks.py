"""Shared helpers of the kernel tests: the tolerance every fast kernel meets against the
reference loops, and the check of a kernel module's three convolution kernels."""

import numpy as np

from minicnn.kernels import reference

RTOL = {np.float64: 1e-10, np.float32: 1e-5}


def close(got, want, dtype):
    """got equals want in dtype and shape, to RTOL (absolute: RTOL times want's largest entry)."""
    assert got.dtype == want.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(want).max())


def conv_kernels_equal_reference(K, x, w, b, gy, params, dtype):
    """K's convolution forward (with and without the bias), input and weight gradients each
    equal the reference loops'. params: (stride, padding, dilation, groups)."""
    close(K.conv2d_forward(x, w, b, *params), reference.conv2d_forward(x, w, b, *params), dtype)
    close(K.conv2d_forward(x, w, None, *params), reference.conv2d_forward(x, w, None, *params), dtype)
    close(
        K.conv2d_input_grad(gy, w, x.shape, *params),
        reference.conv2d_input_grad(gy, w, x.shape, *params),
        dtype,
    )
    close(
        K.conv2d_weight_grad(gy, x, w.shape, *params),
        reference.conv2d_weight_grad(gy, x, w.shape, *params),
        dtype,
    )
