"""2-D convolution (cross-correlation, as every deep-learning library computes it).

Each output pixel is a dot product of the weights with one window of the
input. Unrolling every window into a column (im2col) turns the whole layer
into one matrix product, and its gradients into two more:

    Y = W @ im2col(X),    gW = gY @ im2col(X)^T,    gX = col2im(W^T @ gY)

Groups split the channels into independent convolutions: AlexNet's two-GPU
halves (groups=2) and depthwise convolution (groups = channels).
"""
from .. import kernels
from ..kernels.sizes import conv_out_size, formula, pair
from ..tensor import Function


class Conv2d(Function):
    """y = W (*) x + b per group:  Y_g = W_g @ im2col(x)_g + b.
    gx = col2im(W_g^T @ gY_g),  gW_g = gY_g @ im2col(x)_g^T,  gb = sum of gy over N, OH, OW.
    """

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        self.K = kernels.for_array(x)
        self.geometry = stride, padding, dilation, groups
        self.x_shape, self.w_shape = x.shape, weight.shape
        self.x = x if self.needs_grad[1] else None            # only gW needs x
        self.weight = weight if self.needs_grad[0] else None  # only gx needs W
        return self.K.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)

    def backward(self, gy):
        gx, gw = self.K.conv2d_backward(gy, self.x, self.weight, self.x_shape, self.w_shape,
                                        *self.geometry, need_input=self.needs_grad[0],
                                        need_weight=self.needs_grad[1])
        if len(self.needs_grad) == 2:
            return gx, gw
        gb = gy.sum(axis=(0, 2, 3)) if self.needs_grad[2] else None
        return gx, gw, gb


def check_conv_args(name, stride, padding, dilation, groups):
    """Validate the hyperparameters; returns (stride, padding, dilation) as pairs."""
    stride, padding = pair(stride, f"{name}: stride"), pair(padding, f"{name}: padding")
    dilation = pair(dilation, f"{name}: dilation")
    if min(stride) <= 0:
        raise ValueError(f"{name}: stride must be positive, got {stride}")
    if min(padding) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {padding}")
    if min(dilation) < 1:
        raise ValueError(f"{name}: dilation must be at least 1, got {dilation}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    return stride, padding, dilation


def check_float(name, what, t):
    if t.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be floating point, got dtype {t.dtype}")


def check_nchw(name, x):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected x of shape (N, C, H, W), got shape {x.shape}")
    check_float(name, "x", x)


def _check_conv_inputs(name, x, weight, bias, stride, padding, dilation, groups):
    check_nchw(name, x)
    check_float(name, "weight", weight)
    if weight.ndim != 4:
        raise ValueError(f"{name}: expected weight of shape (out_channels, in_channels/groups, "
                         f"kH, kW), got shape {weight.shape}")
    if weight.dtype != x.dtype or (bias is not None and bias.dtype != x.dtype):
        dtypes = f"x {x.dtype}, weight {weight.dtype}" + ("" if bias is None else f", bias {bias.dtype}")
        raise TypeError(f"{name}: x, weight and bias must share one dtype, got {dtypes}")
    (_, C, H, W), (O, Cg, KH, KW) = x.shape, weight.shape
    if C % groups or O % groups:
        raise ValueError(f"{name}: groups={groups} must divide both in_channels ({C}) and "
                         f"out_channels ({O}); x {x.shape}, weight {weight.shape}")
    if C // groups != Cg:
        raise ValueError(f"{name}: x has {C} channel(s) but weight expects {Cg * groups} "
                         f"({Cg} per group x {groups} group(s)); x {x.shape}, weight {weight.shape}")
    if bias is not None and bias.shape != (O,):
        raise ValueError(f"{name}: bias must have shape ({O},) for weight {weight.shape}, "
                         f"got {bias.shape}")
    for axis, n, k, s, p, d in (("height", H, KH, stride[0], padding[0], dilation[0]),
                                ("width", W, KW, stride[1], padding[1], dilation[1])):
        if conv_out_size(n, k, s, p, d) < 1:
            raise ValueError(f"{name}: the {k}-tap kernel (dilation {d}, spanning {d * (k - 1) + 1}) "
                             f"is larger than the padded input {axis} {n} + 2*{p} = {n + 2 * p}: "
                             f"output {axis} {formula(n, k, s, p, d)}; x {x.shape}, weight {weight.shape}")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, name="conv2d"):
    """2-D convolution of a batch of images, as ``torch.nn.functional.conv2d``.

    Args:
        x: input Tensor (N, C_in, H, W).
        weight: Tensor (C_out, C_in / groups, kH, kW).
        bias: optional Tensor (C_out,).
        stride, padding, dilation: int or (height, width) pair; padding adds zeros.
        groups: split channels into this many independent convolutions.
        name: the layer named in error messages.
    Shapes:
        y (N, C_out, H_out, W_out),
        H_out = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1, same for W_out.
    """
    stride, padding, dilation = check_conv_args(name, stride, padding, dilation, groups)
    _check_conv_inputs(name, x, weight, bias, stride, padding, dilation, groups)
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if bias is None:
        return Conv2d.apply(x, weight, **params)
    return Conv2d.apply(x, weight, bias, **params)
