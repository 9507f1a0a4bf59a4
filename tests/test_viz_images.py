"""minicnn.viz's pictures of data and layers: images, filters, feature maps and the confusion
matrix render to a non-blank PNG of the right data, and a wrong input is named before drawing."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from viz_helpers import NON_BLANK, PlusDetector, planted, png_std  # noqa: E402

import minicnn as mc  # noqa: E402
from minicnn import models, nn, viz  # noqa: E402
from minicnn.data import DataLoader, TensorDataset  # noqa: E402
from minicnn.train import evaluate  # noqa: E402


def test_show_images_one_panel_per_image():
    images = np.random.default_rng(0).uniform(0, 1, (5, 3, 8, 8))
    fig = viz.show_images(images, labels=list("abcde"), ncols=4)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 5 and [ax.get_title() for ax in drawn] == list("abcde")
    np.testing.assert_allclose(
        drawn[0].images[0].get_array(),
        images[0].transpose(1, 2, 0) / images[0].max() - images[0].min() / images[0].max(),
        atol=0.02,
    )
    assert png_std(fig) > NON_BLANK


@pytest.mark.parametrize("in_channels", [1, 3])
def test_plot_filters_one_image_per_kernel(in_channels):
    mc.manual_seed(0)
    conv = nn.Conv2d(in_channels, 6, 5)
    fig = viz.plot_filters(conv)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 6
    assert drawn[0].images[0].get_array().shape[:2] == (5, 5)
    w = conv.weight.numpy()[4]
    shown = w[0] if in_channels == 1 else w.transpose(1, 2, 0)
    np.testing.assert_allclose(
        drawn[4].images[0].get_array(), (shown - shown.min()) / (shown.max() - shown.min()), atol=1e-5
    )
    assert fig._suptitle.get_text() == f"6 filters of ({in_channels}, 5, 5)"
    assert png_std(fig) > NON_BLANK


def test_plot_filters_of_many_input_channels_draws_and_names_each_filters_norm():
    mc.manual_seed(1)
    conv = models.lenet5()[3]  # C3: 16 filters, each 6 kernels of 5x5
    fig = viz.plot_filters(conv)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 16
    assert (
        fig._suptitle.get_text()
        == "16 filters of (6, 5, 5), each drawn as its norm over the 6 input channels"
    )
    norm = np.sqrt((conv.weight.numpy()[9].astype(np.float64) ** 2).sum(axis=0))
    np.testing.assert_allclose(
        drawn[9].images[0].get_array(), (norm - norm.min()) / (norm.max() - norm.min()), atol=1e-6
    )
    assert png_std(fig) > NON_BLANK


def test_feature_maps_title_names_the_layer_not_the_input():
    mc.manual_seed(0)
    model = models.lenet5()
    x = mc.randn(1, 1, 28, 28, seed=2)
    fig = viz.plot_feature_maps(model, x, "4", max_maps=8)  # the ReLU after C3: 16 maps of 10x10
    assert (
        fig._suptitle.get_text() == "layer '4' (ReLU): the first 8 of 16 maps of 10x10, each on its own scale"
    )
    fig = viz.plot_feature_maps(model, x, 3, title="C3")
    assert fig._suptitle.get_text() == "C3"
    plt.close("all")


def test_plot_feature_maps_shows_the_layer_output():
    mc.manual_seed(0)
    model = models.lenet5()
    x = mc.randn(1, 1, 28, 28, seed=0)
    fig = viz.plot_feature_maps(model, x, "1")  # the ReLU after the first conv
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 6
    with mc.no_grad():
        first = model[1](model[0](x)).numpy()[0, 0]
    shown = np.asarray(drawn[0].images[0].get_array())
    np.testing.assert_allclose(shown, (first - first.min()) / (first.max() - first.min() + 1e-12), atol=1e-5)
    assert png_std(fig) > NON_BLANK


def test_feature_maps_of_an_unknown_layer_names_the_layers():
    with pytest.raises(ValueError, match="no module named 'conv9'.*conv, relu"):
        viz.plot_feature_maps(PlusDetector(), planted(8, 8), "conv9")


@pytest.mark.parametrize("layer", [1, -11, np.int64(1)])
def test_feature_maps_of_a_sequential_take_its_index_as_model_i_does(layer):
    mc.manual_seed(0)
    model = models.lenet5()  # a Sequential of 12: 1 is the ReLU after the first conv
    x = mc.randn(1, 1, 28, 28, seed=0)
    by_name, by_index = viz.plot_feature_maps(model, x, "1"), viz.plot_feature_maps(model, x, layer)
    shown = [
        [np.asarray(ax.images[0].get_array()) for ax in f.axes if ax.images] for f in (by_name, by_index)
    ]
    assert len(shown[1]) == 6
    for a, b in zip(*shown):
        np.testing.assert_array_equal(a, b)
    # NOTE: _suptitle, as get_suptitle() needs matplotlib 3.8
    title = "layer '1' (ReLU): 6 maps of 28x28, each on its own scale"
    assert by_index._suptitle.get_text() == by_name._suptitle.get_text() == title
    plt.close("all")


def test_a_layer_index_names_what_it_can_index():
    model = models.lenet5()
    x = np.zeros((1, 1, 28, 28), np.float32)
    with pytest.raises(
        IndexError, match="^plot_feature_maps: layer=12 is out of range for a Sequential of 12"
    ):
        viz.plot_feature_maps(model, x, 12)
    with pytest.raises(
        TypeError, match=r"layer is a module's name \(str\) or a Sequential's index \(int\), got float"
    ):
        viz.plot_feature_maps(model, x, 1.0)
    said = (
        "layer=0 indexes a Sequential, and PlusDetector is not one; name one of its modules: conv, relu, pool"
    )
    with pytest.raises(TypeError, match=said):
        viz.plot_feature_maps(PlusDetector(), planted(8, 8), 0)
    with pytest.raises(
        ValueError, match="no module named 'rleu'; did you mean 'relu'\\? Its modules are conv, relu"
    ):
        viz.plot_feature_maps(PlusDetector(), planted(8, 8), "rleu")
    plt.close("all")


def test_confusion_counts_and_picture():
    # inputs are one-hot, the model is the identity: it predicts the hot index
    predicted = np.array([0, 0, 1, 2, 2, 2, 1, 0])
    truth = np.array([0, 1, 1, 2, 0, 2, 1, 0])
    images = np.eye(3, dtype=np.float32)[predicted].reshape(-1, 1, 1, 3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3, 3))
    model[1].weight.data[...] = np.eye(3)
    model[1].bias.data[...] = 0
    loader = DataLoader(TensorDataset(images, truth.astype(np.int64)), batch_size=3)
    confusion = evaluate(model, loader, num_classes=3)["confusion"]
    np.testing.assert_array_equal(confusion, [[2, 0, 1], [1, 2, 0], [0, 0, 2]])
    fig = viz.plot_confusion(confusion, class_names=["a", "b", "c"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [str(v) for v in confusion.ravel()]
    assert png_std(fig) > NON_BLANK


def test_plot_confusion_takes_class_names_as_an_array():
    fig = viz.plot_confusion(np.eye(2, dtype=int), class_names=np.array(["cat", "dog"]))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["cat", "dog"]
    plt.close(fig)


def _tiny_classifier(seed):
    mc.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Flatten(), nn.Linear(2 * 4 * 4, 5))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: viz.show_images(np.zeros((4, 8, 8))), r"show_images: expected images \(N, C, H, W\)"),
        (lambda m: viz.show_images(np.zeros((2, 8, 8, 3))), r"got shape \(2, 8, 8, 3\) \(channels last\?"),
        (lambda m: viz.show_images(np.zeros((3, 1, 4, 4)), labels=[0]), "show_images: 1 labels for 3 images"),
        (lambda m: viz.plot_confusion(np.eye(3), class_names=np.array(["a", "b"])), "2 class names for 3"),
        (lambda m: viz.plot_filters(m[2]), "plot_filters: expected a Conv2d, got Linear"),
        (
            lambda m: viz.plot_feature_maps(m, np.zeros((1, 1, 4, 4)), "2"),
            r"'2' gives shape \(1, 5\), not maps",
        ),
        (
            lambda m: viz.saliency(m, np.zeros((1, 1, 4, 4)), 7),
            "saliency: target 7 is not a class of this model's 5",
        ),
        (
            lambda m: viz.saliency(m, np.zeros((3, 1, 4, 4)), 0),
            r"saliency: expected one image \(1, C, H, W\)",
        ),
        (lambda m: viz.plot_map(np.zeros((3, 1, 4, 4)), np.zeros((4, 4))), r"plot_map: expected one image"),
        (
            lambda m: viz.plot_map(np.zeros((1, 1, 28, 28)), np.ones((7, 7))),
            r"^plot_map: heat \(7, 7\) is not the image's \(H, W\) \(28, 28\); upsample it first "
            r"\(saliency, class_activation_map and grad_cam give maps at the image's size\)$",
        ),
    ],
)
def test_viz_names_a_wrong_input_before_drawing(call, message):
    with pytest.raises(ValueError, match=message):
        call(_tiny_classifier(seed=len(message)))
    plt.close("all")
