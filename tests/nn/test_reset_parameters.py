"""reset_parameters() on every layer that holds parameters or buffers, as PyTorch's: the loop
that re-initialises a model between folds or runs leaves nothing trained behind."""

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import minicnn as mc
from minicnn import models, nn

# a small instance of each layer minicnn.nn exports; a layer added there without an entry
# here fails the first test
BUILD = {
    "AdaptiveAvgPool1d": lambda: nn.AdaptiveAvgPool1d(1),
    "AdaptiveAvgPool2d": lambda: nn.AdaptiveAvgPool2d(1),
    "AdaptiveMaxPool1d": lambda: nn.AdaptiveMaxPool1d(1),
    "AdaptiveMaxPool2d": lambda: nn.AdaptiveMaxPool2d(1),
    "AvgPool1d": lambda: nn.AvgPool1d(2),
    "AvgPool2d": lambda: nn.AvgPool2d(2),
    "BatchNorm1d": lambda: nn.BatchNorm1d(3),
    "BatchNorm2d": lambda: nn.BatchNorm2d(3),
    "ChannelShuffle": lambda: nn.ChannelShuffle(2),
    "CircularPad1d": lambda: nn.CircularPad1d(1),
    "CircularPad2d": lambda: nn.CircularPad2d(1),
    "ConstantPad1d": lambda: nn.ConstantPad1d(1, 0.5),
    "ConstantPad2d": lambda: nn.ConstantPad2d(1, 0.5),
    "Conv1d": lambda: nn.Conv1d(2, 3, 3),
    "Conv2d": lambda: nn.Conv2d(2, 3, 3),
    "ConvTranspose1d": lambda: nn.ConvTranspose1d(2, 3, 3),
    "ConvTranspose2d": lambda: nn.ConvTranspose2d(2, 3, 3),
    "DropConnect": lambda: nn.DropConnect(nn.Linear(2, 3)),
    "DropConnectLinear": lambda: nn.DropConnectLinear(2, 3),
    "Embedding": lambda: nn.Embedding(4, 3, padding_idx=1),
    "Fold": lambda: nn.Fold(4, 2),
    "GroupNorm": lambda: nn.GroupNorm(2, 4),
    "InstanceNorm1d": lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    "LayerNorm": lambda: nn.LayerNorm((2, 3)),
    "Linear": lambda: nn.Linear(2, 3),
    "LocalResponseNorm": lambda: nn.LocalResponseNorm(3),
    "LPPool1d": lambda: nn.LPPool1d(2, 2),
    "LPPool2d": lambda: nn.LPPool2d(2, 2),
    "MaxPool1d": lambda: nn.MaxPool1d(2),
    "MaxPool2d": lambda: nn.MaxPool2d(2),
    "MaxUnpool1d": lambda: nn.MaxUnpool1d(2),
    "MaxUnpool2d": lambda: nn.MaxUnpool2d(2),
    "PReLU": lambda: nn.PReLU(3, init=0.1),
    "PixelShuffle": lambda: nn.PixelShuffle(2),
    "PixelUnshuffle": lambda: nn.PixelUnshuffle(2),
    "ReflectionPad1d": lambda: nn.ReflectionPad1d(1),
    "ReflectionPad2d": lambda: nn.ReflectionPad2d(1),
    "ReplicationPad1d": lambda: nn.ReplicationPad1d(1),
    "ReplicationPad2d": lambda: nn.ReplicationPad2d(1),
    "Threshold": lambda: nn.Threshold(0.1, 0.0),
    "Unflatten": lambda: nn.Unflatten(1, (2, 3)),
    "Unfold": lambda: nn.Unfold(2),
    "Upsample": lambda: nn.Upsample(scale_factor=2),
    "UpsamplingBilinear2d": lambda: nn.UpsamplingBilinear2d(scale_factor=2),
    "UpsamplingNearest2d": lambda: nn.UpsamplingNearest2d(scale_factor=2),
    "ZeroPad1d": lambda: nn.ZeroPad1d(1),
    "ZeroPad2d": lambda: nn.ZeroPad2d(1),
}
# no reset in PyTorch either: containers hold other layers, a loss's weight is a setting
NOT_LAYERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}


def _layers():
    for name in sorted(dir(nn)):
        cls = getattr(nn, name)
        if inspect.isclass(cls) and issubclass(cls, nn.Module) and name not in NOT_LAYERS:
            if not name.endswith("Loss"):
                yield name, cls


def test_every_layer_with_parameters_or_buffers_has_reset_parameters():
    holding = []
    for name, cls in _layers():
        layer = BUILD[name]() if name in BUILD else cls()
        own = list(layer.parameters(recurse=False)) + list(layer.buffers(recurse=False))
        if own:
            holding.append(name)
            assert callable(getattr(layer, "reset_parameters", None)), f"{name} has no reset_parameters()"
    assert {"BatchNorm1d", "LayerNorm", "GroupNorm", "InstanceNorm2d", "PReLU", "DropConnectLinear"} <= set(
        holding
    )


def _disturb(model, seed):
    """Every float parameter and buffer moved off its start, the counter counted on."""
    rng = np.random.default_rng(seed)
    for t in list(model.parameters()) + list(model.buffers()):
        if t.dtype.kind == "f":
            t.data[...] = rng.standard_normal(t.shape).astype(t.dtype)
        else:
            t.data[...] = 7


def _reset_all(model):
    for layer in model.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()


# one small build of each file's models (and each variant with a layer of its own): every
# Module class defined under minicnn.models must appear in one, or the sweep below fails
ZOO = [
    ("lenet1989", {}),
    ("lenet5", {"variant": "1998"}),
    ("lenet5", {"variant": "caffe"}),
    ("alexnet_small", {}),
    ("vgg11_bn_cifar", {}),
    ("nin", {}),
    ("googlenet", {}),
    ("resnet18", {}),
    ("resnet50", {}),
    ("resnet20", {}),
    ("mobilenet_v1", {}),
]


