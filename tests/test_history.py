"""History: a name gives a metric over the epochs, an int an epoch's row, `in` asks by name."""

import json

import numpy as np
import pytest

from minicnn.train import History

ROWS = [
    {"epoch": 1, "train_loss": 0.9, "train_acc": 0.6},  # resumed later with a val_loader
    {"epoch": 2, "train_loss": 0.5, "train_acc": 0.8, "val_loss": 0.6, "val_acc": 0.75},
    {"epoch": 3, "train_loss": 0.3, "train_acc": 0.9, "val_loss": 0.4, "val_acc": 0.85},
]


def test_a_name_gives_the_metric_over_the_epochs_none_where_an_epoch_lacks_it():
    h = History(ROWS)
    assert h["train_loss"] == [0.9, 0.5, 0.3]
    assert h["val_acc"] == [None, 0.75, 0.85]
    assert h.keys() == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc"]


def test_a_misspelt_name_is_a_key_error_naming_the_close_one():
    h = History(ROWS)
    said = r"History has no metric 'val_accuracy'; did you mean 'val_acc'\? It has: epoch, train_loss, "
    with pytest.raises(KeyError, match=said):
        h["val_accuracy"]
    with pytest.raises(KeyError) as caught:
        h["momentum"]
    assert "did you mean" not in str(caught.value)
    said = "no metric 'momentum'; it has: epoch, train_loss, train_acc, val_loss, val_acc"
    assert said in str(caught.value)
    with pytest.raises(KeyError, match="no metric 'val_acc': it holds no epochs yet"):
        History()["val_acc"]


def test_in_asks_by_the_metric_names():
    h = History(ROWS)
    assert "val_acc" in h and "epoch" in h
    assert "val_accuracy" not in h and "val_acc" not in History(ROWS[:1])
    with pytest.raises(TypeError, match=r"History: 'in' asks for a metric's name \(str\), got dict"):
        ROWS[0] in h  # noqa: B015


def test_iteration_and_len_go_over_the_epochs_rows():
    h = History(ROWS)
    assert len(h) == 3
    assert list(h) == ROWS
    assert [row["epoch"] for row in h] == [1, 2, 3]
    for row in h:  # copies: the History keeps its own
        row["train_loss"] = None
    assert h["train_loss"] == [0.9, 0.5, 0.3]


def test_an_int_gives_an_epochs_row_and_a_slice_a_history():
    h = History(ROWS)
    assert h[0] == ROWS[0] and h[-1] == ROWS[2] and h[np.int64(1)] == ROWS[1]
    h[-1]["val_acc"] = 0.0
    assert h.last()["val_acc"] == 0.85
    assert isinstance(h[1:], History) and h[1:]["val_acc"] == [0.75, 0.85]
    with pytest.raises(IndexError, match="History: epoch index 3 is out of range for 3 epochs"):
        h[3]
    with pytest.raises(TypeError, match=r"a metric's name \(str\) or an epoch's index \(int\), got float"):
        h[1.0]


def test_rows_are_dicts():
    with pytest.raises(TypeError, match="History: epoch 1's row should be a dict of metrics, got list"):
        History([{"epoch": 1}, [0.5]])
    h = History()
    with pytest.raises(TypeError, match="epoch 0's row should be a dict of metrics, got float"):
        h.append(0.5)


def test_the_json_it_writes_reads_back_as_the_same_history(tmp_path):
    History(ROWS).to_json(tmp_path / "history.json")
    rows = json.loads((tmp_path / "history.json").read_text())
    assert rows == ROWS and list(History(rows)) == ROWS
