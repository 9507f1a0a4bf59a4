"""A stand-in torch.nn for the tests of the PyTorch twins (twin.py): its classes bind their
arguments to PyTorch's own signatures, so the twins are read off minicnn models without torch."""

import inspect
from collections import OrderedDict


class Module:
    """torch.nn.Module as twin.py's blocks subclass it: a base and nothing more."""


class Sequential(Module):
    def __init__(self, layers):  # the twin always passes one OrderedDict of named layers
        self.layers = OrderedDict(layers)


def stand_in(signature):
    """A stand-in torch.nn class named as ``signature``: it binds the arguments it is built with
    to that signature (PyTorch's own), so that a name or a position PyTorch lacks fails, and
    keeps them all, defaults included, in ``.args``."""
    bind = inspect.signature(signature).bind

    def __init__(self, *args, **kwargs):
        bound = bind(*args, **kwargs)
        bound.apply_defaults()
        self.args = dict(bound.arguments)

    return type(signature.__name__, (Module,), {"__init__": __init__})


# the torch.nn classes of twin.LAYERS as torch 2.13 declares them (inspect.signature)
@stand_in
def Conv2d(
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
): ...


@stand_in
def ConvTranspose2d(
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
): ...


@stand_in
def Linear(in_features, out_features, bias=True, device=None, dtype=None): ...


@stand_in
def Embedding(
    num_embeddings,
    embedding_dim,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
    _weight=None,
    _freeze=False,
    device=None,
    dtype=None,
): ...


@stand_in
def BatchNorm1d(
    num_features,
    eps=1e-5,
    momentum=0.1,
    affine=True,
    track_running_stats=True,
    device=None,
    dtype=None,
    *,
    bias=True,
): ...


@stand_in
def BatchNorm2d(
    num_features,
    eps=1e-5,
    momentum=0.1,
    affine=True,
    track_running_stats=True,
    device=None,
    dtype=None,
    *,
    bias=True,
): ...


@stand_in
def LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None): ...


@stand_in
def GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True): ...


@stand_in
def LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0): ...


@stand_in
def MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False): ...


@stand_in
def AvgPool2d(
    kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
): ...


@stand_in
def AdaptiveAvgPool2d(output_size): ...


@stand_in
def AdaptiveMaxPool2d(output_size, return_indices=False): ...


@stand_in
def MaxUnpool2d(kernel_size, stride=None, padding=0): ...


@stand_in
def Unfold(kernel_size, dilation=1, padding=0, stride=1): ...


@stand_in
def Fold(output_size, kernel_size, dilation=1, padding=0, stride=1): ...


@stand_in
def Upsample(
    size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None
): ...


@stand_in
def UpsamplingNearest2d(size=None, scale_factor=None): ...


@stand_in
def UpsamplingBilinear2d(size=None, scale_factor=None): ...


@stand_in
def Dropout(p=0.5, inplace=False): ...


@stand_in
def Dropout2d(p=0.5, inplace=False): ...


@stand_in
def Flatten(start_dim=1, end_dim=-1): ...


@stand_in
def Identity(*args, **kwargs): ...


@stand_in
def Unflatten(dim, unflattened_size): ...


@stand_in
def PixelShuffle(upscale_factor): ...


@stand_in
def PixelUnshuffle(downscale_factor): ...


@stand_in
def ChannelShuffle(groups): ...


@stand_in
def ZeroPad2d(padding): ...


@stand_in
def ConstantPad2d(padding, value): ...


@stand_in
def ReflectionPad2d(padding): ...


@stand_in
def ReplicationPad2d(padding): ...


@stand_in
def CircularPad2d(padding): ...


@stand_in
def CosineSimilarity(dim=1, eps=1e-8): ...


@stand_in
def PairwiseDistance(p=2.0, eps=1e-6, keepdim=False): ...


@stand_in
def InstanceNorm1d(
    num_features,
    eps=1e-5,
    momentum=0.1,
    affine=False,
    track_running_stats=False,
    device=None,
    dtype=None,
    *,
    bias=True,
): ...


@stand_in
def InstanceNorm2d(
    num_features,
    eps=1e-5,
    momentum=0.1,
    affine=False,
    track_running_stats=False,
    device=None,
    dtype=None,
    *,
    bias=True,
): ...


@stand_in
def ReLU(inplace=False): ...


@stand_in
def LeakyReLU(negative_slope=0.01, inplace=False): ...


@stand_in
def PReLU(num_parameters=1, init=0.25, device=None, dtype=None): ...


@stand_in
def RReLU(lower=1.0 / 8, upper=1.0 / 3, inplace=False): ...


@stand_in
def GELU(approximate="none"): ...


@stand_in
def SiLU(inplace=False): ...


@stand_in
def Softplus(beta=1.0, threshold=20.0): ...


@stand_in
def ELU(alpha=1.0, inplace=False): ...


@stand_in
def ReLU6(inplace=False): ...


@stand_in
def Hardtanh(min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None): ...


@stand_in
def Hardsigmoid(inplace=False): ...


@stand_in
def Hardswish(inplace=False): ...


@stand_in
def SELU(inplace=False): ...


@stand_in
def CELU(alpha=1.0, inplace=False): ...


@stand_in
def Mish(inplace=False): ...


@stand_in
def Softsign(*args, **kwargs): ...


@stand_in
def Hardshrink(lambd=0.5): ...


@stand_in
def Softshrink(lambd=0.5): ...


@stand_in
def Tanhshrink(*args, **kwargs): ...


@stand_in
def Threshold(threshold, value, inplace=False): ...


@stand_in
def GLU(dim=-1): ...


@stand_in
def Softmax2d(*args, **kwargs): ...


@stand_in
def AlphaDropout(p=0.5, inplace=False): ...


@stand_in
def FeatureAlphaDropout(p=0.5, inplace=False): ...


@stand_in
def Tanh(*args, **kwargs): ...


@stand_in
def Sigmoid(*args, **kwargs): ...


@stand_in
def LogSigmoid(*args, **kwargs): ...


@stand_in
def Softmin(dim=None): ...


@stand_in
def Softmax(dim=None): ...


@stand_in
def LogSoftmax(dim=None): ...


STAND_INS = [v for v in list(globals().values()) if isinstance(v, type) and issubclass(v, Module)]


def twin_args(layer, *names):
    """The twin's class name and the named ones of its arguments."""
    return type(layer).__name__, {k: layer.args[k] for k in names}
