"""minicnn.viz: every picture renders to a non-blank PNG, and the data behind it is right."""

import collections
import io
import json

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import minicnn as mc  # noqa: E402
from minicnn import models, nn, viz  # noqa: E402
from minicnn.data import DataLoader, TensorDataset  # noqa: E402
from minicnn.train import History, evaluate  # noqa: E402


def png_std(fig):
    """Pixel standard deviation of the figure saved as PNG (0 for a blank canvas)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=60)
    plt.close(fig)
    buffer.seek(0)
    pixels = matplotlib.image.imread(buffer, format="png")[..., :3]
    return float(pixels.std())


NON_BLANK = 0.03


# --- curves, images, filters, feature maps ------------------------------------
def test_plot_history_draws_each_curve():
    history = History(
        [
            {
                "train_loss": 2.0 / e,
                "val_loss": 2.2 / e,
                "train_acc": 1 - 1 / (e + 1),
                "val_acc": 1 - 1.2 / (e + 1),
            }
            for e in range(1, 5)
        ]
    )
    fig = viz.plot_history(history)
    lines = [line.get_ydata().tolist() for ax in fig.axes for line in ax.get_lines()]
    assert lines[0] == pytest.approx(history["train_loss"])
    assert len(lines) == 4
    assert png_std(fig) > NON_BLANK


def _lines(fig):
    """Each curve's (label, x, y), panel by panel."""
    return [
        (line.get_label(), line.get_xdata().tolist(), line.get_ydata().tolist())
        for ax in fig.axes
        for line in ax.get_lines()
    ]


ROWS = [  # as history.json holds them: a run resumed with a val_loader it first lacked
    {"epoch": 1, "train_loss": 0.9, "train_acc": 0.6},
    {"epoch": 2, "train_loss": 0.5, "train_acc": 0.8, "val_loss": 0.6, "val_acc": 0.75},
    {"epoch": 3, "train_loss": 0.3, "train_acc": 0.9, "val_loss": 0.4, "val_acc": 0.85},
]


def test_plot_history_takes_the_rows_of_history_json_and_a_dict_of_lists(tmp_path):
    History(ROWS).to_json(tmp_path / "history.json")
    with open(tmp_path / "history.json") as f:
        rows = json.load(f)
    expected = [
        ("train_loss", [1, 2, 3], [0.9, 0.5, 0.3]),
        ("val_loss", [2, 3], [0.6, 0.4]),  # at their own epochs
        ("train_acc", [1, 2, 3], [0.6, 0.8, 0.9]),
        ("val_acc", [2, 3], [0.75, 0.85]),
    ]
    for given in (History(ROWS), rows, tuple(rows)):
        fig = viz.plot_history(given)
        assert _lines(fig) == expected
        plt.close(fig)
    columns = {"train_loss": [0.9, 0.5], "val_loss": [1.0, 0.7], "train_acc": [0.6, 0.8]}
    fig = viz.plot_history(columns)
    assert _lines(fig) == [
        ("train_loss", [1, 2], [0.9, 0.5]),
        ("val_loss", [1, 2], [1.0, 0.7]),
        ("train_acc", [1, 2], [0.6, 0.8]),
    ]
    plt.close(fig)


def test_plot_history_draws_the_keys_asked_for_and_names_a_missing_one():
    fig = viz.plot_history(ROWS, keys=["train_loss", ("val_loss", "val_acc")])
    assert [[line.get_label() for line in ax.get_lines()] for ax in fig.axes] == [
        ["train_loss"],
        ["val_loss", "val_acc"],
    ]
    plt.close(fig)
    with pytest.raises(KeyError, match="no metric 'val_accuracy'; did you mean 'val_acc'"):
        viz.plot_history(ROWS, keys=[("val_loss", "val_accuracy")])
    plt.close("all")


@pytest.mark.parametrize(
    "given, got",
    [
        ("runs/x/history.json", "got str"),
        ([{"epoch": 1}, 0.5], "got a list holding float"),
        ({"train_loss": 0.5}, "got a dict whose values are not all lists"),
        (None, "got NoneType"),
    ],
)
def test_plot_history_of_something_else_is_a_type_error(given, got):
    figures = plt.get_fignums()
    with pytest.raises(TypeError) as caught:
        viz.plot_history(given)
    said = str(caught.value)
    assert said.startswith("plot_history: expected a History, a list of epoch rows (dicts, as history.json ")
    assert said.endswith(got) and "\n" not in said
    assert plt.get_fignums() == figures  # refused before a figure was made


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


# --- saliency -----------------------------------------------------------------
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


