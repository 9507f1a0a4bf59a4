"""Conv2d and ConvTranspose2d: the convolutional layers, thin Modules over ``F.conv2d`` and
``F.conv_transpose2d``; their 1-D twins (one_d.py) share the bases here. A padding_mode other
than "zeros" composes ``F.pad`` and the convolution (no kernel of its own)."""

import numpy as np

from .. import functional as F
from ..functional.checks import (
    AXES,
    LAYOUTS,
    check_conv_args,
    check_conv_transpose_args,
    check_float,
    ints,
    positive_int,
)
from ..functional.conv import _check_conv_inputs
from ..kernels.sizes import transposed_out_size
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter

# PyTorch's padding modes for a convolution's border; its transposed layers take "zeros" alone
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _padding_mode(name, padding_mode, transposed=False):
    """``padding_mode`` checked as PyTorch's ``_ConvNd`` checks it: one of _PADDING_MODES, or
    "zeros" for a transposed layer."""
    known = isinstance(padding_mode, str) and padding_mode in _PADDING_MODES
    if transposed and not (known and padding_mode == "zeros"):
        raise ValueError(
            f'{name}: only "zeros" padding mode is supported, as in PyTorch, '
            f"got padding_mode={padding_mode!r}"
        )
    if not known:
        raise ValueError(
            f"{name}: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', "
            f"but got padding_mode={padding_mode!r}"
        )
    return padding_mode


