"""minicnn.viz's saliency and class activation maps on models whose answer is known: a linear
model, a detector of a planted pattern, the zoo's models with a global average pool; the model
is left as it was."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from viz_helpers import NON_BLANK, PlusDetector, planted, png_std  # noqa: E402

import minicnn as mc  # noqa: E402
from minicnn import models, nn, viz  # noqa: E402


def test_saliency_of_a_linear_model_is_its_weights():
    mc.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    x = mc.randn(1, 3, 4, 4, seed=1)
    s = viz.saliency(model, x, target=1)
    expected = np.abs(model[1].weight.numpy()[1].reshape(3, 4, 4)).max(axis=0)
    np.testing.assert_allclose(s, expected, rtol=1e-6)


def test_saliency_is_zero_where_the_input_cannot_matter():
    mc.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)
    )
    weight = model[4].weight.data.reshape(3, 4, 4, 4)  # a view: .numpy() is read-only
    weight[2, :, :, 2:] = 0  # class 2 reads only the left half of the pooled maps
    x = mc.randn(1, 1, 8, 8, seed=2)
    s = viz.saliency(model, x, target=2)
    assert s.shape == (8, 8)
    # pooled columns 0-1 come from input columns 0-3; the 3x3 conv reaches one more
    assert np.all(s[:, 5:] == 0)
    assert np.all(s[:, :4].max(axis=1) > 0)
    fig = viz.plot_map(x, s, title="saliency")
    assert png_std(fig) > NON_BLANK


@pytest.mark.parametrize("row, col", [(11, 4), (3, 12), (8, 8)])
def test_cam_peaks_where_the_pattern_is(row, col):
    model = PlusDetector()
    x = planted(row, col)
    cam = viz.class_activation_map(model, mc.tensor(x), target=0)
    assert cam.shape == (16, 16)
    peak = np.unravel_index(cam.argmax(), cam.shape)
    assert abs(peak[0] - row) <= 1 and abs(peak[1] - col) <= 1
    # one feature cell holds 2 * (5 - 4.5) = 1; bilinear x2 gives its 4 nearest pixels 0.75 ** 2 of it
    assert cam.min() == 0 and cam.max() == pytest.approx(0.5625)
    far = np.abs(np.arange(16)[:, None] - row) + np.abs(np.arange(16)[None, :] - col) > 5
    assert np.all(cam[far] == 0)
    assert png_std(viz.plot_map(x, cam, title="CAM")) > NON_BLANK


def test_cam_of_a_constant_channel_is_flat():
    cam = viz.class_activation_map(PlusDetector(), planted(8, 8), target=1)
    np.testing.assert_allclose(cam, 0.1, rtol=1e-6)


def test_cam_needs_the_pooling_layer():
    with pytest.raises(ValueError, match="no module named 'gap'"):
        viz.class_activation_map(PlusDetector(), planted(8, 8), target=0, pool="gap")


@pytest.mark.parametrize(
    "build, size",
    [
        (lambda: models.resnet20(num_classes=5), 20),
        (lambda: models.googlenet(aux_logits=False, variant="torchvision", num_classes=5), 64),
    ],
)
def test_cam_of_gap_zoo_models_has_the_input_size(build, size):
    mc.manual_seed(0)
    model = build()
    x = mc.randn(1, 3, size, size, seed=0)
    cam = viz.class_activation_map(model, x, target=2)
    assert cam.shape == (size, size) and np.all(np.isfinite(cam)) and cam.std() > 0


def test_cam_takes_the_pooling_by_its_index_in_a_sequential():
    detector = PlusDetector()
    model = nn.Sequential(
        detector.conv, detector.relu, detector.pool, detector.avgpool, nn.Flatten(), detector.fc
    )
    x = planted(11, 4)
    np.testing.assert_array_equal(
        viz.class_activation_map(model, x, 0, pool=3), viz.class_activation_map(model, x, 0, pool="3")
    )
    np.testing.assert_array_equal(
        viz.class_activation_map(model, x, 0, pool=3), viz.class_activation_map(detector, x, 0)
    )
    with pytest.raises(IndexError, match="^class_activation_map: pool=6 is out of range"):
        viz.class_activation_map(model, x, 0, pool=6)


def test_viz_leaves_the_model_as_it_was():
    mc.manual_seed(0)
    model = PlusDetector()
    model.train()
    x = planted(8, 8)
    viz.saliency(model, x, target=0)
    viz.class_activation_map(model, x, target=0)
    plt.close(viz.plot_feature_maps(model, mc.tensor(x), "relu"))
    assert model.training
    assert all(p.grad is None and p.requires_grad for p in model.parameters())
