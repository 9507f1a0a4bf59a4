"""Conv2d: the convolutional layer, a thin Module over ``F.conv2d``."""

import numpy as np

from .. import functional as F
from ..functional.checks import check_conv_args, pair, positive_int
from . import init
from .module import Module
from .parameter import Parameter


class Conv2d(Module):
    """2-D convolution with a learned weight (out_channels, in_channels/groups, kH, kW) and bias.

    Shapes: x (N, in_channels, H, W) -> y (N, out_channels, H_out, W_out),
    H_out = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1, same for W_out.
    Init (PyTorch's): W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels/groups * kH * kW.
    Arguments in PyTorch's order; ``padding_mode`` takes only its default, "zeros".
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
        if padding_mode != "zeros":
            raise ValueError(
                f"{name}: padding_mode {padding_mode!r} is not supported; only 'zeros' "
                "(PyTorch's default), the padding every net of the course uses"
            )
        self.in_channels = positive_int(name, "in_channels", in_channels)
        self.out_channels = positive_int(name, "out_channels", out_channels)
        self.kernel_size = pair(kernel_size, f"{name}: kernel_size")
        if min(self.kernel_size) < 1:
            raise ValueError(f"{name}: kernel_size must be positive, got {self.kernel_size}")
        self.stride, self.padding, self.dilation = check_conv_args(name, stride, padding, dilation, groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: groups={groups} must divide both in_channels ({in_channels}) "
                f"and out_channels ({out_channels})"
            )
        self.groups = groups
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        shape = (self.out_channels, self.in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        init.default_(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            name=self._label(),
        )

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