class _ConvNd(Module):
    """What the convolutional layers share, as PyTorch's ``_ConvNd``: the channel and kernel
    checks, the weight and bias (PyTorch's init over the weight's own fan-in), the padding
    mode, and the repr. ``_dims``: the spatial dims, 2 (kernel_size a pair) or 1 (a 1-tuple,
    the 1-D layers)."""

    _dims = 2

    def _setup(self, in_channels, out_channels, kernel_size, groups, bias, dtype, transposed, padding_mode):
        name = type(self).__name__
        self.in_channels = positive_int(name, "in_channels", in_channels)
        self.out_channels = positive_int(name, "out_channels", out_channels)
        self.kernel_size = ints(kernel_size, self._dims, f"{name}: kernel_size")
        if min(self.kernel_size) < 1:
            raise ValueError(f"{name}: kernel_size must be positive, got {self.kernel_size}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: groups={groups} must divide both in_channels ({in_channels}) "
                f"and out_channels ({out_channels})"
            )
        self.groups, self.padding_mode = groups, padding_mode
        # F.pad's amounts for a padding_mode other than "zeros", as PyTorch names them:
        # (before, after) per spatial dim, the last dim's first
        self._reversed_padding_repeated_twice = [n for pair in reversed(self._sides()) for n in pair]
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        # (out, in/groups) for a convolution; a transposed one keeps the layout of the
        # convolution whose input gradient it is, which maps its out channels to its in
        rows, cols = (
            (self.in_channels, self.out_channels) if transposed else (self.out_channels, self.in_channels)
        )
        self.weight = Parameter(np.empty((rows, cols // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _sides(self):
        """(before, after) per spatial dim: padding p on both sides; "valid" none; "same" the
        d*(k - 1) cells that keep the size, half before, the odd one after, as PyTorch."""
        if self.padding == "valid":
            return [(0, 0)] * self._dims
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            return [(t // 2, t - t // 2) for t in totals]
        return [(p, p) for p in self.padding]

    def reset_parameters(self):
        init.default_(self.weight, self.bias)

    def _conv_forward(self, x, conv):
        """``conv`` (F.conv2d or F.conv1d) of x with the layer's weights. A padding_mode other
        than "zeros" pads x with ``F.pad`` in that mode first and convolves with padding 0,
        as PyTorch's layers do."""
        name = self._label()
        w, b, s, d, g = self.weight, self.bias, self.stride, self.dilation, self.groups
        if self.padding_mode == "zeros":
            return conv(x, w, b, s, self.padding, d, g, name=name)
        return conv(self._padded(x, name), w, b, s, 0, d, g, name=name)

    def _padded(self, x, name):
        """x padded by padding_mode, after the checks the convolution would make of x, and
        PyTorch's limits: reflect pads each side by less than the size (the edge is not
        repeated), circular by at most the size (it wraps round once)."""
        dims, mode, sides = self._dims, self.padding_mode, self._sides()
        one = isinstance(x, Tensor) and x.ndim == dims + 1  # an unbatched input
        batch = x.unsqueeze(0) if one else x
        wide = tuple(max(pair) for pair in sides)  # the larger side, for the kernel's fit
        _check_conv_inputs(name, batch, self.weight, self.bias, self.stride, wide, self.dilation, self.groups)
        for axis, n, pair in zip(AXES[dims], x.shape[-dims:], sides):
            if (mode == "reflect" and max(pair) >= n) or (mode == "circular" and max(pair) > n):
                limit = "below" if mode == "reflect" else "of at most"
                raise ValueError(
                    f"{name}: padding_mode {mode!r} needs padding {limit} the input's size, got "
                    f"padding {pair} along the {axis} of {n}; x {x.shape}"
                )
        return F.pad(x, self._reversed_padding_repeated_twice, mode=mode, name=name)

    def extra_repr(self):
        zeros, ones = (0,) * self._dims, (1,) * self._dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != zeros:
            s += f", padding={self.padding}"
        if self.dilation != ones:
            s += f", dilation={self.dilation}"
        if self.output_padding != zeros:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution with a learned weight (out_channels, in_channels/groups, kH, kW) and bias.

    Shapes: x (N, in_channels, H, W) -> y (N, out_channels, H_out, W_out),
    H_out = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1, same for W_out.
    Init (PyTorch's): W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels/groups * kH * kW.
    Arguments in PyTorch's order. ``padding_mode``, PyTorch's, is what the padded border reads,
    at a position j of an axis of size n outside [0, n): "zeros" 0; "reflect" x[|j|] before
    and x[2(n-1) - j] after, the edge not repeated (padding < n); "replicate" x[clip(j, 0, n-1)];
    "circular" x[j mod n] (padding <= n). A mode other than "zeros" pads x with ``F.pad`` and
    convolves with padding 0, as PyTorch: padding="same" pads d*(k - 1) cells, the odd one after.

    >>> from minicnn import nn
    >>> nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect")
    Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)
    """

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
        self.stride, self.padding, self.dilation = check_conv_args(name, stride, padding, dilation, groups)
        self.output_padding = (0, 0)  # PyTorch's _ConvNd keeps it for every convolution
        self._setup(in_channels, out_channels, kernel_size, groups, bias, dtype, False, padding_mode)
        if device is not None:
            self.to(device)

    def forward(self, x):
        return self._conv_forward(x, F.conv2d)


class _ConvTransposeNd(_ConvNd):
    """What the transposed layers add: ``forward(x, output_size)``'s output_padding, and their MACs."""

    def _output_padding(self, x, output_size):
        """PyTorch's choice: output_size (H_out, W_out) ((L_out,) for a 1-D layer), or the whole
        output shape, minus the smallest output each axis can have; an output_size outside the
        stride's range is an error."""
        name, dims = self._label(), self._dims
        check_float(name, "x", x)
        if x.ndim not in (dims + 1, dims + 2):
            batched, one = LAYOUTS[dims]
            raise ValueError(f"{name}: expected x of shape {batched} or {one}, got shape {x.shape}")
        size = tuple(output_size) if isinstance(output_size, (tuple, list)) else ()
        if len(size) == x.ndim:
            size = size[-dims:]
        if len(size) != dims or not all(isinstance(n, (int, np.integer)) for n in size):
            wanted = "(H_out, W_out)" if dims == 2 else "(L_out,)"
            raise ValueError(
                f"{name}: output_size must be {wanted} or the whole output shape ({x.ndim} "
                f"numbers) for x of shape {x.shape}, got {output_size!r}"
            )
        geometry = zip(x.shape[-dims:], self.kernel_size, self.stride, self.padding, self.dilation)
        smallest = tuple(transposed_out_size(n, k, s, p, d) for n, k, s, p, d in geometry)
        largest = tuple(n + s - 1 for n, s in zip(smallest, self.stride))
        if not all(lo <= n <= hi for n, lo, hi in zip(size, smallest, largest)):
            raise ValueError(
                f"{name}: requested an output size of {tuple(int(n) for n in size)}, but valid sizes "
                f"range from {smallest} to {largest} (for an input of {tuple(x.shape[-dims:])})"
            )
        return tuple(int(n) - lo for n, lo in zip(size, smallest))

    def macs(self, x_shape, y_shape):
        """Multiply-adds: each input element scatters one kernel, out_channels/groups * kH * kW taps."""
        return int(np.prod(x_shape)) * int(np.prod(self.weight.shape[1:]))


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: the input gradient of a Conv2d(out_channels, in_channels, ...)
    of the same stride, padding, dilation and groups, as a layer (``F.conv_transpose2d``).

    Weight (in_channels, out_channels/groups, kH, kW), the convolution's layout with its
    in and out swapped, as PyTorch's. Shapes: x (N, in_channels, H, W) -> y (N, out_channels,
    H_out, W_out), H_out = (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1,
    same for W_out. ``forward(x, output_size)`` picks output_padding to give that (H_out, W_out)
    instead, as PyTorch's: one of the stride's sizes from output_padding 0 up to stride - 1.
    Init (PyTorch's): as Conv2d's over the weight's own fan-in, weight.shape[1] * kH * kW =
    out_channels/groups * kH * kW, for W and b alike.
    Arguments in PyTorch's order; ``padding_mode`` takes only "zeros", as PyTorch's.
    """

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
            name, stride, padding, output_padding, dilation, groups
        )
        self._setup(in_channels, out_channels, kernel_size, groups, bias, dtype, True, padding_mode)
        if device is not None:
            self.to(device)

    def forward(self, x, output_size=None):
        output_padding = self.output_padding if output_size is None else self._output_padding(x, output_size)
        return F.conv_transpose2d(
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
