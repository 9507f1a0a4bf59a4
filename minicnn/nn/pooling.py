"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d and MaxUnpool2d,
thin Modules over ``F``."""

from .. import functional as F
from ..functional.checks import check_flag, check_max_pool_args, check_output_size, check_pool_args
from ..functional.unpool import unpool_args
from .module import Module


class MaxPool2d(Module):
    """Max over each window (AlexNet's overlapping pooling: ``MaxPool2d(3, stride=2)``).

    Shapes: (N, C, H, W) -> (N, C, H_out, W_out),
    H_out = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1 (ceil with ceil_mode).
    ``dilation`` spaces the window's taps d cells apart, as in PyTorch (``F.max_pool2d``).
    With ``return_indices=True`` the layer returns (y, indices), the indices that
    ``MaxUnpool2d`` takes.
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        name = type(self).__name__
        check_max_pool_args(name, kernel_size, stride, padding, dilation)
        check_flag(name, "ceil_mode", ceil_mode)
        # NOTE: kept as given (an int stays an int), as PyTorch keeps and prints them
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return F.max_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
            name=self._label(),
        )

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """Mean over each window (LeNet-5's subsampling, without its trainable scale).

    Shapes: as MaxPool2d. ``count_include_pad`` chooses whether padded zeros count
    in each window's divisor.
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        name = type(self).__name__
        if divisor_override is not None:
            raise ValueError(f"{name}: divisor_override={divisor_override!r} is not supported; only None")
        check_pool_args(name, kernel_size, stride, padding)
        check_flag(name, "ceil_mode", ceil_mode)
        check_flag(name, "count_include_pad", count_include_pad)
        # NOTE: kept as given (an int stays an int), as PyTorch keeps and prints them
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return F.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            name=self._label(),
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size; ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Shapes: (N, C, H, W) -> (N, C, OH, OW); window i along H spans [floor(iH/OH), ceil((i+1)H/OH)).
    """

    def __init__(self, output_size):
        super().__init__()
        check_output_size(type(self).__name__, output_size)
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size, name=self._label())

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size, AdaptiveAvgPool2d's windows; with ``return_indices``
    it returns (y, indices).

    Shapes: (N, C, H, W) -> (N, C, OH, OW); window i along H spans [floor(iH/OH), ceil((i+1)H/OH)).
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        check_output_size(type(self).__name__, output_size)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices, name=self._label())

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """Each value written back where MaxPool2d(return_indices=True) found it, zeros elsewhere.

    ``forward(x, indices, output_size=None)``. Shapes: (N, C, H, W) -> (N, C, OH, OW),
    OH = (H - 1)*stride - 2*padding + kH, or output_size (the pooled input's size).
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        # NOTE: kept as pairs, as PyTorch keeps and prints them
        self.kernel_size, self.stride, self.padding = unpool_args(
            type(self).__name__, kernel_size, stride, padding
        )

    def forward(self, x, indices, output_size=None):
        return F.max_unpool2d(
            x, indices, self.kernel_size, self.stride, self.padding, output_size, name=self._label()
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
