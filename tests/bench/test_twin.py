"""The PyTorch twins (twin.py) read off minicnn models, built over a stand-in torch.nn whose
classes bind their arguments to PyTorch's own signatures: never torch itself."""

import importlib.util
import inspect
import pathlib
import sys
import types
from collections import OrderedDict

import pytest

import minicnn.bench
from minicnn import models, nn

# --- a stand-in torch.nn --------------------------------------------------------------------------


class Module:
    """torch.nn.Module as twin.py's blocks subclass it: a base and nothing more."""


class Sequential(Module):
    def __init__(self, layers):  # the twin always passes one OrderedDict of named layers
        self.layers = OrderedDict(layers)


def _stand_in(signature):
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
@_stand_in
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


@_stand_in
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


@_stand_in
def Linear(in_features, out_features, bias=True, device=None, dtype=None): ...


@_stand_in
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


@_stand_in
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


@_stand_in
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


@_stand_in
def LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None): ...


@_stand_in
def GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True): ...


@_stand_in
def LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0): ...


@_stand_in
def MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False): ...


@_stand_in
def AvgPool2d(
    kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
): ...


@_stand_in
def AdaptiveAvgPool2d(output_size): ...


@_stand_in
def AdaptiveMaxPool2d(output_size, return_indices=False): ...


@_stand_in
def MaxUnpool2d(kernel_size, stride=None, padding=0): ...


@_stand_in
def Unfold(kernel_size, dilation=1, padding=0, stride=1): ...


@_stand_in
def Fold(output_size, kernel_size, dilation=1, padding=0, stride=1): ...


@_stand_in
def Upsample(
    size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None
): ...


@_stand_in
def UpsamplingNearest2d(size=None, scale_factor=None): ...


@_stand_in
def UpsamplingBilinear2d(size=None, scale_factor=None): ...


@_stand_in
def Dropout(p=0.5, inplace=False): ...


@_stand_in
def Dropout2d(p=0.5, inplace=False): ...


@_stand_in
def Flatten(start_dim=1, end_dim=-1): ...


@_stand_in
def Identity(*args, **kwargs): ...


@_stand_in
def Unflatten(dim, unflattened_size): ...


@_stand_in
def PixelShuffle(upscale_factor): ...


@_stand_in
def PixelUnshuffle(downscale_factor): ...


@_stand_in
def ChannelShuffle(groups): ...


@_stand_in
def ZeroPad2d(padding): ...


@_stand_in
def ConstantPad2d(padding, value): ...


@_stand_in
def ReflectionPad2d(padding): ...


@_stand_in
def ReplicationPad2d(padding): ...


@_stand_in
def CircularPad2d(padding): ...


@_stand_in
def CosineSimilarity(dim=1, eps=1e-8): ...


@_stand_in
def PairwiseDistance(p=2.0, eps=1e-6, keepdim=False): ...


@_stand_in
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


@_stand_in
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


@_stand_in
def ReLU(inplace=False): ...


@_stand_in
def LeakyReLU(negative_slope=0.01, inplace=False): ...


@_stand_in
def PReLU(num_parameters=1, init=0.25, device=None, dtype=None): ...


@_stand_in
def RReLU(lower=1.0 / 8, upper=1.0 / 3, inplace=False): ...


@_stand_in
def GELU(approximate="none"): ...


@_stand_in
def SiLU(inplace=False): ...


@_stand_in
def Softplus(beta=1.0, threshold=20.0): ...


@_stand_in
def ELU(alpha=1.0, inplace=False): ...


@_stand_in
def ReLU6(inplace=False): ...


@_stand_in
def Hardtanh(min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None): ...


@_stand_in
def Hardsigmoid(inplace=False): ...


@_stand_in
def Hardswish(inplace=False): ...


@_stand_in
def SELU(inplace=False): ...


@_stand_in
def CELU(alpha=1.0, inplace=False): ...