# --- class activation maps ----------------------------------------------------
class PlusDetector(nn.Module):
    """conv (channel 0 fires on a 3x3 plus, channel 1 is constant) -> pool -> GAP -> fc."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(2, 2)
        plus = np.array([[-1, 1, -1], [1, 1, 1], [-1, 1, -1]], dtype=np.float32)
        self.conv.weight.data[...] = 0
        self.conv.weight.data[0, 0] = plus
        self.conv.bias.data[...] = [-4.5, 0.1]  # only a whole plus (sum 5) passes the ReLU
        self.fc.weight.data[...] = [[2.0, 0.0], [0.0, 1.0]]
        self.fc.bias.data[...] = 0

    def forward(self, x):
        return self.fc(self.flatten(self.avgpool(self.pool(self.relu(self.conv(x))))))


def _planted(row, col, size=16):
    x = np.zeros((1, 1, size, size), dtype=np.float32)
    x[0, 0, row - 1 : row + 2, col] = 1
    x[0, 0, row, col - 1 : col + 2] = 1
    return x


@pytest.mark.parametrize("row, col", [(11, 4), (3, 12), (8, 8)])
def test_cam_peaks_where_the_pattern_is(row, col):
    model = PlusDetector()
    x = _planted(row, col)
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
    cam = viz.class_activation_map(PlusDetector(), _planted(8, 8), target=1)
    np.testing.assert_allclose(cam, 0.1, rtol=1e-6)


def test_cam_needs_the_pooling_layer():
    with pytest.raises(ValueError, match="no module named 'gap'"):
        viz.class_activation_map(PlusDetector(), _planted(8, 8), target=0, pool="gap")


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


# --- confusion matrix ---------------------------------------------------------
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


# --- autograd graph -----------------------------------------------------------
def test_graph_edges_of_a_small_expression():
    a = mc.tensor([1.0, 2.0], requires_grad=True)
    b = mc.tensor([3.0, 4.0], requires_grad=True)
    y = (a * b + a).sum()
    edges = viz.graph_edges(y)
    kind = {name: name.split("#")[0] for edge in edges for name in edge}
    typed = collections.Counter((kind[p], kind[c]) for p, c in edges)
    assert typed == collections.Counter(
        {
            ("Mul", "Add"): 1,
            ("Add", "Sum"): 1,
            ("leaf 0 (2,)", "Add"): 1,
            ("leaf 0 (2,)", "Mul"): 1,
            ("leaf 1 (2,)", "Mul"): 1,
        }
    )
    # a feeds both Mul and Add: one node, two edges
    assert len({p for p, c in edges if p.startswith("leaf")}) == 2
    assert png_std(viz.plot_graph(y)) > NON_BLANK


def test_graph_names_the_leaves_it_is_given():
    a = mc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mc.tensor([4.0, 5.0, 6.0], requires_grad=True)
    c = mc.tensor([1.0, 1.0, 1.0], requires_grad=True)
    y = (a * b + c).sum()
    edges = viz.graph_edges(y, names={"a": a, "c": c})
    assert {p for p, _ in edges if "#" not in p} == {"a (3,)", "c (3,)", "leaf 0 (3,)"}
    fig = viz.plot_graph(y, names={"a": a, "c": c})
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"a (3,)", "c (3,)", "leaf 0 (3,)", "Mul", "Add", "Sum"} <= texts
    plt.close(fig)


@pytest.mark.parametrize(
    "names, error, message",
    [
        ({"a": "a"}, TypeError, "plot_graph: names maps a str to a Tensor, got str -> str"),
        ([("a", None)], TypeError, "plot_graph: names is a dict of name -> Tensor, got list"),
        (
            {"z": mc.tensor([1.0], requires_grad=True)},
            ValueError,
            r"plot_graph: names 'z' are not leaves of the graph behind this tensor \(its leaves: ",
        ),
    ],
)
def test_plot_graph_names_what_it_cannot_label(names, error, message):
    a = mc.tensor([1.0], requires_grad=True)
    with pytest.raises(error, match=message):
        viz.plot_graph((a * a).sum(), names=names)


def test_plot_graph_refuses_two_names_for_one_tensor():
    a = mc.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="graph_edges: names 'a' and 'b' are one tensor"):
        viz.graph_edges((a * a).sum(), names={"a": a, "b": a})


def _drawn_graph(fig):
    """The boxes ({gid: (left, bottom, right, top)}), the edge lines ([(gid, xy)]) and the
    arrowheads' tips of a plot_graph figure, in its data coordinates (inches)."""
    from matplotlib.text import Annotation

    ax = fig.axes[0]
    boxes = {
        p.get_gid(): (p.get_x(), p.get_y(), p.get_x() + p.get_width(), p.get_y() + p.get_height())
        for p in ax.patches
    }
    lines = [(line.get_gid(), line.get_xydata()) for line in ax.get_lines()]
    tips = [a.xy for a in ax.get_children() if isinstance(a, Annotation)]
    return boxes, lines, tips


