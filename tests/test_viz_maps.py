"""minicnn.viz's maps of the evidence (saliency, CAM, Grad-CAM) against hand computations,
the heads a CAM exists for, and what each refuses."""

import re

import numpy as np
import pytest

import minicnn as mc
from minicnn import models, nn, viz
from minicnn.models.nin import NIN
from minicnn.viz.maps import _resize


def one_line(error):
    said = str(error.value)
    assert "\n" not in said
    return said


# --- bilinear upsampling ------------------------------------------------------
def test_resize_is_bilinear_with_pixel_centres():
    # 2 -> 4 with align_corners=False: output centres sit at input coordinates
    # -0.25, 0.25, 0.75, 1.25, clamped to [0, 1]
    a = np.array([[0.0, 4.0], [8.0, 12.0]])
    row = [0.0, 1.0, 3.0, 4.0]
    expected = np.array([[v + 8 * f for v in row] for f in (0.0, 0.25, 0.75, 1.0)])
    np.testing.assert_allclose(_resize(a, 4, 4), expected, rtol=0, atol=1e-12)
    b = np.random.default_rng(7).normal(size=(5, 3))
    np.testing.assert_array_equal(_resize(b, 5, 3), b)  # the same size is the map itself


# --- class activation maps: the heads that have one ------------------------------
def test_cam_of_resnet20_is_the_hand_cam():
    mc.manual_seed(11)
    model = models.resnet20(num_classes=10)
    x = mc.randn(1, 3, 32, 32, seed=12)
    with mc.no_grad():
        model.eval()
        F = model.layer3(model.layer2(model.layer1(model.relu(model.bn1(model.conv1(x)))))).numpy()[0]
        logits = model(x).numpy()[0]
    w, b = model.fc.weight.numpy()[4], model.fc.bias.numpy()[4]
    hand = np.tensordot(w, F, axes=1)  # sum_k w[c, k] F_k at 8x8
    assert logits[4] == pytest.approx(hand.mean() + b, rel=1e-4)  # the paper's identity
    model.train()
    np.testing.assert_allclose(
        viz.class_activation_map(model, x, 4), _resize(hand, 32, 32), rtol=1e-5, atol=1e-6
    )


def test_cam_of_nin_is_its_class_map():
    mc.manual_seed(13)
    model = NIN(num_classes=4, widths=((8, 8, 8), (8, 8, 8), (8, 8)))  # narrow: quick
    x = mc.randn(1, 3, 16, 16, seed=14)
    with mc.no_grad():
        model.eval()
        maps = model.features(x).numpy()[0, 3]
    cam = viz.class_activation_map(model, x, target=3)
    np.testing.assert_array_equal(cam, _resize(maps, 16, 16))


class TwoFC(nn.Module):
    """conv -> GAP -> Linear -> ReLU -> Linear: no CAM exists (Zhou et al. 2016, section 2)."""

    def __init__(self, hidden=8):
        super().__init__()
        self.conv, self.relu = nn.Conv2d(1, 8, 3, padding=1), nn.ReLU()
        self.avgpool, self.flatten = nn.AdaptiveAvgPool2d(1), nn.Flatten()
        self.fc1, self.act, self.fc2 = nn.Linear(8, hidden), nn.ReLU(), nn.Linear(hidden, 4)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.flatten(self.avgpool(self.relu(self.conv(x)))))))


@pytest.mark.parametrize(
    "build, shape, head",
    [
        (
            lambda: models.alexnet_small(num_classes=10),
            (1, 3, 32, 32),
            r"AlexNet's head is 'avgpool' \(Identity, maps \(256, 3, 3\) to \(256, 3, 3\): not one average "
            r"per map\) -> classifier.0 Dropout -> classifier.1 Linear\(2304->1024\) -> ",
        ),
        (
            lambda: models.vgg11_bn_cifar(num_classes=10),
            (1, 3, 32, 32),
            r"VGG's head is 'avgpool' \(Identity\) -> classifier.0 Linear\(512->512\) -> "
            r"classifier.1 ReLU -> classifier.2 Dropout -> classifier.3 Linear\(512->10\);",
        ),
        (
            TwoFC,
            (1, 1, 8, 8),
            r"TwoFC's head is 'avgpool' \(AdaptiveAvgPool2d\) -> flatten Flatten -> fc1 Linear\(8->8\) -> "
            r"act ReLU -> fc2 Linear\(8->4\);",
        ),
    ],
)
def test_cam_refuses_a_head_that_has_none(build, shape, head):
    mc.manual_seed(15)
    model = build()
    x = mc.randn(*shape, seed=16)
    with pytest.raises(ValueError) as caught:
        viz.class_activation_map(model, x, 3)
    said = one_line(caught)
    assert said.startswith("class_activation_map: ")
    assert said.endswith(
        "a CAM needs global average pooling followed directly by one Linear layer "
        "(Zhou et al. 2016); viz.grad_cam works behind any head"
    )
    assert re.search(head, said), said


