import numpy as np
import pytest
from zoo_helpers import count, forward_shape, images, train_steps

import minicnn as mc
from minicnn import models, nn


def test_mobilenet_v1_has_4_2m_parameters():
    net = models.mobilenet_v1()
    assert count(net) == 4_231_976
    depthwise = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.groups > 1]
    assert len(depthwise) == 13 and all(m.groups == m.weight.shape[0] for m in depthwise)


@pytest.mark.parametrize(
    "width, params, paper",
    [(1.0, 4_231_976, "4.2"), (0.75, 2_585_560, "2.6"), (0.5, 1_331_592, "1.3"), (0.25, 470_072, "0.5")],
)
def test_counts_round_to_the_papers_table_6(width, params, paper):
    """minicnn's count at each width of Table 6 (MobileNet-224, 1000 classes), and that count
    in millions at the precision the table prints it."""
    n = count(models.mobilenet_v1(width_mult=width))
    assert n == params
    assert f"{n / 1e6:.1f}" == paper


def test_width_multiplier_thins_every_layer():
    assert count(models.mobilenet_v1(width_mult=0.5)) < 0.35 * count(models.mobilenet_v1())
    with pytest.raises(ValueError, match="width_mult"):
        models.mobilenet_v1(width_mult=0)


def test_shapes_at_32_and_224():
    assert forward_shape(models.mobilenet_v1(0.25, num_classes=10), (2, 3, 32, 32)) == (2, 10)


@pytest.mark.slow
def test_forward_at_224():
    assert forward_shape(models.mobilenet_v1(), (1, 3, 224, 224)) == (1, 1000)


def test_mobilenet_trains():
    # NOTE: plain SGD: with momentum 0.9 these 10 steps on one batch of 4 (batch norm
    # over 4 values in the last layers) overshoot for some seeds and float32 roundings
    before, after = train_steps(
        models.mobilenet_v1(0.125, num_classes=10), (4, 3, 16, 16), 10, steps=10, lr=0.1, momentum=0.0
    )
    assert after < 0.8 * before


def test_registry():
    names = models.list_models()
    assert "resnet1202" in names and "mobilenet_v1" in names and "lenet1989" in names
    assert count(models.get("resnet20", num_classes=4)) == 269_722 - 6 * 65 + 0
    with pytest.raises(ValueError, match="unknown model 'resnet7'"):
        models.get("resnet7")


@pytest.mark.slow
def test_whole_model_gradcheck_on_a_tiny_input():
    mc.manual_seed(51)
    net = models.mobilenet_v1(width_mult=0.25, num_classes=3).double().eval()
    rng = np.random.default_rng(51)
    for m in net.modules():  # BN's running statistics off their defaults, so eval mode is not a no-op
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.data[...] = rng.uniform(-0.1, 0.1, m.running_mean.shape)
            m.bias.data[...] = rng.uniform(0.05, 0.2, m.bias.shape)  # ReLUs off their kinks
    # NOTE: a step of 1e-8, as for the other whole models: at 1e-6 one of the many first-layer
    # outputs can cross a ReLU's kink
    x = images((1, 3, 32, 32), seed=51, dtype=np.float64)
    assert mc.gradcheck(net, [x], mode="random", eps=1e-8)