@_stand_in
def Mish(inplace=False): ...


@_stand_in
def Softsign(*args, **kwargs): ...


@_stand_in
def Hardshrink(lambd=0.5): ...


@_stand_in
def Softshrink(lambd=0.5): ...


@_stand_in
def Tanhshrink(*args, **kwargs): ...


@_stand_in
def Threshold(threshold, value, inplace=False): ...


@_stand_in
def GLU(dim=-1): ...


@_stand_in
def Softmax2d(*args, **kwargs): ...


@_stand_in
def AlphaDropout(p=0.5, inplace=False): ...


@_stand_in
def FeatureAlphaDropout(p=0.5, inplace=False): ...


@_stand_in
def Tanh(*args, **kwargs): ...


@_stand_in
def Sigmoid(*args, **kwargs): ...


@_stand_in
def LogSigmoid(*args, **kwargs): ...


@_stand_in
def Softmin(dim=None): ...


@_stand_in
def Softmax(dim=None): ...


@_stand_in
def LogSoftmax(dim=None): ...


STAND_INS = [v for v in list(globals().values()) if isinstance(v, type) and issubclass(v, Module)]


@pytest.fixture
def twin(monkeypatch):
    """twin.py run over the stand-in torch as a module of its own: minicnn.bench.twin, and
    torch where it is installed, are left as they are."""
    torch = types.ModuleType("torch")
    torch.__version__, torch.device = "stand-in", str
    torch.nn = types.ModuleType("torch.nn")
    for cls in STAND_INS:
        setattr(torch.nn, cls.__name__, cls)
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch.nn", torch.nn)
    path = pathlib.Path(minicnn.bench.__file__).with_name("twin.py")
    spec = importlib.util.spec_from_file_location("minicnn.bench._twin_over_a_stand_in", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(layer, *names):
    """The twin's class name and the named ones of its arguments."""
    return type(layer).__name__, {k: layer.args[k] for k in names}


# --- the layers ------------------------------------------------------------------------------------

# (minicnn layer, its twin's class, the twin's arguments that carry the layer's hyperparameters)
LAYER_CASES = [
    (
        nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2),
        "ConvTranspose2d",
        {
            "in_channels": 4,
            "out_channels": 6,
            "kernel_size": (3, 3),
            "stride": (2, 2),
            "padding": (1, 1),
            "output_padding": (1, 1),
            "groups": 2,
            "bias": False,
            "dilation": (2, 2),
        },
    ),
    (
        nn.LayerNorm((6, 5, 5), eps=1e-3),
        "LayerNorm",
        {"normalized_shape": (6, 5, 5), "eps": 1e-3, "elementwise_affine": True, "bias": True},
    ),
    (nn.LayerNorm([5], bias=False), "LayerNorm", {"normalized_shape": (5,), "bias": False}),
    (
        nn.LayerNorm(5, elementwise_affine=False),
        "LayerNorm",
        {"normalized_shape": (5,), "elementwise_affine": False},
    ),
    (
        nn.GroupNorm(2, 6, eps=1e-4),
        "GroupNorm",
        {"num_groups": 2, "num_channels": 6, "eps": 1e-4, "affine": True, "bias": True},
    ),
    (nn.GroupNorm(3, 6, affine=False), "GroupNorm", {"num_groups": 3, "affine": False}),
    (nn.GroupNorm(3, 6, bias=False), "GroupNorm", {"affine": True, "bias": False}),
    (
        nn.InstanceNorm2d(6, eps=1e-3, momentum=None, affine=True, track_running_stats=True, bias=False),
        "InstanceNorm2d",
        {
            "num_features": 6,
            "eps": 1e-3,
            "momentum": None,
            "affine": True,
            "track_running_stats": True,
            "bias": False,
        },
    ),
    (nn.InstanceNorm2d(6), "InstanceNorm2d", {"affine": False, "track_running_stats": False, "bias": True}),
    (
        nn.InstanceNorm1d(6, momentum=0.3, affine=True, bias=False),
        "InstanceNorm1d",
        {"num_features": 6, "momentum": 0.3, "affine": True, "track_running_stats": False, "bias": False},
    ),
    (nn.ReflectionPad2d((1, 0, 2, 0)), "ReflectionPad2d", {"padding": (1, 0, 2, 0)}),
    (nn.ConstantPad2d(1, 0.5), "ConstantPad2d", {"padding": (1, 1, 1, 1), "value": 0.5}),
    (nn.ZeroPad2d(2), "ZeroPad2d", {"padding": (2, 2, 2, 2)}),
    (nn.ReplicationPad2d(1), "ReplicationPad2d", {"padding": (1, 1, 1, 1)}),
    (nn.CircularPad2d(1), "CircularPad2d", {"padding": (1, 1, 1, 1)}),
    (nn.PixelShuffle(2), "PixelShuffle", {"upscale_factor": 2}),
    (nn.PixelUnshuffle(5), "PixelUnshuffle", {"downscale_factor": 5}),
    (nn.ChannelShuffle(3), "ChannelShuffle", {"groups": 3}),
    (nn.Softmin(dim=1), "Softmin", {"dim": 1}),
    (nn.LogSigmoid(), "LogSigmoid", {}),
    (
        nn.BatchNorm1d(6, eps=1e-3, momentum=None, affine=False),
        "BatchNorm1d",
        {"num_features": 6, "eps": 1e-3, "momentum": None, "affine": False, "track_running_stats": True},
    ),
    (
        nn.BatchNorm2d(6, momentum=0.2, track_running_stats=False),
        "BatchNorm2d",
        {"num_features": 6, "momentum": 0.2, "affine": True, "track_running_stats": False},
    ),
    (
        nn.MaxPool2d(3, stride=2, padding=1, return_indices=True, ceil_mode=True),
        "MaxPool2d",
        {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "dilation": 1,
            "return_indices": True,
            "ceil_mode": True,
        },
    ),
    (nn.AdaptiveMaxPool2d((2, 3)), "AdaptiveMaxPool2d", {"output_size": (2, 3), "return_indices": False}),
    (nn.AdaptiveMaxPool2d(1, return_indices=True), "AdaptiveMaxPool2d", {"return_indices": True}),
    (
        nn.MaxUnpool2d(2, stride=(2, 1), padding=1),
        "MaxUnpool2d",
        {"kernel_size": (2, 2), "stride": (2, 1), "padding": (1, 1)},
    ),
    (nn.Dropout2d(0.3), "Dropout2d", {"p": 0.3}),
    (nn.LeakyReLU(0.2), "LeakyReLU", {"negative_slope": 0.2}),
    (nn.PReLU(6), "PReLU", {"num_parameters": 6}),
    (nn.RReLU(0.1, 0.2), "RReLU", {"lower": 0.1, "upper": 0.2}),
    (nn.GELU(approximate="tanh"), "GELU", {"approximate": "tanh"}),
    (nn.SiLU(), "SiLU", {}),
    (nn.Softplus(beta=2.0, threshold=5.0), "Softplus", {"beta": 2.0, "threshold": 5.0}),
    (nn.ELU(0.5), "ELU", {"alpha": 0.5}),
    (nn.Sigmoid(), "Sigmoid", {}),
    (nn.ReLU6(inplace=True), "ReLU6", {"inplace": False}),
    (nn.Hardtanh(-2.0, 3.0), "Hardtanh", {"min_val": -2.0, "max_val": 3.0}),
    (nn.Hardsigmoid(), "Hardsigmoid", {}),
    (nn.Hardswish(), "Hardswish", {}),
    (nn.SELU(inplace=True), "SELU", {"inplace": False}),
    (nn.CELU(0.5), "CELU", {"alpha": 0.5}),
    (nn.Mish(), "Mish", {}),
    (nn.Softsign(), "Softsign", {}),
    (nn.Hardshrink(0.25), "Hardshrink", {"lambd": 0.25}),
    (nn.Softshrink(0.75), "Softshrink", {"lambd": 0.75}),
    (nn.Tanhshrink(), "Tanhshrink", {}),
    (nn.Threshold(0.1, -2.0), "Threshold", {"threshold": 0.1, "value": -2.0}),
    (nn.GLU(1), "GLU", {"dim": 1}),
    (nn.Softmax2d(), "Softmax2d", {}),
    (nn.AlphaDropout(0.2), "AlphaDropout", {"p": 0.2}),
    (nn.FeatureAlphaDropout(0.3), "FeatureAlphaDropout", {"p": 0.3}),
    (
        nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)),
        "Unfold",
        {"kernel_size": (2, 3), "dilation": 2, "padding": 1, "stride": (1, 2)},
    ),
    (
        nn.Fold((6, 5), 2, padding=(1, 0), stride=2),
        "Fold",
        {"output_size": (6, 5), "kernel_size": 2, "dilation": 1, "padding": (1, 0), "stride": 2},
    ),
    (
        nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True, recompute_scale_factor=True),
        "Upsample",
        {
            "size": None,
            "scale_factor": 1.5,
            "mode": "bilinear",
            "align_corners": True,
            "recompute_scale_factor": True,
        },
    ),
    (nn.Upsample(size=(4, 6)), "Upsample", {"size": (4, 6), "mode": "nearest", "align_corners": None}),
    (nn.UpsamplingNearest2d(scale_factor=2), "UpsamplingNearest2d", {"size": None, "scale_factor": 2.0}),
    (nn.UpsamplingBilinear2d(size=5), "UpsamplingBilinear2d", {"size": 5, "scale_factor": None}),
    (
        nn.Embedding(10, 3, padding_idx=-1, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True),
        "Embedding",
        {
            "num_embeddings": 10,
            "padding_idx": 9,
            "max_norm": 2.0,
            "norm_type": 1.0,
            "scale_grad_by_freq": True,
        },
    ),
    (nn.Embedding(4, 2), "Embedding", {"padding_idx": None, "scale_grad_by_freq": False}),
    (nn.Softmax(dim=1), "Softmax", {"dim": 1}),
    (nn.LogSoftmax(dim=0), "LogSoftmax", {"dim": 0}),
]


