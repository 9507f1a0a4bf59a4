"""conv_transpose2d on every kernel tier equals it on the reference loops.

It has no kernels of its own: its forward is the convolution's input gradient, its
gradients the convolution's forward and weight gradient. So each geometry below is
chosen to send those three through a different route of the fast tiers (the phase
split of strided convolutions, the "same" input gradient as a convolution, pointwise,
depthwise and single-channel convolutions, Winograd's 3x3). Same dtype, two tiers:
float64 to 1e-10 and float32 to 1e-5, relative to the array's largest value.
"""

import numpy as np
import pytest
from kernel_checks import close

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels

FAST = [
    "numpy-simple",
    "numpy",
    pytest.param("numba", marks=pytest.mark.numba),
    pytest.param("auto", marks=pytest.mark.numba),
]
DTYPES = [np.float64, np.float32]
# name: (x shape, weight shape (C_in, C_out/groups, kH, kW), hyperparameters)
CASES = {
    # gx is a 3x3 convolution: numba_im2col's at this size, Winograd's under "auto" only on
    # enough tiles (numba_winograd.few_tiles; tests/kernels/test_winograd.py takes it there)
    "3x3": ((2, 4, 5, 6), (4, 8, 3, 3), dict(padding=1)),
    "same_widening": ((2, 3, 6, 5), (3, 4, 3, 3), dict(padding=1)),  # y by the "same" route
    "stride2_upsample": ((2, 3, 4, 5), (3, 2, 4, 4), dict(stride=2, padding=1)),
    "stride2_output_padding_groups": (
        (1, 4, 5, 4),
        (4, 3, 3, 3),
        dict(stride=2, padding=1, output_padding=1, groups=2),
    ),
    "11x11_stride4": ((1, 3, 5, 4), (3, 2, 11, 11), dict(stride=4, padding=2, output_padding=(3, 1))),
    "dilated_output_padding": ((2, 2, 4, 5), (2, 3, 3, 2), dict(dilation=(2, 3), output_padding=(1, 2))),
    "depthwise": ((2, 4, 5, 5), (4, 1, 3, 3), dict(stride=(1, 2), padding=1, groups=4)),
    "one_output_channel": ((2, 3, 6, 6), (3, 1, 5, 5), dict(padding=2)),
    "pointwise": ((2, 5, 4, 3), (5, 3, 1, 1), {}),
    "non_square_pairs": (
        (1, 2, 3, 5),
        (2, 3, 2, 3),
        dict(stride=(3, 2), padding=(0, 1), output_padding=(2, 1)),
    ),
}


def run(tier, x, w, b, gy, params):
    """(y, gx, gW, gb) of conv_transpose2d under ``tier``, and the kernels that ran."""
    xt, wt, bt = (mc.tensor(a, requires_grad=True) for a in (x, w, b))
    with mc.use_kernels(tier), kernels.trace() as ran:
        y = F.conv_transpose2d(xt, wt, bt, **params)
        y.backward(gy)
    return (y.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()), ran


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tier", FAST)
@pytest.mark.parametrize("name", sorted(CASES))
def test_conv_transpose_tiers_equal_reference(name, tier, dtype, rng):
    xs, ws, params = CASES[name]
    x, w = (rng.standard_normal(s).astype(dtype) for s in (xs, ws))
    b = rng.standard_normal(ws[1] * params.get("groups", 1)).astype(dtype)
    gy = rng.standard_normal(F.conv_transpose2d(mc.tensor(x), mc.tensor(w), **params).shape).astype(dtype)
    want, ran_reference = run("reference", x, w, b, gy, params)
    got, ran = run(tier, x, w, b, gy, params)
    # the three convolution kernels ran, on the reference loops there and on none of them here
    assert len(ran_reference) == len(ran) == 3
    assert all(r.endswith(": reference") for r in ran_reference)
    assert not any("reference" in r for r in ran), ran
    for array, expected in zip(got, want):
        close(array, expected, dtype)
