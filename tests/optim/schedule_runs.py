"""What the tests of the learning-rate schedules share: PyTorch's golden sequences, a
schedule built from one of their configurations, and a run of optimizer and scheduler steps."""

import json
import pathlib
import warnings

import numpy as np
from fixtures.gen_optim import build_scheduler

from minicnn import nn, optim
from minicnn.optim import lr_scheduler

# loaded here, not through the golden fixture: the configurations parametrize the tests
with np.load(pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "optim.npz") as _f:
    GOLDEN = dict(_f)
CONFIGS = json.loads(str(GOLDEN["schedulers"]))


def build(cfg):
    lrs = cfg.get("lrs", [0.1])
    params = [nn.Parameter(np.zeros(1)) for _ in lrs]
    ocfg = cfg.get("optimizer", {"cls": "SGD", "kwargs": {}})
    opt = getattr(optim, ocfg["cls"])(
        [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], **ocfg["kwargs"]
    )
    return opt, build_scheduler(lr_scheduler, cfg, opt)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def run(opt, sched, steps, epochs=None):
    """``steps`` optimizer and scheduler steps; with ``epochs``, step i is sched.step(epochs[i])
    (sched.step() for None)."""
    lrs, moms = [], []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r".*step\(epoch\) is deprecated")  # tested on its own
        for epoch in epochs or [None] * steps:
            opt.step()
            sched.step() if epoch is None else sched.step(epoch)
            lrs.append(sched.get_last_lr())
            moms.append(momenta(opt))
    return lrs, moms


def epochs_of(cfg):
    return cfg.get("epochs", [None] * cfg["steps"])


def one_parameter():
    return [nn.Parameter(np.zeros(1))]
