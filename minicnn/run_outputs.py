"""What a finished training run writes beside its checkpoint: model.npz, history.json,
metrics.json (the test result, the settings and the data's files), and then, once the
result is printed, curves.png; each all or nothing.

A new run (neither ``--resume`` nor ``--overwrite``) replaces none of them: its folder held
none when it started, so one there now was put there by someone else while it trained.
The curves are drawn with matplotlib's ``agg`` (no window); ``check_plotting`` finds,
before a run starts, a matplotlib that would not import (a junk ``MPLBACKEND``)."""

import contextlib
import importlib.util
import io as bytes_io
import json
import os

from . import io
from .atomic_write import NotReplaced


def write_outputs(out, model, history, result, meta, args):
    overwrite = bool(args.resume or args.overwrite)  # a resume rewrites what the run wrote before
    io.save(model.state_dict(), os.path.join(out, "model.npz"), overwrite=overwrite)
    history.to_json(os.path.join(out, "history.json"), overwrite=overwrite)
    s, last = meta["settings"], history.last()
    seconds = float(sum(history["seconds"]))
    # NOTE: all the images over all the time, not the mean of the epochs' rates
    images = sum(rate * took for rate, took in zip(history["images_per_second"], history["seconds"]))
    metrics = {
        "model": meta["model"],
        "data": s["data"],
        "epochs": s["epochs"],
        "test_accuracy": _number(result["accuracy"]),
        "test_loss": _number(result["loss"]),
        "val_accuracy": _number(last.get("val_acc")),
        "val_loss": _number(last.get("val_loss")),
        "seconds": seconds,
        "images_per_second": images / seconds if seconds else 0.0,
        "settings": s,
        "seed": s["seed"],
        "resumed": meta["resumed"],
        "processes": _world_size(args),
    }
    if meta.get("data_files") is not None:
        metrics["data_files"] = meta["data_files"]
    metrics_path = os.path.join(out, "metrics.json")
    io.write_atomic(metrics_path, json.dumps(metrics, indent=1).encode(), overwrite=overwrite)


def _number(value):
    """A figure for strict JSON: NaN (no class labels to count) as null."""
    return None if value is None or value != value else value


def _world_size(args):
    if not args.distributed:
        return 1
    from . import distributed as dist

    return dist.world_size()


def check_plotting():
    """Before a run: a ValueError, naming the variable, where matplotlib is installed but will
    not import as the environment sets it up (``MPLBACKEND=bogus`` is refused by its import).
    Without matplotlib there is nothing to check: the run says it draws no curves."""
    if importlib.util.find_spec("matplotlib") is None:
        return
    try:
        import matplotlib  # noqa: F401 -- its import reads MPLBACKEND
    except ImportError:  # a broken install: said where the picture would be, as a missing one is
        return
    except Exception as err:  # noqa: BLE001 -- whatever its import raises, it cannot draw
        why = " ".join(str(err).split(";")[0].split())
        backend = os.environ.get("MPLBACKEND")
        if backend is not None:
            raise ValueError(
                f"MPLBACKEND={backend!r:.60} is not a backend matplotlib takes ({why}), so no picture "
                "could be drawn; unset it (minicnn draws its pictures with agg)"
            ) from None
        raise ValueError(
            f"matplotlib does not import ({why}); fix its matplotlibrc, or set MPLBACKEND=agg"
        ) from None


def draw_curves(out, history, overwrite):
    """curves.png: the loss and accuracy per epoch; False (and a line said) without matplotlib.
    Where it cannot be drawn or written, an earlier run's picture goes rather than stay beside
    this run's files (a new run removes nothing it did not make)."""
    path = os.path.join(out, "curves.png")
    try:
        import matplotlib

        matplotlib.use("agg")  # a file, never a window
        from . import viz

        fig = viz.plot_history(history)
    except ImportError:  # no matplotlib: no picture, and none left of an earlier epoch
        _remove_stale(path, overwrite)
        print(f'{os.path.basename(path)} not drawn: it needs matplotlib (pip install -e ".[viz]")')
        return False
    except BaseException:
        _remove_stale(path, overwrite)
        raise
    try:
        png = bytes_io.BytesIO()
        fig.savefig(png, format="png", dpi=100)
        io.write_atomic(path, png.getvalue(), who="train", overwrite=overwrite)
    except NotReplaced:  # another program's file: theirs, kept
        raise
    except BaseException:
        _remove_stale(path, overwrite)
        raise
    finally:
        viz._plt().close(fig)
    return True


def _remove_stale(path, overwrite):
    if overwrite:
        with contextlib.suppress(OSError):
            os.remove(path)
