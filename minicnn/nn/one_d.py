"""The 1-D layers: Conv1d, ConvTranspose1d, MaxPool1d, AvgPool1d, AdaptiveAvgPool1d,
AdaptiveMaxPool1d and MaxUnpool1d, thin Modules over ``F``'s 1-D ops, which are the 2-D ops on a signal
(N, C, L) viewed as images (N, C, 1, L) (functional/one_d.py). Arguments, defaults, stored
attributes, reprs and state_dict keys as PyTorch's."""

from .. import functional as F
from ..functional.checks import (
    check_conv_args,
    check_conv_transpose_args,
    check_flag,
    check_max_pool_args,
    check_output_size,
    check_pool_args,
)
from ..functional.unpool import unpool_args
from .conv import _ConvNd, _ConvTransposeNd, _padding_mode
from .module import Module


class Conv1d(_ConvNd):
    """1-D convolution with a learned weight (out_channels, in_channels/groups, kL) and bias:
    ``F.conv1d``, a Conv2d with a (1, kL) kernel on x (N, C, 1, L).

    Shapes: x (N, in_channels, L), or (in_channels, L) -> y (N, out_channels, L_out),
    L_out = floor((L + 2*padding - dilation*(kL - 1) - 1) / stride) + 1.
    Init (PyTorch's): W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels/groups * kL.
    kernel_size, stride, padding and dilation are kept as 1-tuples (padding may be "same" or
    "valid"), as PyTorch's. ``padding_mode`` as Conv2d's, along L: at a position j outside
    [0, L), "zeros" reads 0, "reflect" x[|j|] or x[2(L-1) - j] (padding < L), "replicate"
    x[clip(j, 0, L-1)], "circular" x[j mod L] (padding <= L); F.pad in that mode, then padding 0.

    >>> from minicnn import nn
    >>> nn.Conv1d(3, 8, 5, padding=2)
    Conv1d(3, 8, kernel_size=(5,), stride=(1,), padding=(2,))
    >>> nn.Conv1d(3, 8, 4, padding="same", padding_mode="circular")
    Conv1d(3, 8, kernel_size=(4,), stride=(1,), padding=same, padding_mode=circular)
    """

    _dims = 1

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        padding_mode = _padding_mode(name, padding_mode)
        self.stride, self.padding, self.dilation = check_conv_args(name, stride, padding, dilation, groups, 1)
        self.output_padding = (0,)  # PyTorch's _ConvNd keeps it for every convolution
        self._setup(in_channels, out_channels, kernel_size, groups, bias, dtype, False, padding_mode)
        if device is not None:
            self.to(device)

    def forward(self, x):
        return self._conv_forward(x, F.conv1d)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: the input gradient of a Conv1d(out_channels, in_channels, ...)
    of the same stride, padding, dilation and groups, as a layer (``F.conv_transpose1d``).

    Weight (in_channels, out_channels/groups, kL), as PyTorch's. Shapes: x (N, in_channels, L)
    -> y (N, out_channels, L_out), L_out = (L - 1)*stride - 2*padding + dilation*(kL - 1) +
    output_padding + 1; ``forward(x, output_size)`` picks output_padding to give that L_out
    ((L_out,) or the whole output shape), as PyTorch's. Init: as ConvTranspose2d's, fan_in =
    out_channels/groups * kL. ``padding_mode`` takes only "zeros", as PyTorch's.
    """

    _dims = 1

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        padding_mode = _padding_mode(name, padding_mode, transposed=True)
        self.stride, self.padding, self.output_padding, self.dilation = check_conv_transpose_args(
            name, stride, padding, output_padding, dilation, groups, 1
        )
        self._setup(in_channels, out_channels, kernel_size, groups, bias, dtype, True, padding_mode)
        if device is not None:
            self.to(device)

    def forward(self, x, output_size=None):
        output_padding = self.output_padding if output_size is None else self._output_padding(x, output_size)
        return F.conv_transpose1d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
            name=self._label(),
        )


class MaxPool1d(Module):
    """Max over each window of a signal (``F.max_pool1d``): (N, C, L) -> (N, C, L_out),
    L_out = floor((L + 2*padding - dilation*(k - 1) - 1) / stride) + 1 (ceil with ceil_mode).
    With ``return_indices=True`` it returns (y, indices), each index a position in L.
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        check_max_pool_args(type(self).__name__, kernel_size, stride, padding, dilation, 1)
        check_flag(type(self).__name__, "ceil_mode", ceil_mode)
        # NOTE: kept as given (an int stays an int), as PyTorch keeps and prints them
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return F.max_pool1d(
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


class AvgPool1d(Module):
    """Mean over each window of a signal (``F.avg_pool1d``): (N, C, L) -> (N, C, L_out),
    L_out = floor((L + 2*padding - k) / stride) + 1 (ceil with ceil_mode). kernel_size, stride
    and padding are kept as 1-tuples, as PyTorch's.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        args = check_pool_args(type(self).__name__, kernel_size, stride, padding, 1)
        check_flag(type(self).__name__, "ceil_mode", ceil_mode)
        check_flag(type(self).__name__, "count_include_pad", count_include_pad)
        self.kernel_size, self.stride, self.padding = args
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return F.avg_pool1d(
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


class AdaptiveAvgPool1d(Module):
    """Average pooling to a fixed output length (``F.adaptive_avg_pool1d``): (N, C, L) -> (N, C, OL);
    window i spans [floor(iL/OL), ceil((i+1)L/OL)). ``AdaptiveAvgPool1d(1)`` is the global mean."""

    def __init__(self, output_size):
        super().__init__()
        check_output_size(type(self).__name__, output_size, 1)
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool1d(x, self.output_size, name=self._label())

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Max pooling to a fixed output length (``F.adaptive_max_pool1d``), AdaptiveAvgPool1d's
    windows; with ``return_indices`` it returns (y, indices)."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        check_output_size(type(self).__name__, output_size, 1)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        return F.adaptive_max_pool1d(x, self.output_size, self.return_indices, name=self._label())

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxUnpool1d(Module):
    """Each value written back where MaxPool1d(return_indices=True) found it, zeros elsewhere
    (``F.max_unpool1d``). ``forward(x, indices, output_size=None)``. Shapes: (N, C, L) or
    (C, L) -> (N, C, L_out), L_out = (L - 1)*stride - 2*padding + kernel_size, or output_size
    (the pooled input's length). kernel_size, stride and padding are kept as 1-tuples, as
    PyTorch's.

    >>> from minicnn import nn
    >>> nn.MaxUnpool1d(2)
    MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        args = unpool_args(type(self).__name__, kernel_size, stride, padding, dims=1)
        self.kernel_size, self.stride, self.padding = args

    def forward(self, x, indices, output_size=None):
        return F.max_unpool1d(
            x, indices, self.kernel_size, self.stride, self.padding, output_size, name=self._label()
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
