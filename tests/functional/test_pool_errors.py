"""The pools refuse bad input in one line, naming the function and what it expected."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def _x(*shape, dtype=np.float64):
    return mc.Tensor(np.ones(shape, dtype=dtype))


def _i(*shape, dtype=np.int64, fill=0):
    return mc.Tensor(np.full(shape, fill, dtype=dtype))


# name: (call, error type, message pattern)
ERRORS = {
    "max_2d": (
        lambda: F.max_pool2d(_x(5, 5), 2),
        ValueError,
        r"max_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "avg_5d": (
        lambda: F.avg_pool2d(_x(1, 1, 3, 5, 5), 2),
        ValueError,
        r"avg_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(1, 1, 3, 5, 5\)",
    ),
    "adaptive_2d": (
        lambda: F.adaptive_avg_pool2d(_x(5, 5), 2),
        ValueError,
        r"adaptive_avg_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "window_too_large": (
        lambda: F.max_pool2d(_x(1, 1, 6, 3), 4),
        ValueError,
        r"max_pool2d: the 4-wide window is larger than the padded input width "
        r"3 \+ 2\*0 = 3: output width floor\(\(3 \+ 2\*0 - 1\*\(4-1\) - 1\) / 4\) \+ 1 = 0",
    ),
    "stride_zero": (
        lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, 0),
        ValueError,
        r"avg_pool2d: stride must be positive, got \(0, 0\)",
    ),
    "kernel_zero": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 0),
        ValueError,
        r"max_pool2d: kernel_size must be positive",
    ),
    "padding_negative": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, padding=-1),
        ValueError,
        r"max_pool2d: padding must be non-negative, got \(-1, -1\)",
    ),
    "padding_over_half": (
        lambda: F.max_pool2d(_x(1, 1, 6, 6), 3, padding=2),
        ValueError,
        r"max_pool2d: padding should be at most half of kernel_size",
    ),
    "max_dilation_zero": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, 2, 0, 0),
        ValueError,
        r"max_pool2d: dilation must be at least 1, got \(0, 0\)$",
    ),
    "adaptive_max_2d": (
        lambda: F.adaptive_max_pool2d(_x(5, 5), 2),
        ValueError,
        r"adaptive_max_pool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)",
    ),
    "adaptive_max_negative": (
        lambda: F.adaptive_max_pool2d(_x(1, 1, 4, 4), (2, -1)),
        ValueError,
        r"adaptive_max_pool2d: output_size must be non-negative, got \(2, -1\)$",
    ),
    "adaptive_max_integer_input": (
        lambda: F.adaptive_max_pool2d(_x(1, 1, 4, 4, dtype=np.int32), 2),
        TypeError,
        r"adaptive_max_pool2d: x must be a floating-point tensor, got dtype int32",
    ),
    "unpool_2d": (
        lambda: F.max_unpool2d(_x(2, 2), _i(2, 2), 2),
        ValueError,
        r"max_unpool2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(2, 2\)",
    ),
    "unpool_indices_int32": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2, dtype=np.int32), 2),
        TypeError,
        r"max_unpool2d: indices must be an int64 tensor \(as max_pool2d gives\), got int32$",
    ),
    "unpool_indices_float": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _x(1, 1, 2, 2), 2),
        TypeError,
        r"max_unpool2d: indices must be an int64 tensor \(as max_pool2d gives\), got float64$",
    ),
    "unpool_indices_array": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), np.zeros((1, 1, 2, 2), dtype=np.int64), 2),
        TypeError,
        r"max_unpool2d: indices must be a minicnn Tensor, got numpy.ndarray",
    ),
    "unpool_indices_shape": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 1), 2),
        ValueError,
        r"max_unpool2d: indices must have x's shape \(1, 1, 2, 2\), got \(1, 1, 2, 1\)$",
    ),
    "unpool_index_too_large": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2, fill=16), 2),
        IndexError,
        r"max_unpool2d: index 16 is outside the 4 x 4 output plane \(0 to 15\)$",
    ),
    "unpool_index_negative": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2, fill=-1), 2, output_size=(5, 3)),
        IndexError,
        r"max_unpool2d: index -1 is outside the 5 x 3 output plane \(0 to 14\)$",
    ),
    "unpool_output_size_too_large": (
        lambda: F.max_unpool2d(_x(1, 1, 4, 4), _i(1, 1, 4, 4), 2, output_size=(10, 8)),
        ValueError,
        r"max_unpool2d: output_size \(10, 8\) disagrees with the pooled height 4: "
        r"\(4 - 1\)\*2 - 2\*0 \+ 2 = 8, so height must be between 6 and 10 \(exclusive\), got 10$",
    ),
    "unpool_output_size_width": (
        lambda: F.max_unpool2d(_x(1, 1, 3, 3), _i(1, 1, 3, 3), 3, 2, 1, output_size=(1, 1, 5, 2)),
        ValueError,
        r"max_unpool2d: output_size \(1, 1, 5, 2\) disagrees with the pooled width 3: "
        r"\(3 - 1\)\*2 - 2\*1 \+ 3 = 5, so width must be between 3 and 7 \(exclusive\), got 2$",
    ),
    "unpool_output_size_length": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2), 2, output_size=(1, 4, 4)),
        ValueError,
        r"max_unpool2d: output_size must be \(OH, OW\) or \(N, C, OH, OW\), got \(1, 4, 4\)$",
    ),
    "unpool_less_than_nothing": (
        lambda: F.max_unpool2d(_x(1, 1, 1, 1), _i(1, 1, 1, 1), 1, 1, 1),
        ValueError,
        r"max_unpool2d: the unpooled size \(H - 1\)\*stride - 2\*padding \+ kernel_size of x "
        r"\(1, 1, 1, 1\) is \(-1, -1\); it must not be negative$",
    ),
    "unpool_stride_zero": (
        lambda: F.max_unpool2d(_x(1, 1, 2, 2), _i(1, 1, 2, 2), 2, 0),
        ValueError,
        r"max_unpool2d: kernel_size and stride must be positive and padding non-negative, got "
        r"kernel_size \(2, 2\), stride \(0, 0\), padding \(0, 0\)$",
    ),
    "module_unpool_padding": (
        lambda: nn.MaxUnpool2d(2, padding=-1),
        ValueError,
        r"MaxUnpool2d: kernel_size and stride must be positive and padding non-negative, got "
        r"kernel_size \(2, 2\), stride \(2, 2\), padding \(-1, -1\)$",
    ),
    "module_unpool_names_itself": (
        lambda: nn.Sequential(nn.Identity(), nn.MaxUnpool2d(2))[1](_x(1, 1, 2, 2), _i(1, 1, 2, 2, fill=16)),
        IndexError,
        r"MaxUnpool2d at '1': index 16 is outside the 4 x 4 output plane",
    ),
    "module_adaptive_max_output_size": (
        lambda: nn.AdaptiveMaxPool2d((2, 2, 2)),
        TypeError,
        r"AdaptiveMaxPool2d: output_size must be an int or a pair of ints, got \(2, 2, 2\)",
    ),
    "integer_input": (
        lambda: F.max_pool2d(_x(1, 1, 4, 4, dtype=np.int64), 2),
        TypeError,
        r"max_pool2d: x must be a floating-point tensor, got dtype int64",
    ),
    "adaptive_negative": (
        lambda: F.adaptive_avg_pool2d(_x(1, 1, 4, 4), (-1, 2)),
        ValueError,
        r"adaptive_avg_pool2d: output_size must be non-negative, got \(-1, 2\)$",
    ),
    "module_stride": (lambda: nn.MaxPool2d(2, stride=0), ValueError, r"MaxPool2d: stride must be positive"),
    "module_padding": (
        lambda: nn.AvgPool2d(2, padding=-1),
        ValueError,
        r"AvgPool2d: padding must be non-negative",
    ),
    "module_padding_half": (
        lambda: nn.MaxPool2d(2, padding=2),
        ValueError,
        r"MaxPool2d: padding should be at most half",
    ),
    "module_dilation_negative": (
        lambda: nn.MaxPool2d(2, dilation=(1, -1)),
        ValueError,
        r"MaxPool2d: dilation must be at least 1, got \(1, -1\)$",
    ),
    "divisor_override": (
        lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=3),
        ValueError,
        r"avg_pool2d: divisor_override=3 is not supported; each window is divided by its count",
    ),
    "module_divisor_override": (
        lambda: nn.AvgPool2d(2, divisor_override=3),
        ValueError,
        r"AvgPool2d: divisor_override=3 is not supported; only None",
    ),
    "module_output_size": (
        lambda: nn.AdaptiveAvgPool2d(-1),
        ValueError,
        r"AdaptiveAvgPool2d: output_size must be non-negative, got -1$",
    ),
    "module_names_itself": (
        lambda: nn.Sequential(nn.Identity(), nn.MaxPool2d(5))(_x(1, 1, 4, 4)),
        ValueError,
        r"MaxPool2d at '1': the 5-wide window is larger",
    ),
    "module_integer_input": (
        lambda: nn.AvgPool2d(2)(_x(1, 1, 4, 4, dtype=np.int32)),
        TypeError,
        r"AvgPool2d: .*int32",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input(name):
    call, err, pattern = ERRORS[name]
    with pytest.raises(err, match=pattern):
        call()


# (the call with the flag given as v, its name in the message, the flag's name)
FLAG_CALLS = [
    (lambda v: F.max_pool2d(_x(1, 1, 5, 5), 2, ceil_mode=v), "max_pool2d", "ceil_mode"),
    (
        lambda v: F.max_pool2d_with_indices(_x(1, 1, 5, 5), 2, ceil_mode=v),
        "max_pool2d_with_indices",
        "ceil_mode",
    ),
    (lambda v: F.avg_pool2d(_x(1, 1, 5, 5), 2, ceil_mode=v), "avg_pool2d", "ceil_mode"),
    (
        lambda v: F.avg_pool2d(_x(1, 1, 5, 5), 2, padding=1, count_include_pad=v),
        "avg_pool2d",
        "count_include_pad",
    ),
    (lambda v: F.max_pool1d(_x(1, 2, 5), 2, ceil_mode=v), "max_pool1d", "ceil_mode"),
    (lambda v: F.avg_pool1d(_x(1, 2, 5), 2, ceil_mode=v), "avg_pool1d", "ceil_mode"),
    (lambda v: F.avg_pool1d(_x(1, 2, 5), 2, 1, 1, count_include_pad=v), "avg_pool1d", "count_include_pad"),
    (lambda v: F.lp_pool2d(_x(1, 1, 5, 5), 2, 2, ceil_mode=v), "lp_pool2d", "ceil_mode"),
    (lambda v: F.lp_pool1d(_x(1, 2, 5), 2, 2, ceil_mode=v), "lp_pool1d", "ceil_mode"),
    (lambda v: nn.MaxPool2d(2, ceil_mode=v), "MaxPool2d", "ceil_mode"),
    (lambda v: nn.AvgPool2d(2, ceil_mode=v), "AvgPool2d", "ceil_mode"),
    (lambda v: nn.AvgPool2d(2, count_include_pad=v), "AvgPool2d", "count_include_pad"),
    (lambda v: nn.MaxPool1d(2, ceil_mode=v), "MaxPool1d", "ceil_mode"),
    (lambda v: nn.AvgPool1d(2, ceil_mode=v), "AvgPool1d", "ceil_mode"),
    (lambda v: nn.AvgPool1d(2, count_include_pad=v), "AvgPool1d", "count_include_pad"),
    (lambda v: nn.LPPool2d(2, 2, ceil_mode=v), "LPPool2d", "ceil_mode"),
    (lambda v: nn.LPPool1d(2, 2, ceil_mode=v), "LPPool1d", "ceil_mode"),
]


@pytest.mark.parametrize("call, name, flag", FLAG_CALLS)
@pytest.mark.parametrize(
    "value, shown",
    [(1, "int 1"), (0, "int 0"), ("yes", "str 'yes'"), (None, "NoneType None"), (np.True_, "numpy")],
)
def test_a_pool_flag_that_is_no_bool_is_refused_as_pytorch_refuses_it(call, name, flag, value, shown):
    """PyTorch: "argument 'ceil_mode' must be bool, not int" (np.True_ too); 'yes' was read as True."""
    with pytest.raises(TypeError, match=rf"^{name}: {flag} must be a bool \(True or False\), got {shown}"):
        call(value)


@pytest.mark.parametrize("call, name, flag", FLAG_CALLS)
def test_a_pool_flag_of_true_or_false_is_taken(call, name, flag):
    call(True)
    call(False)
