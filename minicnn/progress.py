"""A progress bar per epoch: tqdm on a terminal, one plain line per epoch otherwise.

Plain lines are what a log file, CI or a notebook's saved output should hold,
so tqdm is used only when stderr is a terminal (and installed). Either way an
epoch ends with one line of at most 80 columns:

    epoch 3/16  loss 0.1234 acc 0.9612  val loss 0.0832 acc 0.9740  1,234 img/s
"""

import sys

from . import backend

WIDTH = 80


def _tqdm():
    try:
        from tqdm import tqdm

        return tqdm
    except ImportError:
        backend.say_once(
            "tqdm",
            "tqdm is not installed: progress is printed as one line per "
            "epoch. `pip install tqdm` adds a live progress bar.",
        )
        return None


def _number(value):
    return f"{value:.4f}" if abs(value) < 100 else f"{value:.4g}"


def epoch_line(desc, row, width=WIDTH):
    """``desc``, the training and validation loss and accuracy, and the speed, in ``width``
    columns: the speed, then the validation, is left out where the line would be longer."""
    parts = [desc]
    if row.get("train_loss") is not None:
        parts.append(f"loss {_number(row['train_loss'])} acc {row['train_acc']:.4f}")
    if row.get("val_loss") is not None:
        parts.append(f"val loss {_number(row['val_loss'])} acc {row['val_acc']:.4f}")
    if row.get("images_per_second") is not None:
        parts.append(f"{row['images_per_second']:,.0f} img/s")
    while len("  ".join(parts)) > width and len(parts) > 1:
        parts.pop()
    return "  ".join(parts)[:width]


def _is_terminal(stream):
    return getattr(stream, "isatty", lambda: False)()


class Progress:
    """Counts images through an epoch and shows where it stands (a tqdm bar on a terminal)."""

    def __init__(self, total=None, desc="", enabled=True, stream=None):
        self.desc, self.enabled = desc, enabled
        self.stream = stream or sys.stderr
        self.bar = None
        if enabled and _is_terminal(self.stream):
            tqdm = _tqdm()
            if tqdm is not None:
                self.bar = tqdm(
                    total=total, desc=desc, unit="img", leave=False, file=self.stream, ncols=WIDTH
                )

    def update(self, n, **metrics):
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in metrics.items()}, refresh=False)

    def close(self):
        """Take the bar off the screen (the epoch's line is printed by ``line``)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    @staticmethod
    def line(desc, row, enabled=True, stream=None):
        """Print the epoch's line (``epoch_line``), through tqdm when a bar may be on screen."""
        if not enabled:
            return
        stream = stream or sys.stderr
        text = epoch_line(desc, row)
        tqdm = _tqdm() if _is_terminal(stream) else None
        if tqdm is not None:
            tqdm.write(text, file=stream)
        else:
            print(text, file=stream, flush=True)
