"""The 1-D ops and lp pools refuse bad input in one line, in their own words (shapes (N, C, L), the
signal's "length"), naming the function or layer and what it expected, before any kernel runs."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import kernels


def _x(*shape, dtype=np.float64):
    return mc.Tensor(np.ones(shape, dtype=dtype))


RANK = r"expected x of shape \(N, C, L\) or \(C, L\), got shape "

# name: (call, error type, message pattern)
ERRORS = {
    "conv1d_4d": (
        lambda: F.conv1d(_x(2, 3, 4, 5), _x(4, 3, 3)),
        ValueError,
        r"^conv1d: " + RANK + r"\(2, 3, 4, 5\)$",
    ),
    "conv1d_1d": (lambda: F.conv1d(_x(5), _x(4, 3, 3)), ValueError, r"^conv1d: " + RANK + r"\(5,\)$"),
    "conv1d_weight_4d": (
        lambda: F.conv1d(_x(2, 3, 8), _x(4, 3, 1, 3)),
        ValueError,
        r"^conv1d: expected weight of shape \(out_channels, in_channels/groups, kL\), "
        r"got shape \(4, 3, 1, 3\)$",
    ),
    "conv1d_channels": (
        lambda: F.conv1d(_x(2, 3, 8), _x(4, 2, 3)),
        ValueError,
        r"^conv1d: x has 3 channel\(s\) but weight expects 2 .*; x \(2, 3, 8\), weight \(4, 2, 3\)$",
    ),
    "conv1d_kernel_too_long": (
        lambda: F.conv1d(_x(2, 3, 3), _x(4, 3, 5)),
        ValueError,
        r"^conv1d: the 5-tap kernel \(dilation 1, spanning 5\) is larger than the padded input length "
        r"3 \+ 2\*0 = 3: output length",
    ),
    "conv1d_stride_pair": (
        lambda: F.conv1d(_x(2, 3, 8), _x(4, 3, 3), stride=(1, 2)),
        TypeError,
        r"^conv1d: stride must be an int or a tuple of one int, got \(1, 2\)$",
    ),
    "conv1d_same_strided": (
        lambda: F.conv1d(_x(2, 3, 8), _x(4, 3, 3), stride=2, padding="same"),
        ValueError,
        r"^conv1d: padding='same' keeps the input's size, which a stride cannot; got stride \(2,\)$",
    ),
    "conv1d_bias": (
        lambda: F.conv1d(_x(2, 3, 8), _x(4, 3, 3), _x(3)),
        ValueError,
        r"^conv1d: bias must have shape \(4,\) for weight \(4, 3, 3\), got \(3,\)$",
    ),
    "conv1d_integer": (
        lambda: F.conv1d(_x(2, 3, 8, dtype=np.int64), _x(4, 3, 3)),
        TypeError,
        r"^conv1d: x must be a floating-point tensor, got dtype int64$",
    ),
    "conv_transpose1d_4d": (
        lambda: F.conv_transpose1d(_x(2, 3, 4, 5), _x(3, 4, 3)),
        ValueError,
        r"^conv_transpose1d: " + RANK + r"\(2, 3, 4, 5\)$",
    ),
    "conv_transpose1d_weight": (
        lambda: F.conv_transpose1d(_x(2, 3, 5), _x(3, 4)),
        ValueError,
        r"^conv_transpose1d: expected weight of shape \(in_channels, out_channels/groups, kL\), "
        r"got shape \(3, 4\)$",
    ),
    "conv_transpose1d_crop": (
        lambda: F.conv_transpose1d(_x(2, 3, 1), _x(3, 4, 1), padding=1),
        ValueError,
        r"^conv_transpose1d: the padding 1 crops more than the output length has",
    ),
    "conv_transpose1d_output_padding": (
        lambda: F.conv_transpose1d(_x(2, 3, 5), _x(3, 4, 3), stride=2, output_padding=2),
        ValueError,
        r"^conv_transpose1d: output_padding must be non-negative and smaller than either stride or "
        r"dilation, got output_padding \(2,\), stride \(2,\), dilation \(1,\)$",
    ),
    "max_pool1d_4d": (lambda: F.max_pool1d(_x(2, 3, 4, 5), 2), ValueError, r"^max_pool1d: " + RANK),
    "max_pool1d_window_too_long": (
        lambda: F.max_pool1d(_x(1, 2, 3), 5),
        ValueError,
        r"^max_pool1d: the 5-wide window is larger than the padded input length 3 \+ 2\*0 = 3: "
        r".*; x \(1, 2, 3\)$",
    ),
    "max_pool1d_padding_over_half": (
        lambda: F.max_pool1d(_x(1, 2, 6), 3, padding=2),
        ValueError,
        r"^max_pool1d: padding should be at most half of kernel_size, got padding \(2,\) "
        r"for kernel_size \(3,\)$",
    ),
    "max_pool1d_padding_only": (
        lambda: F.max_pool1d(_x(1, 2, 3), 2, 1, 1, 4),
        ValueError,
        r"^max_pool1d: window 0 along the length reads padding only: its taps -1, 3 \(dilation 4\)",
    ),
    "max_pool1d_kernel_pair": (
        lambda: F.max_pool1d(_x(1, 2, 6), (2, 2)),
        TypeError,
        r"^max_pool1d: kernel_size must be an int or a tuple of one int, got \(2, 2\)$",
    ),
    "max_pool1d_empty": (
        lambda: F.max_pool1d(_x(2, 3, 0), 1),
        ValueError,
        r"^max_pool1d: x of shape \(2, 3, 0\) is empty in dim 2; expected sizes of at least 1 in dims 1 to 2",
    ),
    "avg_pool1d_4d": (lambda: F.avg_pool1d(_x(2, 3, 4, 5), 2), ValueError, r"^avg_pool1d: " + RANK),
    "avg_pool1d_stride_zero": (
        lambda: F.avg_pool1d(_x(2, 3, 5), 2, 0),
        ValueError,
        r"^avg_pool1d: stride must be positive, got \(0,\)$",
    ),
    "adaptive_avg_pool1d_4d": (
        lambda: F.adaptive_avg_pool1d(_x(2, 3, 4, 5), 2),
        ValueError,
        r"^adaptive_avg_pool1d: " + RANK,
    ),
    "adaptive_avg_pool1d_none": (
        lambda: F.adaptive_avg_pool1d(_x(2, 3, 5), None),
        TypeError,
        r"^adaptive_avg_pool1d: output_size must be an int or a tuple of one int, got None$",
    ),
    "adaptive_avg_pool1d_empty": (
        lambda: F.adaptive_avg_pool1d(_x(2, 3, 0), 2),
        ValueError,
        r"^adaptive_avg_pool1d: x has an empty plane, shape \(2, 3, 0\); expected L of at least 1$",
    ),
    "adaptive_max_pool1d_4d": (
        lambda: F.adaptive_max_pool1d(_x(2, 3, 4, 5), 2),
        ValueError,
        r"^adaptive_max_pool1d: " + RANK,
    ),
    "adaptive_max_pool1d_no_channels": (
        lambda: F.adaptive_max_pool1d(_x(2, 0, 5), 2),
        ValueError,
        r"^adaptive_max_pool1d: x of shape \(2, 0, 5\) is empty in dim 1",
    ),
    "lp_pool1d_4d": (lambda: F.lp_pool1d(_x(2, 3, 4, 5), 2, 2), ValueError, r"^lp_pool1d: " + RANK),
    "lp_pool1d_norm_zero": (
        lambda: F.lp_pool1d(_x(2, 3, 5), 0, 2),
        ValueError,
        r"^lp_pool1d: norm_type must be a non-zero value, but got 0$",
    ),
    "lp_pool1d_norm_word": (
        lambda: F.lp_pool1d(_x(2, 3, 5), "2", 2),
        TypeError,
        r"^lp_pool1d: norm_type must be a real number, got '2'$",
    ),
    "lp_pool2d_2d": (
        lambda: F.lp_pool2d(_x(4, 5), 2, 2),
        ValueError,
        r"^lp_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(4, 5\)$",
    ),
    "lp_pool2d_window_too_large": (
        lambda: F.lp_pool2d(_x(1, 1, 4, 5), 2, 6),
        ValueError,
        r"^lp_pool2d: the 6-wide window is larger than the padded input height 4",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input_is_refused_in_one_line_before_any_kernel_runs(name):
    call, err, pattern = ERRORS[name]
    with kernels.trace() as ran, pytest.raises(err, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)
    assert ran == []


def test_an_integer_argument_may_be_a_1_tuple_or_a_list_of_one_as_pytorch_takes(rng, t, distinct):
    x, w = t(distinct(rng, (2, 3, 11))), t(rng.standard_normal((4, 3, 3)))
    np.testing.assert_array_equal(
        F.conv1d(x, w, None, (2,), [1], (2,)).numpy(), F.conv1d(x, w, None, 2, 1, 2).numpy()
    )
    np.testing.assert_array_equal(F.max_pool1d(x, (3,), [2], (1,)).numpy(), F.max_pool1d(x, 3, 2, 1).numpy())
    np.testing.assert_array_equal(F.lp_pool1d(x, 1, (3,), (2,)).numpy(), F.lp_pool1d(x, 1, 3, 2).numpy())
    np.testing.assert_array_equal(F.adaptive_avg_pool1d(x, [4]).numpy(), F.adaptive_avg_pool1d(x, 4).numpy())
