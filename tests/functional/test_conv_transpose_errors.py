"""conv_transpose2d and nn.ConvTranspose2d refuse bad input in one line, before any
arithmetic, naming the layer, what it expected and what it got (the rest of their tests:
test_conv_transpose.py)."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def _x(*shape, dtype=np.float64):
    return mc.Tensor(np.ones(shape, dtype=dtype))


# name: (call, error type, message pattern)
ERRORS = {
    "2d_input": (
        lambda: F.conv_transpose2d(_x(5, 5), _x(2, 3, 3, 3)),
        ValueError,
        r"conv_transpose2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "weight_3d": (
        lambda: F.conv_transpose2d(_x(1, 2, 5, 5), _x(2, 3, 3)),
        ValueError,
        r"conv_transpose2d: expected weight of shape \(in_channels, out_channels/groups, kH, kW\), "
        r"got shape \(2, 3, 3\)",
    ),
    "channel_mismatch": (
        lambda: F.conv_transpose2d(_x(1, 2, 5, 5), _x(3, 4, 3, 3)),
        ValueError,
        r"conv_transpose2d: x has 2 channel\(s\) but weight expects 3 \(its first axis, in_channels\); "
        r"x \(1, 2, 5, 5\), weight \(3, 4, 3, 3\)",
    ),
    "groups_not_dividing": (
        lambda: F.conv_transpose2d(_x(1, 3, 4, 4), _x(3, 2, 3, 3), groups=2),
        ValueError,
        r"conv_transpose2d: groups=2 must divide in_channels \(3\); x \(1, 3, 4, 4\), weight \(3, 2, 3, 3\)",
    ),
    "output_padding_too_large": (
        lambda: F.conv_transpose2d(_x(1, 2, 3, 3), _x(2, 2, 3, 3), stride=2, output_padding=(1, 2)),
        ValueError,
        r"conv_transpose2d: output_padding must be non-negative and smaller than either stride or "
        r"dilation, got output_padding \(1, 2\), stride \(2, 2\), dilation \(1, 1\)",
    ),
    "output_padding_negative": (
        lambda: F.conv_transpose2d(_x(1, 2, 3, 3), _x(2, 2, 3, 3), output_padding=-1),
        ValueError,
        r"conv_transpose2d: output_padding must be non-negative",
    ),
    "output_too_small": (
        lambda: F.conv_transpose2d(_x(1, 2, 1, 3), _x(2, 2, 1, 1), padding=1),
        ValueError,
        r"conv_transpose2d: the padding 1 crops more than the output height has: output height "
        r"\(1 - 1\)\*1 - 2\*1 \+ 1\*\(1-1\) \+ 0 \+ 1 = -1; x \(1, 2, 1, 3\), weight \(2, 2, 1, 1\)",
    ),
    "padding_word": (
        lambda: F.conv_transpose2d(_x(1, 2, 3, 3), _x(2, 2, 3, 3), padding="same"),
        TypeError,
        r"conv_transpose2d: padding must be an int or a pair of ints, got 'same'",
    ),
    "stride_zero": (
        lambda: F.conv_transpose2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=0),
        ValueError,
        r"conv_transpose2d: stride must be positive, got \(0, 0\)",
    ),
    "bias_shape": (
        lambda: F.conv_transpose2d(_x(1, 4, 5, 5), _x(4, 3, 3, 3), _x(3), groups=2),
        ValueError,
        r"conv_transpose2d: bias must have shape \(6,\) for weight \(4, 3, 3, 3\) and groups=2, got \(3,\)",
    ),
    "integer_input": (
        lambda: F.conv_transpose2d(_x(1, 1, 5, 5, dtype=np.int64), _x(1, 1, 3, 3)),
        TypeError,
        r"conv_transpose2d: x must be a floating-point tensor, got dtype int64",
    ),
    "dtype_mismatch": (
        lambda: F.conv_transpose2d(_x(1, 1, 5, 5, dtype=np.float32), _x(1, 1, 3, 3)),
        TypeError,
        r"conv_transpose2d: x is float32 but weight is float64",
    ),
    "module_groups": (
        lambda: nn.ConvTranspose2d(3, 4, 3, groups=2),
        ValueError,
        r"ConvTranspose2d: groups=2 must divide both in_channels \(3\) and out_channels \(4\)",
    ),
    "module_output_padding": (
        lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2, dilation=2),
        ValueError,
        r"ConvTranspose2d: output_padding must be non-negative and smaller than either stride or "
        r"dilation, got output_padding \(2, 2\), stride \(2, 2\), dilation \(2, 2\)",
    ),
    "module_padding_mode": (
        lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"),
        ValueError,
        r"ConvTranspose2d: only \"zeros\" padding mode is supported, as in PyTorch, "
        r"got padding_mode='reflect'",
    ),
    "module_names_itself": (
        lambda: nn.Sequential(nn.ConvTranspose2d(3, 4, 3))(mc.zeros(1, 2, 5, 5)),
        ValueError,
        r"ConvTranspose2d at '0': x has 2 channel\(s\) but weight expects 3",
    ),
    "module_output_size_out_of_range": (
        lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)(mc.zeros(2, 4, 4, 5), output_size=(10, 9)),
        ValueError,
        r"ConvTranspose2d: requested an output size of \(10, 9\), but valid sizes range from \(7, 9\) "
        r"to \(8, 10\) \(for an input of \(4, 5\)\)",
    ),
    "module_output_size_length": (
        lambda: nn.ConvTranspose2d(4, 2, 3)(mc.zeros(2, 4, 4, 5), output_size=(8,)),
        ValueError,
        r"ConvTranspose2d: output_size must be \(H_out, W_out\) or the whole output shape \(4 numbers\) "
        r"for x of shape \(2, 4, 4, 5\), got \(8,\)",
    ),
    "module_output_size_int": (
        lambda: nn.ConvTranspose2d(4, 2, 3)(mc.zeros(4, 4, 5), output_size=7),
        ValueError,
        r"ConvTranspose2d: output_size must be \(H_out, W_out\) or the whole output shape \(3 numbers\) "
        r"for x of shape \(4, 4, 5\), got 7",
    ),
    "no_channels_in": (  # PyTorch 2.13 refuses both
        lambda: F.conv_transpose2d(mc.zeros(2, 0, 4, 4), mc.zeros(0, 3, 3, 3), mc.ones(3)),
        ValueError,
        r"^conv_transpose2d: expected at least one channel in and one out, got 0 in and 3 out; "
        r"x \(2, 0, 4, 4\), weight \(0, 3, 3, 3\)$",
    ),
    "no_channels_out": (
        lambda: F.conv_transpose2d(mc.zeros(2, 4, 4, 4), mc.zeros(4, 0, 3, 3), groups=2),
        ValueError,
        r"^conv_transpose2d: expected at least one channel in and one out, got 4 in and 0 out",
    ),
    "module_output_size_2d_input": (
        lambda: nn.ConvTranspose2d(4, 2, 3)(mc.zeros(4, 5), output_size=(6, 7)),
        ValueError,
        r"ConvTranspose2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(4, 5\)",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input(name):
    call, err, pattern = ERRORS[name]
    with pytest.raises(err, match=pattern):
        call()
