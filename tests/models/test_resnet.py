import numpy as np
import pytest
from zoo_helpers import count, forward_shape, images, train_steps

import minicnn as mc
from minicnn import models, nn
from minicnn.models.resnet import BasicBlock, Bottleneck, ResNet
from minicnn.models.resnet_cifar import CifarResNet


@pytest.mark.parametrize("build, params", [(models.resnet18, 11_689_512), (models.resnet50, 25_557_032)])
def test_resnet_counts(build, params):
    assert count(build()) == params


@pytest.mark.slow
@pytest.mark.parametrize(
    "build, params",
    [(models.resnet34, 21_797_672), (models.resnet101, 44_549_160), (models.resnet152, 60_192_808)],
)
def test_deep_resnet_counts(build, params):
    assert count(build()) == params


def test_resnet_names_are_torchvision_s():
    keys = list(models.resnet50().state_dict())
    assert keys[:2] == ["conv1.weight", "bn1.weight"]
    assert "layer1.0.downsample.0.weight" in keys and "layer4.2.bn3.running_var" in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]


def test_bottleneck_stride_is_on_the_3x3_conv():
    block = models.resnet50().layer2[0]
    assert block.conv1.stride in (1, (1, 1)) and block.conv2.stride in (2, (2, 2))


def test_zero_init_residual():
    net = models.resnet18(zero_init_residual=True)
    assert all(np.all(b.bn2.weight.numpy() == 0) for b in net.modules() if isinstance(b, BasicBlock))
    assert np.all(models.resnet18().layer1[0].bn2.weight.numpy() == 1)


@pytest.mark.slow
def test_resnet50_forward_at_224():
    assert forward_shape(models.resnet50(), (1, 3, 224, 224)) == (1, 1000)


def test_resnet18_small_input():
    assert forward_shape(models.resnet18(num_classes=10), (2, 3, 32, 32)) == (2, 10)


def test_bottleneck_with_downsample_gradcheck():
    down = nn.Sequential(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
    block = Bottleneck(4, 2, stride=2, downsample=down).double()
    x = images((2, 4, 6, 6), seed=5, dtype=np.float64).requires_grad_()
    assert mc.gradcheck(block, [x], mode="random")


def test_one_block_cifar_resnet_gradcheck():
    net = CifarResNet(1, num_classes=3).double()  # 8 layers: one block per stage
    assert mc.gradcheck(net, [images((2, 3, 8, 8), seed=6, dtype=np.float64)], mode="random")


def test_one_block_imagenet_resnet_shapes():
    net = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=4)
    assert forward_shape(net, (1, 3, 32, 32)) == (1, 4)


def test_one_block_resnet_trains():
    net = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)
    before, after = train_steps(net, (4, 3, 8, 8), 10, lr=0.02)
    assert after < 0.8 * before


@pytest.mark.parametrize(
    "build, params, paper",
    [
        (models.resnet20, 269_722, "0.27"),
        (models.resnet32, 464_154, "0.46"),
        (models.resnet44, 658_586, "0.66"),
        (models.resnet56, 853_018, "0.85"),
        (models.resnet110, 1_727_962, "1.7"),
        (models.resnet1202, 19_421_274, "19.4"),
    ],
)
def test_cifar_resnet_counts_round_to_the_papers_table_6(build, params, paper):
    """minicnn's count, and that count in millions at the precision Table 6 prints it."""
    n = count(build())
    assert n == params
    assert f"{n / 1e6:.{len(paper.split('.')[1])}f}" == paper


def test_cifar_resnet20_matches_the_paper():
    net = models.resnet20()
    assert count(net) == 269_722  # "0.27M"
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == 20  # 6n + 2 with the fc
    assert not any("shortcut" in k for k in net.state_dict())  # option A: no parameters
    assert forward_shape(net, (2, 3, 32, 32)) == (2, 10)


@pytest.mark.parametrize(
    "build, n", [(models.resnet32, 5), (models.resnet44, 7), (models.resnet56, 9), (models.resnet110, 18)]
)
def test_cifar_depths(build, n):
    net = build()
    assert sum(isinstance(m, nn.Conv2d) for m in net.modules()) + 1 == 6 * n + 2


def test_option_a_shortcut_subsamples_and_pads_zeros():
    from minicnn.models.resnet_cifar import ShortcutA

    x = images((1, 16, 8, 8), seed=7)
    y = ShortcutA(16, 32, 2)(x).numpy()
    assert y.shape == (1, 32, 4, 4)
    assert np.all(y[:, :8] == 0) and np.all(y[:, 24:] == 0)
    np.testing.assert_array_equal(y[:, 8:24], x.numpy()[:, :, ::2, ::2])


def test_plain_net_has_no_shortcuts_and_differs():
    mc.manual_seed(1)
    res = models.resnet20()
    mc.manual_seed(1)
    plain = models.resnet20(plain=True)
    assert count(res) == count(plain)
    res.eval(), plain.eval()
    x = images((1, 3, 32, 32))
    with mc.no_grad():
        assert not np.allclose(res(x).numpy(), plain(x).numpy())


def test_cifar_resnet_trains():
    before, after = train_steps(CifarResNet(1), (8, 3, 8, 8), 10, lr=0.05)
    assert after < 0.8 * before


@pytest.mark.slow
def test_resnet1202_runs_forward_and_backward():
    net = models.resnet1202()
    assert sum(isinstance(m, nn.Conv2d) for m in net.modules()) + 1 == 1202
    out = net(images((2, 3, 32, 32)))
    out.sum().backward()
    assert net.conv1.weight.grad is not None and np.isfinite(net.conv1.weight.grad.numpy()).all()
