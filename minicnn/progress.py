"""A progress bar per epoch: tqdm on a terminal, one plain line per epoch otherwise.

Plain lines are what a log file, CI or a notebook's saved output should hold,
so tqdm is used only when stderr is a terminal (and installed).
"""
import sys

from . import backend


def _tqdm():
    try:
        from tqdm import tqdm
        return tqdm
    except ImportError:
        backend.say_once("tqdm", "tqdm is not installed: progress is printed as one line per "
                                 "epoch. `pip install tqdm` adds a live progress bar.")
        return None


def _format(metrics):
    parts = []
    for key, value in metrics.items():
        if key == "images_per_second":
            parts.append(f"{value:,.0f} img/s")
        else:
            parts.append(f"{key} {value:.4f}")
    return "  ".join(parts)


class Progress:
    """Counts images through an epoch and prints where it stands."""

    def __init__(self, total=None, desc="", enabled=True, stream=None):
        self.desc, self.enabled = desc, enabled
        self.stream = stream or sys.stderr
        self.bar = None
        if enabled and getattr(self.stream, "isatty", lambda: False)():
            tqdm = _tqdm()
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=desc, unit="img", leave=True, file=self.stream)

    def update(self, n, **metrics):
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in metrics.items()}, refresh=False)

    def close(self, **metrics):
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(_format(metrics))
            self.bar.close()
        else:
            print(f"{self.desc}  {_format(metrics)}", file=self.stream, flush=True)