def _inside(point, box, margin=1e-9):
    x, y = point
    left, bottom, right, top = box
    return left + margin < x < right - margin and bottom + margin < y < top - margin


@pytest.mark.parametrize("case", ["used twice", "cube", "three branches"])
def test_plot_graph_keeps_edges_out_of_the_boxes(case):
    a = mc.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mc.tensor([4.0, 5.0, 6.0], requires_grad=True)
    y = {
        "used twice": lambda: (a * b + a).sum(),
        "cube": lambda: (a * a) * a,
        "three branches": lambda: (a * b).relu().sum() + (a * 2).sum() + (b - a).exp().sum(),
    }[case]()
    edges = viz.graph_edges(y)
    boxes, lines, tips = _drawn_graph(viz.plot_graph(y))
    assert sorted(gid for gid, _ in lines) == sorted(f"{p} -> {c}" for p, c in edges)  # one line per use
    assert len(tips) == len(lines)
    names = list(boxes)
    for i, first in enumerate(names):  # no two boxes overlap
        for second in names[i + 1 :]:
            l1, b1, r1, t1 = boxes[first]
            l2, b2, r2, t2 = boxes[second]
            assert r1 <= l2 or r2 <= l1 or t1 <= b2 or t2 <= b1, (first, second)
    for gid, xy in lines:
        parent, child = gid.split(" -> ")
        # the line leaves its parent's bottom edge, ends on its child's top edge, and enters no box
        assert xy[0][1] == pytest.approx(boxes[parent][1]) and boxes[parent][0] < xy[0][0] < boxes[parent][2]
        assert xy[-1][1] == pytest.approx(boxes[child][3]) and boxes[child][0] < xy[-1][0] < boxes[child][2]
        for point in xy:
            assert not any(_inside(point, box) for box in boxes.values()), (gid, point)
        assert any(np.allclose(tip, xy[-1]) for tip in tips), gid  # an arrowhead at its end
    # each arrow ends at its own point of the box it enters
    assert len({tuple(np.round(xy[-1], 9)) for _, xy in lines}) == len(lines)
    plt.close("all")


def test_graph_keeps_two_ops_of_one_type_apart():
    a = mc.tensor([1.0], requires_grad=True)
    y = (a * a) * a
    assert sorted(viz.graph_edges(y)) == sorted(
        [("Mul#1", "Mul#0"), ("leaf 0 (1,)", "Mul#0"), ("leaf 0 (1,)", "Mul#1"), ("leaf 0 (1,)", "Mul#1")]
    )


def test_plot_graph_without_a_graph_says_why():
    y = (mc.tensor([1.0], requires_grad=True) * 2).sum()
    y.backward()
    with pytest.raises(ValueError, match="no graph"):
        viz.plot_graph(y)


def test_viz_leaves_the_model_as_it_was():
    mc.manual_seed(0)
    model = PlusDetector()
    model.train()
    x = _planted(8, 8)
    viz.saliency(model, x, target=0)
    viz.class_activation_map(model, x, target=0)
    plt.close(viz.plot_feature_maps(model, mc.tensor(x), "relu"))
    assert model.training
    assert all(p.grad is None and p.requires_grad for p in model.parameters())


def test_feature_maps_of_an_unknown_layer_names_the_layers():
    with pytest.raises(ValueError, match="no module named 'conv9'.*conv, relu"):
        viz.plot_feature_maps(PlusDetector(), _planted(8, 8), "conv9")


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
        viz.plot_feature_maps(PlusDetector(), _planted(8, 8), 0)
    with pytest.raises(
        ValueError, match="no module named 'rleu'; did you mean 'relu'\\? Its modules are conv, relu"
    ):
        viz.plot_feature_maps(PlusDetector(), _planted(8, 8), "rleu")
    plt.close("all")


def test_cam_takes_the_pooling_by_its_index_in_a_sequential():
    detector = PlusDetector()
    model = nn.Sequential(
        detector.conv, detector.relu, detector.pool, detector.avgpool, nn.Flatten(), detector.fc
    )
    x = _planted(11, 4)
    np.testing.assert_array_equal(
        viz.class_activation_map(model, x, 0, pool=3), viz.class_activation_map(model, x, 0, pool="3")
    )
    np.testing.assert_array_equal(
        viz.class_activation_map(model, x, 0, pool=3), viz.class_activation_map(detector, x, 0)
    )
    with pytest.raises(IndexError, match="^class_activation_map: pool=6 is out of range"):
        viz.class_activation_map(model, x, 0, pool=6)


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


def test_plot_confusion_takes_class_names_as_an_array():
    fig = viz.plot_confusion(np.eye(2, dtype=int), class_names=np.array(["cat", "dog"]))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["cat", "dog"]
    plt.close(fig)
