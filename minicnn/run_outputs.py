"""What a finished training run writes beside its checkpoint: model.npz, history.json,
metrics.json (the test result and the settings) and curves.png, each all or nothing.

A new run (neither ``--resume`` nor ``--overwrite``) replaces none of them: its folder held
none when it started, so one there now was put there by someone else while it trained."""

import io as bytes_io
import json
import os

from . import io


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
    metrics_path = os.path.join(out, "metrics.json")
    io.write_atomic(metrics_path, json.dumps(metrics, indent=1).encode(), overwrite=overwrite)
    _plot_curves(history, os.path.join(out, "curves.png"), overwrite)


def _number(value):
    """A figure for strict JSON: NaN (no class labels to count) as null."""
    return None if value is None or value != value else value


def _world_size(args):
    if not args.distributed:
        return 1
    from . import distributed as dist

    return dist.world_size()


def _plot_curves(history, path, overwrite):
    try:
        from . import viz

        fig = viz.plot_history(history)
    except ImportError:  # no matplotlib: no picture, and none left of an earlier epoch
        if overwrite and os.path.lexists(path):  # a new run removes nothing it did not make
            os.remove(path)
        print(f'{os.path.basename(path)} not drawn: it needs matplotlib (pip install -e ".[viz]")')
        return
    png = bytes_io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    viz._plt().close(fig)
    io.write_atomic(path, png.getvalue(), who="train", overwrite=overwrite)
