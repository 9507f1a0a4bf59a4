"""The convolutions and poolings the kernel tiers are compared on, and the tiers compared."""

import numpy as np
import pytest

from minicnn.kernels import reference

FAST = [
    "numpy-simple",
    "numpy",
    pytest.param("numba", marks=pytest.mark.numba),
    pytest.param("auto", marks=pytest.mark.numba),
]

# conv: (x shape, weight shape, stride, padding, dilation, groups)
CONV = {
    "3x3_pad": ((2, 3, 6, 5), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "groups2_dilated": ((1, 4, 7, 7), (4, 2, 3, 2), (2, 1), (0, 2), (2, 1), 2),
    "depthwise": ((2, 4, 5, 6), (4, 1, 3, 3), (1, 2), (1, 1), (1, 1), 4),
    "5x5_stride4x3": ((1, 2, 9, 9), (2, 2, 5, 5), (4, 3), (2, 2), (1, 1), 1),
    # strided, through the phase split: AlexNet's conv1 shrunk, padding beyond the stride
    # with rows no window reaches, and a 1x1 (which keeps the direct im2col)
    "11x11_stride4": ((2, 3, 31, 29), (4, 3, 11, 11), (4, 4), (0, 0), (1, 1), 1),
    "3x3_stride3_pad2": ((1, 2, 11, 10), (3, 2, 3, 3), (3, 3), (2, 2), (1, 1), 1),
    "1x1_stride2": ((2, 4, 7, 6), (3, 4, 1, 1), (2, 2), (0, 0), (1, 1), 1),
    # "same" convolutions with no more output than input channels: gX as a convolution of gy
    "same_3x3": ((2, 4, 6, 5), (4, 4, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "same_groups_dilated": ((2, 4, 8, 7), (4, 2, 3, 3), (1, 1), (2, 1), (2, 1), 2),
    "1x1": ((2, 5, 4, 4), (3, 5, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    # stride 1 but through col2im: widening, padding beyond the kernel, no padding
    "stride1_widening_groups_dilated": ((2, 4, 8, 7), (6, 2, 3, 3), (1, 1), (2, 1), (2, 1), 2),
    "stride1_pad_beyond_kernel": ((1, 2, 5, 5), (3, 2, 2, 2), (1, 1), (2, 2), (1, 1), 1),
    "stride1_5x5_unpadded": ((1, 2, 9, 8), (3, 2, 5, 5), (1, 1), (0, 0), (1, 1), 1),
    "stride1_widening_groups": ((2, 4, 8, 7), (6, 2, 3, 3), (1, 1), (2, 1), (1, 1), 2),
}

# pool: (x shape, kernel_size, stride, padding, ceil_mode)
POOL = {
    "overlap": ((2, 3, 7, 7), (3, 3), (2, 2), (0, 0), False),
    "pad_ceil": ((1, 2, 6, 7), (3, 3), (2, 2), (1, 1), True),
    "pairs_ceil_drop": ((2, 1, 8, 9), (2, 3), (3, 2), (1, 0), True),
    "tiles": ((1, 2, 5, 5), (2, 2), (2, 2), (0, 0), False),
    "tiles_even": ((2, 3, 6, 8), (2, 2), (2, 2), (0, 0), False),
    "tiles_ceil": ((1, 2, 5, 7), (2, 2), (2, 2), (0, 0), True),  # partial windows: the general loop
}

ADAPTIVE = {
    "7x7_to_3": ((1, 2, 7, 7), (3, 3)),
    "6x9_to_5x2": ((2, 1, 6, 9), (5, 2)),
    "8x6_to_4x3": ((2, 2, 8, 6), (4, 3)),  # windows side by side
    "5x5_to_1": ((2, 3, 5, 5), (1, 1)),  # global
}

DTYPES = [np.float64, np.float32]


def conv_arrays(rng, name, dtype):
    xs, ws, *_ = CONV[name]
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (xs, ws, ws[:1]))
    y = reference.conv2d_forward(x, w, b, *CONV[name][2:])
    return x, w, b, y, rng.standard_normal(y.shape).astype(dtype)