class CosineLinear(nn.Linear):
    """A cosine classifier: the scores of the input scaled to unit length, not w x + b."""

    def forward(self, x):
        return super().forward(x / (x * x).sum(axis=1, keepdim=True) ** 0.5)


def test_cam_checks_the_score_is_the_maps_mean_plus_the_bias():
    mc.manual_seed(17)
    model = TwoFC()
    model.fc2 = CosineLinear(8, 4)  # forward's fc2 now reads the pooled vector itself
    model.fc1 = model.act = nn.Identity()
    x = mc.randn(1, 1, 8, 8, seed=18)
    with pytest.raises(ValueError) as caught:
        viz.class_activation_map(model, x, 2)
    said = one_line(caught)
    assert said.startswith("class_activation_map: TwoFC's score for class 2 is ")
    assert "but the map's mean plus the bias is " in said
    model.fc2 = nn.Linear(8, 4)  # the same head with a plain Linear has its CAM
    assert viz.class_activation_map(model, x, 2).shape == (8, 8)


def test_cam_of_a_pool_the_forward_does_not_run_says_so():
    class FunctionalPool(TwoFC):
        def forward(self, x):
            return self.fc2(self.relu(self.conv(x)).mean(axis=(2, 3)))

    mc.manual_seed(19)
    with pytest.raises(ValueError) as caught:
        viz.class_activation_map(FunctionalPool(), mc.randn(1, 1, 8, 8, seed=20), 0)
    assert one_line(caught) == (
        "class_activation_map: module 'avgpool' was not run by FunctionalPool's forward in eval mode "
        "(an auxiliary head, or a layer the forward does not call); name one that it runs"
    )


# --- Grad-CAM -----------------------------------------------------------------
class ConvLinear(nn.Module):
    """conv (3 maps, same size) -> ReLU -> flatten -> Linear: d score / d A is the Linear's row."""

    def __init__(self):
        super().__init__()
        self.conv, self.act = nn.Conv2d(1, 3, 3, padding=1), nn.ReLU()
        self.flatten, self.fc = nn.Flatten(), nn.Linear(3 * 6 * 6, 4)

    def forward(self, x):
        return self.fc(self.flatten(self.act(self.conv(x))))


@pytest.mark.parametrize("relu", [True, False])
def test_grad_cam_is_the_hand_computation(relu):
    mc.manual_seed(21)
    model = ConvLinear()
    x = mc.randn(1, 1, 6, 6, seed=22)
    with mc.no_grad():
        A = model.act(model.conv(x)).numpy()[0]  # (3, 6, 6)
    alpha = model.fc.weight.numpy()[2].reshape(3, 6, 6).mean(axis=(1, 2))  # eq. 1
    hand = np.tensordot(alpha, A, axes=1)  # eq. 2, before its ReLU
    hand = np.maximum(hand, 0) if relu else hand
    cam = viz.grad_cam(model, x, 2, "act", relu=relu)
    np.testing.assert_allclose(cam, hand, rtol=1e-5, atol=1e-6)  # at the image's size: no resize
    assert (cam < 0).any() != relu
    assert all(p.grad is None and p.requires_grad for p in model.parameters())


def test_grad_cam_at_the_last_conv_of_a_gap_net_is_the_cam_over_hw():
    mc.manual_seed(23)
    model = models.resnet20(num_classes=10)
    x = mc.randn(1, 3, 32, 32, seed=24)
    cam = viz.class_activation_map(model, x, 5)
    np.testing.assert_allclose(
        viz.grad_cam(model, x, 5, "layer3", relu=False), cam / 64, rtol=1e-4, atol=1e-6
    )