@pytest.mark.parametrize(
    "layer, name, hyperparameters", LAYER_CASES, ids=[type(c[0]).__name__ for c in LAYER_CASES]
)
def test_a_layer_in_a_tiny_model_twins_with_its_hyperparameters(twin, layer, name, hyperparameters):
    model = nn.Sequential(OrderedDict(conv=nn.Conv2d(3, 6, 3, padding=1), layer=layer, flat=nn.Flatten()))
    t = twin.to_torch(model)
    assert list(t.layers) == ["conv", "layer", "flat"]
    assert _args(t.layers["layer"], *hyperparameters) == (name, hyperparameters)


def test_every_minicnn_layer_has_a_twin_or_a_reason_for_none(twin):
    """A layer added to minicnn.nn must be added to twin.LAYERS too, or named here."""
    no_twin = {
        nn.Module,
        nn.Sequential,  # a chain: the twin is a tnn.Sequential of its children's twins
        nn.ModuleList,  # containers without a forward: a block that holds one is twinned whole
        nn.ModuleDict,
        nn.ParameterList,  # and the containers of parameters (a block that holds one is twinned whole)
        nn.ParameterDict,
        nn.BCELoss,  # losses are not layers of a model: the bench takes PyTorch's cross entropy
        nn.BCEWithLogitsLoss,
        nn.CrossEntropyLoss,
        nn.MSELoss,
        nn.L1Loss,
        nn.SmoothL1Loss,
        nn.HuberLoss,
        nn.KLDivLoss,
        nn.NLLLoss,
        nn.MultiMarginLoss,
        nn.SoftMarginLoss,
        nn.MultiLabelSoftMarginLoss,
        nn.MarginRankingLoss,
        nn.HingeEmbeddingLoss,
        nn.CosineEmbeddingLoss,
        nn.TripletMarginLoss,
        nn.DropConnect,  # no torch.nn counterpart
        nn.DropConnectLinear,
        nn.Conv1d,  # the 1-D layers and the power-average pools: no model of the zoo has one
        nn.ConvTranspose1d,
        nn.MaxPool1d,
        nn.AvgPool1d,
        nn.AdaptiveAvgPool1d,
        nn.AdaptiveMaxPool1d,
        nn.LPPool1d,
        nn.LPPool2d,
    }
    exported = {c for c in vars(nn).values() if isinstance(c, type) and issubclass(c, nn.Module)}
    assert exported - no_twin == set(twin.LAYERS)
    assert {cls.__name__ for cls in twin.LAYERS} <= {cls.__name__ for cls in STAND_INS}


