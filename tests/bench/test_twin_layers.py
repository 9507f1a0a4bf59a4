"""Each minicnn layer's PyTorch twin (twin.py) carries its hyperparameters, and every layer has a
twin or a reason for none; built over a stand-in torch.nn (twin_stand_in.py), never torch itself."""

from collections import OrderedDict

import pytest
from twin_stand_in import STAND_INS, twin_args

from minicnn import nn

# --- the layers ------------------------------------------------------------------------------------

# (minicnn layer, its twin's class, the twin's arguments that carry the layer's hyperparameters)
LAYER_CASES = [
    (
        nn.Conv2d(6, 4, (4, 3), padding="same", dilation=(1, 2), groups=2, padding_mode="reflect"),
        "Conv2d",
        {
            "in_channels": 6,
            "out_channels": 4,
            "kernel_size": (4, 3),
            "stride": (1, 1),
            "padding": "same",
            "dilation": (1, 2),
            "groups": 2,
            "bias": True,
            "padding_mode": "reflect",
        },
    ),
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
    assert twin_args(t.layers["layer"], *hyperparameters) == (name, hyperparameters)


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
        nn.MaxUnpool1d,
        nn.Dropout1d,
        nn.ZeroPad1d,
        nn.ConstantPad1d,
        nn.ReflectionPad1d,
        nn.ReplicationPad1d,
        nn.CircularPad1d,
        nn.LPPool1d,
        nn.LPPool2d,
    }
    exported = {c for c in vars(nn).values() if isinstance(c, type) and issubclass(c, nn.Module)}
    assert exported - no_twin == set(twin.LAYERS)
    assert {cls.__name__ for cls in twin.LAYERS} <= {cls.__name__ for cls in STAND_INS}