def test_grad_cam_and_saliency_record_gradients_inside_no_grad():
    mc.manual_seed(25)
    model = ConvLinear()
    x = mc.randn(1, 1, 6, 6, seed=26)
    outside = viz.grad_cam(model, x, 1, "act"), viz.saliency(model, x, 1)
    with mc.no_grad():
        inside = viz.grad_cam(model, x, 1, "act"), viz.saliency(model, x, 1)
        assert not mc.is_grad_enabled()
    for a, b in zip(outside, inside):
        np.testing.assert_array_equal(a, b)
    assert outside[1].max() > 0


@pytest.mark.parametrize(
    "layer, error, message",
    [
        ("fc", ValueError, r"^grad_cam: 'fc' gives shape \(1, 4\), not maps \(1, K, h, w\)$"),
        ("conv9", ValueError, "^grad_cam: the model has no module named 'conv9'"),
    ],
)
def test_grad_cam_names_a_layer_without_maps(layer, error, message):
    mc.manual_seed(27)
    with pytest.raises(error, match=message):
        viz.grad_cam(ConvLinear(), mc.randn(1, 1, 6, 6, seed=28), 0, layer)


# --- what the maps refuse -----------------------------------------------------
@pytest.mark.parametrize("target", [2.7, 2.0, True, "3", np.array([3]), None])
@pytest.mark.parametrize("name", ["saliency", "class_activation_map", "grad_cam"])
def test_a_class_index_is_an_int(name, target):
    mc.manual_seed(29)
    model = TwoFC()
    x = mc.randn(1, 1, 8, 8, seed=30)
    args = (model, x, target) + (("conv",) if name == "grad_cam" else ())
    with pytest.raises(TypeError) as caught:
        getattr(viz, name)(*args)
    assert one_line(caught) == (
        f"{name}: target is a class index (an int), got {type(target).__name__} {target!r}"
    )


@pytest.mark.parametrize("target", [np.int64(3), np.array(3, dtype=np.int32)])
def test_numpy_integers_are_class_indices(target):
    mc.manual_seed(31)
    model = TwoFC()
    x = mc.randn(1, 1, 8, 8, seed=32)
    np.testing.assert_array_equal(viz.saliency(model, x, target), viz.saliency(model, x, 3))
    with pytest.raises(ValueError, match="^saliency: target 4 is not a class of this model's 4$"):
        viz.saliency(model, x, np.int64(4))


def test_a_layer_the_forward_does_not_run_is_named():
    mc.manual_seed(33)
    model = models.googlenet(aux_logits=True, variant="torchvision", num_classes=5)
    x = mc.randn(1, 3, 64, 64, seed=34)
    for call in (
        lambda: viz.plot_feature_maps(model, x, "aux1.conv"),
        lambda: viz.grad_cam(model, x, 0, "aux1.conv"),
    ):
        with pytest.raises(ValueError) as caught:
            call()
        said = one_line(caught)
        assert "module 'aux1.conv' was not run by GoogLeNet's forward in eval mode" in said


def test_a_module_that_runs_twice_has_no_one_output():
    mc.manual_seed(35)
    model = models.resnet20(num_classes=10)  # each block calls its relu twice
    with pytest.raises(ValueError) as caught:
        viz.grad_cam(model, mc.randn(1, 3, 32, 32, seed=36), 0, "layer1.0.relu")
    assert one_line(caught) == (
        "grad_cam: module 'layer1.0.relu' runs 2 times in one forward pass of CifarResNet, "
        "so it has no one output to show; name a module that runs once"
    )


def test_each_module_keeps_its_own_mode():
    mc.manual_seed(37)
    model = models.resnet20(num_classes=10)
    model.train()
    model.bn1.eval()  # a BatchNorm frozen while the rest fine-tunes
    model.layer2[1].eval()
    before = {name: m.training for name, m in model.named_modules()}
    x = mc.randn(1, 3, 32, 32, seed=38)
    viz.saliency(model, x, 1)
    viz.class_activation_map(model, x, 1)
    viz.grad_cam(model, x, 1, "layer3")
    viz.plot_feature_maps(model, x, "layer2").clear()
    assert {name: m.training for name, m in model.named_modules()} == before
    assert not model.bn1.training and model.layer1[0].bn1.training