def test_the_twin_of_a_zoo_model_has_its_layers_names_and_order(twin):
    model = models.lenet5()
    t = twin.to_torch(model)
    assert [(k, type(v).__name__) for k, v in t.layers.items()] == [
        (k, type(v).__name__) for k, v in model.named_children()
    ]
    conv = t.layers["0"]
    assert _args(conv, "in_channels", "out_channels", "kernel_size", "padding") == (
        "Conv2d",
        {"in_channels": 1, "out_channels": 6, "kernel_size": (5, 5), "padding": (2, 2)},
    )


# --- modules without a twin ----------------------------------------------------------------------


class ScaledConv(nn.Conv2d):
    def forward(self, x):
        return super().forward(x) * 2


@pytest.mark.parametrize(
    "model, label",
    [
        (nn.Sequential(nn.Linear(4, 4), nn.DropConnectLinear(4, 2)), "DropConnectLinear at '1'"),
        # a subclass is not its base
        (nn.Sequential(nn.Sequential(ScaledConv(1, 2, 3))), "ScaledConv at '0.0'"),
        (nn.DropConnect(nn.Linear(4, 2)), "DropConnect"),
    ],
)
def test_a_module_without_a_twin_is_one_line_naming_it_and_its_place(twin, model, label):
    with pytest.raises(TypeError) as err:
        twin.to_torch(model)
    assert str(err.value) == (
        f"minicnn.bench: no PyTorch twin for {label}; "
        "add its class to LAYERS, CHAINS or BLOCKS in minicnn/bench/twin.py"
    )


def test_a_bench_model_without_a_twin_is_refused_in_one_line(twin):
    # torch_cases builds every PyTorch step from to_torch's twin, so this comes first there
    model = nn.Sequential(nn.Flatten(), nn.DropConnectLinear(16, 2))
    with pytest.raises(TypeError, match=r"^minicnn.bench: no PyTorch twin for DropConnectLinear at '1';"):
        twin.to_torch(model)


def test_an_argument_an_older_pytorch_lacks_is_left_out_at_its_default(twin, monkeypatch):
    @_stand_in
    def LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, device=None, dtype=None): ...

    monkeypatch.setattr(twin.tnn, "LayerNorm", LayerNorm)  # PyTorch 2.0's: no bias
    assert _args(twin.to_torch(nn.LayerNorm(5)), "normalized_shape") == (
        "LayerNorm",
        {"normalized_shape": (5,)},
    )
    with pytest.raises(TypeError) as err:
        twin.to_torch(nn.Sequential(nn.LayerNorm(5, bias=False)))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("minicnn.bench: PyTorch stand-in cannot build the twin of LayerNorm at '0': ")
    assert "bias" in message
