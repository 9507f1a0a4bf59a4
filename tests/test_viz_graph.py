"""minicnn.viz's autograd graph: its edges, the leaves it names, and a drawing whose edges stay
out of the boxes; what it cannot label or draw is refused in words."""

import collections

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from viz_helpers import NON_BLANK, png_std  # noqa: E402

import minicnn as mc  # noqa: E402
from minicnn import viz  # noqa: E402


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
