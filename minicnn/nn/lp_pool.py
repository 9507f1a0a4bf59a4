"""LPPool1d and LPPool2d: power-average pooling, the p-norm of each window, thin Modules over
``F.lp_pool1d`` and ``F.lp_pool2d`` (functional/lp_pool.py has the math)."""

from .. import functional as F
from ..functional.checks import check_flag, check_pool_args
from ..functional.lp_pool import check_norm_type
from .module import Module


class _LPPoolNd(Module):
    """What the two share, as PyTorch's ``_LPPoolNd``: the arguments, kept as given, and the repr."""

    _dims = 2

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        name = type(self).__name__
        check_norm_type(name, norm_type)
        check_pool_args(name, kernel_size, stride, 0, self._dims)
        check_flag(name, "ceil_mode", ceil_mode)
        # NOTE: kept as given (stride None too), as PyTorch keeps and prints them
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self):
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool2d(_LPPoolNd):
    """y = (sum over each window of x^p)^(1/p), p = norm_type (``F.lp_pool2d``): p = 1 sums,
    p = inf takes the max of |x|. Shapes: (N, C, H, W) -> (N, C, H_out, W_out),
    H_out = floor((H - kH) / stride) + 1 (ceil with ceil_mode); no padding.

    >>> from minicnn import nn
    >>> nn.LPPool2d(2, 3, stride=2)
    LPPool2d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)
    """

    def forward(self, x):
        norm_type = float(self.norm_type)
        return F.lp_pool2d(x, norm_type, self.kernel_size, self.stride, self.ceil_mode, name=self._label())


class LPPool1d(_LPPoolNd):
    """y = (sum over each window of x^p)^(1/p), p = norm_type (``F.lp_pool1d``).
    Shapes: (N, C, L) -> (N, C, L_out), L_out = floor((L - k) / stride) + 1 (ceil with ceil_mode).
    """

    _dims = 1

    def forward(self, x):
        norm_type = float(self.norm_type)
        return F.lp_pool1d(x, norm_type, self.kernel_size, self.stride, self.ceil_mode, name=self._label())
