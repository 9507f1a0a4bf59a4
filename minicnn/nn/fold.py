"""Unfold and Fold: im2col and col2im as layers, thin Modules over ``F.unfold`` and ``F.fold``
(functional/unfold.py), as PyTorch's ``nn.Unfold`` and ``nn.Fold``."""

from .. import functional as F
from ..functional.checks import pair
from ..functional.unfold import check_fold_args
from .module import Module


class Unfold(Module):
    """Every window of the input as a column: im2col.

    Shapes: (N, C, H, W) -> (N, C*kH*kW, L), L = OH*OW window positions,
    OH = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1; one image (C, H, W)
    -> (C*kH*kW, L). A convolution is ``W.reshape(O, -1) @ Unfold(k)(x)``, reshaped.
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        check_fold_args(type(self).__name__, kernel_size, dilation, padding, stride)
        # NOTE: kept as given (an int stays an int), as PyTorch keeps and prints them
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, x):
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride, name=self._label())

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """Columns added back onto images (summed where windows overlap): col2im, Unfold's adjoint.

    Shapes: (N, C*kH*kW, L) -> (N, C, H, W) for (H, W) = output_size, where L must be the
    number of window positions Unfold finds on an (H, W) image; (C*kH*kW, L) -> (C, H, W).
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        name = type(self).__name__
        size = pair(output_size, f"{name}: output_size")
        if min(size) < 1:
            raise ValueError(f"{name}: output_size must be positive, got {output_size!r}")
        check_fold_args(name, kernel_size, dilation, padding, stride)
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, x):
        return F.fold(
            x,
            self.output_size,
            self.kernel_size,
            self.dilation,
            self.padding,
            self.stride,
            name=self._label(),
        )

    def extra_repr(self):
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )
