import numpy as np
import pytest
from zoo_helpers import count, forward_shape, images, train_steps

import minicnn as mc
from minicnn import models, nn


@pytest.mark.slow
def test_alexnet_paper_has_60965224_parameters_and_two_towers():
    net = models.alexnet("paper")
    assert count(net) == 60_965_224
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [m.groups for m in convs] == [1, 2, 1, 2, 2]
    lrn = [m for m in net.modules() if isinstance(m, nn.LocalResponseNorm)]
    assert len(lrn) == 2 and all(m.alpha == pytest.approx(5e-4) and m.k == 2 for m in lrn)


@pytest.mark.slow
def test_alexnet_paper_starts_as_section_5_says():
    mc.manual_seed(0)
    net = models.alexnet("paper")
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    fcs = [m for m in net.classifier if isinstance(m, nn.Linear)]
    for m in convs + fcs:  # N(0, 0.01^2): the smallest layer, conv1, has 34,848 draws
        w = m.weight.numpy()
        assert abs(w.std() / 0.01 - 1) < 0.02 and abs(w.mean()) < 1e-3
    ones = [convs[1], convs[3], convs[4], fcs[0], fcs[1]]
    assert all((m.bias.numpy() == 1).all() for m in ones)
    assert all((m.bias.numpy() == 0).all() for m in (convs[0], convs[2], fcs[2]))


@pytest.mark.slow
def test_alexnet_torchvision_count_and_names():
    net = models.alexnet("torchvision")
    assert count(net) == 61_100_840
    keys = list(net.state_dict())
    assert keys[:2] == ["features.0.weight", "features.0.bias"]
    assert keys[-1] == "classifier.6.bias"


@pytest.mark.slow
@pytest.mark.parametrize("variant, size", [("paper", 227), ("torchvision", 224)])
def test_alexnet_native_forward(variant, size):
    assert forward_shape(models.alexnet(variant), (1, 3, size, size)) == (1, 1000)


@pytest.mark.slow
@pytest.mark.parametrize(
    "build, params, paper",
    [
        (models.vgg11, 132_863_336, 133),
        (models.vgg13, 133_047_848, 133),
        (models.vgg16, 138_357_544, 138),
        (models.vgg19, 143_667_240, 144),
        (models.vgg11_bn, 132_868_840, None),
        (models.vgg13_bn, 133_053_736, None),
        (models.vgg16_bn, 138_365_992, None),
        (models.vgg19_bn, 143_678_248, None),
    ],
)
def test_vgg_counts(build, params, paper):
    """torchvision's counts; rounded to millions, Table 2's (the _bn variants are not in it)."""
    n = count(build())
    assert n == params
    assert paper is None or round(n / 1e6) == paper


def test_vgg_configs_follow_table_one():
    from minicnn.models.vgg import CONFIGS

    convs = {k: sum(v != "M" for v in c) for k, c in CONFIGS.items()}
    assert convs == {"A": 8, "B": 10, "D": 13, "E": 16}
    assert all(c.count("M") == 5 for c in CONFIGS.values())


def test_small_nets_shapes():
    assert forward_shape(models.alexnet_small(), (2, 3, 32, 32)) == (2, 10)
    assert forward_shape(models.vgg11_bn_cifar(num_classes=5), (2, 3, 32, 32)) == (2, 5)


def test_alexnet_family_trains():
    """AlexNet's code path (LRN, overlapping pools, dropout) at a width that trains in seconds."""
    from minicnn.models.alexnet import AlexNet, _lrn

    features = nn.Sequential(
        nn.Conv2d(3, 8, 5, padding=2),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(8, 16, 3, padding=1, groups=2),
        nn.ReLU(),
        _lrn(),
        nn.MaxPool2d(3, 2),
    )
    classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(16 * 3 * 3, 32), nn.ReLU(), nn.Linear(32, 10))
    before, after = train_steps(AlexNet(features, nn.Identity(), classifier), (8, 3, 16, 16), 10, lr=0.1)
    assert after < 0.8 * before


def test_vgg_family_trains():
    from minicnn.models.vgg import VGG, make_features

    classifier = nn.Sequential(nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10))
    net = VGG(make_features([8, "M", 16, 16, "M"], batch_norm=True), nn.Identity(), classifier)
    before, after = train_steps(net, (8, 3, 16, 16), 10, lr=0.05)
    assert after < 0.8 * before


@pytest.mark.slow
def test_vgg11_bn_cifar_trains():
    before, after = train_steps(models.vgg11_bn_cifar(), (4, 3, 32, 32), 10, lr=0.02, steps=10)
    assert after < 0.8 * before


def test_wrong_input_size_names_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2d at 'features\.\d+'.*larger"):
        models.vgg11_bn_cifar().eval()(images((1, 3, 16, 16)))
    with pytest.raises(ValueError, match=r"features\.\d+"):
        models.alexnet_small()(images((1, 3, 8, 8)))


def test_unknown_variant():
    with pytest.raises(ValueError, match="expected 'paper' or 'torchvision'"):
        models.alexnet("caffe")


@pytest.mark.parametrize(
    "build, size, features",
    [
        (lambda: models.resnet18(num_classes=10), 32, (2, 512, 1, 1)),
        (lambda: models.vgg11(num_classes=10), 32, (2, 512, 7, 7)),
        (lambda: models.alexnet_small(), 32, (2, 256, 3, 3)),
        (
            lambda: models.googlenet(num_classes=10, aux_logits=False, variant="torchvision"),
            64,
            (2, 1024, 1, 1),
        ),
    ],
)
def test_the_children_but_the_last_keep_the_pooled_maps_as_torchvisions(build, size, features):
    """``nn.Sequential(*list(model.children())[:-1])``, the feature-extractor idiom: these nets
    flatten in forward, as torchvision's, so no Flatten child sits before the classifier."""
    model = build()
    assert "flatten" not in dict(model.named_children())
    assert forward_shape(nn.Sequential(*list(model.children())[:-1]), (2, 3, size, size)) == features


def _biases_off_the_kinks(net, seed):
    """Zero biases can put a ReLU's input exactly on its kink, where finite differences
    and the gradient disagree; small positive ones keep the check about the layers."""
    rng = np.random.default_rng(seed)
    for name, p in net.named_parameters():
        if name.endswith("bias"):
            p.data[...] = rng.uniform(0.05, 0.2, p.shape)
    return net


@pytest.mark.slow
@pytest.mark.parametrize("build", [models.alexnet_small, models.vgg11_bn_cifar])
def test_whole_model_gradcheck_on_a_tiny_input(build):
    mc.manual_seed(49)
    net = _biases_off_the_kinks(build(num_classes=3).double().eval(), seed=49)
    # NOTE: a step of 1e-8: a random direction moves every one of the first layer's 65,536
    # outputs, and at 1e-6 one of them crosses a ReLU's kink or a pool's tie (2-5% off)
    x = images((1, 3, 32, 32), seed=49, dtype=np.float64)
    # one random direction per tensor: a wrong gradient g' differs from g along a random v
    # with probability 1, and each direction costs two float64 forwards of the whole net
    assert mc.gradcheck(net, [x], mode="random", eps=1e-8, directions=1)


def test_vgg_starts_from_torchvisions_initialisation():
    mc.manual_seed(50)
    net = models.vgg11_bn_cifar()
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
            assert np.std(m.weight.numpy()) == pytest.approx(np.sqrt(2 / fan_out), rel=0.1)
            assert not m.bias.numpy().any()
        elif isinstance(m, nn.Linear):
            assert np.std(m.weight.numpy()) == pytest.approx(0.01, rel=0.1)
            assert not m.bias.numpy().any()