def _zoo_classes():
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"minicnn.models.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, nn.Module) and cls.__module__ == module.__name__:
                yield f"{info.name}.{name}", cls


def test_every_layer_of_the_model_zoo_with_parameters_or_buffers_has_reset_parameters():
    """The zoo's own layers (LeNet's PartialConv2d, LocallyBiasedConv2d, TrainableSubsampling)
    too: without one, the loop would leave their trained values behind without a word."""
    seen, missing = set(), set()
    for name, kwargs in ZOO:
        for layer in models.get(name, **kwargs).modules():
            seen.add(type(layer))
            own = list(layer.parameters(recurse=False)) + list(layer.buffers(recurse=False))
            if own and not callable(getattr(layer, "reset_parameters", None)):
                missing.add(type(layer).__name__)
    assert not missing, f"no reset_parameters(): {sorted(missing)}"
    unbuilt = [name for name, cls in _zoo_classes() if cls not in seen]
    assert not unbuilt, f"add a model that builds {unbuilt} to ZOO"


@pytest.mark.parametrize("name, kwargs", [("lenet1989", {}), ("lenet5", {"variant": "1998"})])
def test_the_reset_loop_on_a_lenet_leaves_nothing_trained(name, kwargs):
    """Every parameter of the LeNets with layers of their own moves back: under the build's
    seed, to exactly the built model, since their default init is each layer's default."""
    mc.manual_seed(87)
    built = models.get(name, **kwargs).state_dict()
    model = models.get(name, **kwargs)
    _disturb(model, 88)
    mc.manual_seed(87)
    _reset_all(model)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, built[key], err_msg=key)


def test_the_reset_loop_is_not_a_models_own_init():
    """resnet20 draws its convolutions with kaiming_normal_(fan_out); the loop gives each
    Conv2d its own default instead, as in PyTorch: building again is what starts it as built."""
    mc.manual_seed(89)
    built = models.resnet20().state_dict()
    model = models.resnet20()
    mc.manual_seed(89)
    _reset_all(model)
    assert not np.array_equal(model.state_dict()["conv1.weight"], built["conv1.weight"])
    mc.manual_seed(89)
    again = models.resnet20().state_dict()
    for key, value in again.items():
        np.testing.assert_array_equal(value, built[key], err_msg=key)


def test_the_reset_loop_leaves_no_trained_state_behind():
    """The finding's model: after a batch, BatchNorm's statistics and affine were left as
    trained; PyTorch's values after the loop: running stats 0 and 1, count 0, weight 1, bias 0."""
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.PReLU(3, init=0.2), nn.LayerNorm(3))
    model(mc.randn(8, 2, seed=81) * 5 + 3)
    _disturb(model, 82)
    bn = model[1]
    weights = [p.data for p in model.parameters()]
    _reset_all(model)
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    assert int(bn.num_batches_tracked.item()) == 0 and bn.num_batches_tracked.dtype == np.int64
    for layer in (bn, model[3]):
        np.testing.assert_array_equal(layer.weight.numpy(), np.ones(3))
        np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(3))
    np.testing.assert_array_equal(model[2].weight.numpy(), np.full(3, 0.2, np.float32))
    assert all(p.data is w for p, w in zip(model.parameters(), weights))  # in place: optimizers keep them


@pytest.mark.parametrize(
    "build",
    [
        lambda: nn.BatchNorm2d(4),
        lambda: nn.BatchNorm1d(2, affine=False, momentum=None),
        lambda: nn.BatchNorm1d(2, track_running_stats=False),
        lambda: nn.LayerNorm((2, 3), dtype=np.float64),
        lambda: nn.LayerNorm(4, bias=False),
        lambda: nn.LayerNorm(4, elementwise_affine=False),
        lambda: nn.GroupNorm(2, 4),
        lambda: nn.GroupNorm(2, 4, affine=False),
        lambda: nn.GroupNorm(1, 3, bias=False, dtype=np.float64),
        lambda: nn.PReLU(),
        lambda: nn.PReLU(5, init=-0.5),
    ],
)
def test_a_reset_layer_equals_a_new_one(build):
    """The state dict of a disturbed layer after reset_parameters() is a new layer's, dtypes
    included (the constructors themselves call reset_parameters())."""
    layer = build()
    _disturb(layer, 83)
    layer.reset_parameters()
    fresh = build().state_dict()
    assert list(layer.state_dict()) == list(fresh)
    for key, value in layer.state_dict().items():
        assert value.dtype == fresh[key].dtype
        np.testing.assert_array_equal(value, fresh[key])


@pytest.mark.parametrize(
    "build",
    [
        lambda: nn.Linear(5, 4),
        lambda: nn.Conv2d(3, 4, 3),
        lambda: nn.ConvTranspose2d(3, 4, 2),
        lambda: nn.DropConnectLinear(5, 4),
        lambda: nn.Embedding(6, 3, padding_idx=2),
    ],
)
def test_random_layers_draw_again_by_the_constructors_path(build):
    """Under one seed a reset draws exactly what the constructor drew (the same generator,
    the same order), so a seeded run resets to its seeded start."""
    mc.manual_seed(84)
    expected = build().state_dict()
    layer = build()
    _disturb(layer, 85)
    mc.manual_seed(84)
    layer.reset_parameters()
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, expected[key])


def test_reset_running_stats_keeps_the_affine():
    bn = nn.BatchNorm1d(3)
    _disturb(bn, 86)
    weight = bn.weight.numpy().copy()
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.weight.numpy(), weight)
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    assert int(bn.num_batches_tracked.item()) == 0
