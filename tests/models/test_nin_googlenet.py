import numpy as np
import pytest
from zoo_helpers import count, forward_shape, images, train_steps

import minicnn as mc
import minicnn.functional as F
from minicnn import models, nn
from minicnn.models.googlenet import Inception, InceptionAux
from minicnn.models.nin import NIN


def test_nin_has_no_fully_connected_layer():
    net = models.nin()
    assert not any(isinstance(m, nn.Linear) for m in net.modules())
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [m.weight.shape[:2] for m in convs] == [
        (192, 3),
        (160, 192),
        (96, 160),
        (192, 96),
        (192, 192),
        (192, 192),
        (192, 192),
        (192, 192),
        (10, 192),
    ]
    assert count(net) == 966_986
    assert forward_shape(net, (2, 3, 32, 32)) == (2, 10)


THIN = ((8, 6, 4), (8, 8, 8), (8, 8))  # the same net, narrower, for quick checks


def test_nin_gradcheck():
    net = NIN(num_classes=3, widths=THIN).double().eval()
    # NOTE: zero biases put whole 1x1 outputs exactly on the ReLU kink; move them off it
    rng = np.random.default_rng(0)
    for name, p in net.named_parameters():
        if name.endswith("bias"):
            p.data[...] = rng.uniform(0.05, 0.2, p.shape)
    assert mc.gradcheck(net, [images((1, 3, 8, 8), seed=3, dtype=np.float64)], mode="random")


def test_nin_trains():
    widths = ((24, 16, 16), (24, 24, 24), (24, 24))
    before, after = train_steps(NIN(widths=widths), (8, 3, 16, 16), 10, lr=0.02)
    assert after < 0.8 * before


def test_googlenet_torchvision_counts():
    assert count(models.googlenet(aux_logits=False, variant="torchvision")) == 6_624_904
    assert count(models.googlenet(aux_logits=True, variant="torchvision")) == 13_004_888


def test_googlenet_paper_counts_are_minicnns_own():
    """The paper prints no exact total (Table 1 rounds per layer), so these pin the count
    minicnn's docs quote for the paper variant, with and without the auxiliary heads."""
    assert count(models.googlenet(aux_logits=False, variant="paper")) == 6_998_552
    assert count(models.googlenet(aux_logits=True, variant="paper")) == 13_378_280


def test_googlenet_paper_structure():
    net = models.googlenet(variant="paper")
    names = [n for n, _ in net.named_children()]
    for name in (
        "conv1",
        "maxpool1",
        "conv2",
        "conv3",
        "maxpool2",
        "inception3a",
        "inception5b",
        "avgpool",
        "dropout",
        "fc",
        "aux1",
        "aux2",
    ):
        assert name in names
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in net.modules()) == 2
    assert net.inception3a.branch3[1].conv.weight.shape == (32, 16, 5, 5)
    assert net.dropout.p == 0.4 and net.aux1.dropout.p == 0.7
    assert net.aux1.conv.conv.weight.shape == (128, 512, 1, 1)
    assert net.aux1.fc1.weight.shape == (1024, 2048)


def test_googlenet_torchvision_train_returns_aux_and_eval_logits():
    net = models.googlenet(variant="torchvision", num_classes=10)
    net.train()
    out = net(images((2, 3, 32, 32)))
    assert isinstance(out, tuple) and [o.shape for o in out] == [(2, 10)] * 3
    assert forward_shape(net, (2, 3, 32, 32)) == (2, 10)


@pytest.mark.slow
def test_googlenet_paper_native_forward():
    net = models.googlenet(variant="paper")
    assert forward_shape(net, (1, 3, 224, 224)) == (1, 1000)


class Tiny(nn.Module):
    """One inception module with an aux head: the GoogLeNet code path at a tiny width."""

    def __init__(self, tv, num_classes=3, dropout=0.0):
        super().__init__()
        self.inception = Inception(4, 2, 2, 3, 1, 2, 2, batch_norm=tv, kernel5=3 if tv else 5)
        self.aux = InceptionAux(
            9, num_classes, batch_norm=tv, adaptive=tv, dropout=dropout, width=2, hidden=5
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(9, num_classes)

    def forward(self, x):
        y = self.inception(x)
        logits = self.fc(F.flatten(self.pool(y), 1))
        return (logits, self.aux(y)) if self.training else logits


@pytest.mark.parametrize("variant", ["paper", "torchvision"])
def test_inception_with_aux_head_gradcheck(variant):
    tv = variant == "torchvision"
    net = Tiny(tv).double()
    if tv:
        net.eval()
    size = 6 if tv else 14  # 5x5/3 average pool: 14 -> 4
    x = images((2, 4, size, size), seed=4, dtype=np.float64).requires_grad_()
    assert mc.gradcheck(net, [x], mode="random")


def test_inception_net_trains_with_aux_loss():
    net = Tiny(True, num_classes=10, dropout=0.7)
    y = mc.tensor(np.arange(8) % 10)

    def loss(out):
        logits, aux = out
        return F.cross_entropy(logits, y) + 0.3 * F.cross_entropy(aux, y)

    before, after = train_steps(net, (8, 4, 8, 8), 10, lr=0.1, loss_fn=loss)
    assert after < 0.8 * before


def test_googlenet_wrong_input_size_names_the_layer():
    net = models.googlenet(variant="torchvision").eval()
    with pytest.raises(ValueError, match=r"maxpool3"):
        net(images((1, 3, 8, 8)))


def test_googlenet_transform_input_is_torchvisions_renormalisation():
    """With ImageNet-normalised x, channel c goes to x * std_c / 0.5 + (mean_c - 0.5) / 0.5:
    the input torchvision's pretrained GoogLeNet was trained on."""
    mc.manual_seed(52)
    plain = models.googlenet(variant="torchvision", aux_logits=False, num_classes=4).double().eval()
    moved = models.googlenet(variant="torchvision", aux_logits=False, num_classes=4, transform_input=True)
    moved = moved.double().eval()
    moved.load_state_dict(plain.state_dict())
    x = np.random.default_rng(52).standard_normal((2, 3, 40, 40))
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    by_hand = x * (std / 0.5)[:, None, None] + ((mean - 0.5) / 0.5)[:, None, None]
    with mc.no_grad():
        np.testing.assert_allclose(moved(mc.tensor(x)).numpy(), plain(mc.tensor(by_hand)).numpy(), rtol=1e-12)
    with pytest.raises(
        ValueError, match="googlenet: transform_input is torchvision's, for variant='torchvision'"
    ):
        models.googlenet(transform_input=True)


def test_googlenet_torchvision_variant_starts_from_torchvisions_initialisation():
    mc.manual_seed(53)
    net = models.googlenet(variant="torchvision", aux_logits=False)
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            assert np.std(m.weight.numpy()) == pytest.approx(0.01, rel=0.15), m
