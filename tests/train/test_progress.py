"""fit's progress: one line per epoch, within 80 columns, with or without a tqdm bar."""

import pytest
from fit_helpers import loaders, small_net

from minicnn import optim
from minicnn.progress import Progress, epoch_line
from minicnn.train import (
    fit,
)


def test_progress_prints_one_line_per_epoch_when_not_a_terminal(capsys):
    train, _ = loaders()
    model = small_net()
    fit(model, train, optim.SGD(model.parameters(), lr=0.1), epochs=2)
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("epoch")]
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2  loss ") and "img/s" in lines[0]


def test_epoch_line_fits_80_columns():
    row = {
        "train_loss": 12.3456,
        "train_acc": 0.9612,
        "val_loss": 0.0832,
        "val_acc": 0.974,
        "images_per_second": 12345.6,
    }
    line = epoch_line("epoch 16/16", row)
    assert line == "epoch 16/16  loss 12.3456 acc 0.9612  val loss 0.0832 acc 0.9740  12,346 img/s"
    assert len(line) <= 80
    long = epoch_line("epoch 1000/1000", dict(row, train_loss=123456.0))
    assert len(long) <= 80 and "val loss 0.0832 acc 0.9740" in long and "img/s" not in long


class FakeTerminal:
    """A stream that says it is a terminal and keeps what is written (carriage returns too)."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_with_a_tqdm_bar_the_screen_stays_within_80_columns():
    pytest.importorskip("tqdm")
    stream = FakeTerminal()
    bar = Progress(total=640, desc="epoch 12/16", stream=stream)
    assert bar.bar is not None
    for _ in range(10):
        bar.update(64, loss=123.456789, acc=0.987654)
    bar.close()
    row = {
        "train_loss": 0.1234,
        "train_acc": 0.9612,
        "val_loss": 0.0832,
        "val_acc": 0.974,
        "images_per_second": 1234.5,
    }
    Progress.line("epoch 12/16", row, stream=stream)
    screens = [part for chunk in stream.text.split("\n") for part in chunk.split("\r")]
    assert max(len(part.replace("\x1b[A", "")) for part in screens) <= 80
    assert "epoch 12/16  loss 0.1234 acc 0.9612  val loss 0.0832 acc 0.9740  1,234 img/s" in screens
