"""minicnn.viz.plot_history: a curve per metric, from a History, the rows of history.json or a
dict of lists, and the keys asked for; anything else refused before a figure is made."""

import json

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402
from viz_helpers import NON_BLANK, png_std  # noqa: E402

from minicnn import viz  # noqa: E402
from minicnn.train import History  # noqa: E402


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
        ("train loss", [1, 2, 3], [0.9, 0.5, 0.3]),
        ("validation loss", [2, 3], [0.6, 0.4]),  # at their own epochs
        ("train accuracy", [1, 2, 3], [0.6, 0.8, 0.9]),
        ("validation accuracy", [2, 3], [0.75, 0.85]),
    ]
    for given in (History(ROWS), rows, tuple(rows)):
        fig = viz.plot_history(given)
        assert _lines(fig) == expected
        plt.close(fig)
    columns = {"train_loss": [0.9, 0.5], "val_loss": [1.0, 0.7], "train_acc": [0.6, 0.8]}
    fig = viz.plot_history(columns)
    assert _lines(fig) == [
        ("train loss", [1, 2], [0.9, 0.5]),
        ("validation loss", [1, 2], [1.0, 0.7]),
        ("train accuracy", [1, 2], [0.6, 0.8]),
    ]
    plt.close(fig)


def test_plot_history_draws_the_keys_asked_for_and_names_a_missing_one():
    fig = viz.plot_history(ROWS, keys=["train_loss", ("val_loss", "val_acc")])
    assert [[line.get_label() for line in ax.get_lines()] for ax in fig.axes] == [
        ["train loss"],
        ["validation loss", "validation accuracy"],
    ]
    plt.close(fig)
    with pytest.raises(KeyError, match="no metric 'val_accuracy'; did you mean 'val_acc'"):
        viz.plot_history(ROWS, keys=[("val_loss", "val_accuracy")])
    plt.close("all")


def test_plot_history_names_curves_and_axes_in_words_and_reads_accuracy_in_percent():
    rng = np.random.default_rng(4417)
    acc = np.sort(rng.uniform(0.5, 0.99, size=(2, 4)), axis=1)
    loss = np.sort(rng.uniform(0.05, 2.0, size=(2, 4)), axis=1)[:, ::-1]
    curves = {
        "train_loss": loss[0],
        "test_loss": loss[1],
        "train_acc": acc[0],
        "test_acc": acc[1],
        "lr": [0.1] * 4,
    }
    fig = viz.plot_history(
        curves, keys=(("train_loss", "test_loss"), ("train_acc", "test_acc"), ("test_loss", "lr"))
    )
    loss_ax, acc_ax, mixed_ax = fig.axes
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["train loss", "test loss"]
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == ["train accuracy", "test accuracy"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy (%)", "loss, learning rate"]
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch"] * 3
    # the lines hold the history's fractions; the accuracy ticks read them x100, the loss's as they are
    assert acc_ax.get_lines()[1].get_ydata().tolist() == pytest.approx(acc[1].tolist())
    assert float(acc_ax.yaxis.get_major_formatter()(acc[1, -1], 0)) == pytest.approx(
        100 * acc[1, -1], abs=0.5
    )
    assert not isinstance(loss_ax.yaxis.get_major_formatter(), PercentFormatter)
    plt.close(fig)
    fig = viz.plot_history(ROWS, keys=[("val_loss", "val_acc")])
    assert fig.axes[0].get_ylabel() == "loss, accuracy (fraction)"  # no percent ticks under a loss
    plt.close(fig)


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
