"""The optimizer tests' golden run (tests/fixtures/gen_optim.py): a 4-8-3 tanh MLP in float64
with PyTorch's starting weights, each configuration saved as JSON beside the arrays, and the
training loop that replays one."""

import collections
import json
import pathlib

import numpy as np

import minicnn as mc
from minicnn import nn, optim
from minicnn.optim import lr_scheduler

# loaded here, not through the golden fixture: the configurations parametrize the tests
with np.load(pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "optim.npz") as _f:
    GOLDEN = dict(_f)
CONFIGS = json.loads(str(GOLDEN["optimizers"]))
STEPS = int(GOLDEN["steps"])


def mlp():
    """The 4-8-3 tanh MLP in float64, at the golden run's starting weights."""
    model = nn.Sequential(
        collections.OrderedDict([("fc1", nn.Linear(4, 8)), ("act", nn.Tanh()), ("fc2", nn.Linear(8, 3))])
    ).double()
    model.load_state_dict({k: GOLDEN[f"init.{k}"] for k in model.state_dict()})
    return model


def build(cfg, model):
    """The optimizer a configuration describes for ``model``, and its scheduler (or None)."""
    kwargs = dict(cfg["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if "groups" in cfg:
        params = [
            dict(
                {k: v for k, v in g.items() if k != "layer"},
                params=list(getattr(model, g["layer"]).parameters()),
            )
            for g in cfg["groups"]
        ]
    else:
        params = model.parameters()
    opt = getattr(optim, cfg["cls"])(params, **kwargs)
    sched = None
    if "scheduler" in cfg:
        sched = getattr(lr_scheduler, cfg["scheduler"]["cls"])(opt, **cfg["scheduler"]["kwargs"])
    return opt, sched


def train(model, opt, sched, steps):
    """``steps`` steps on the golden batch, checking that no step writes a gradient; the losses."""
    x, y = mc.tensor(GOLDEN["init.x"]), mc.tensor(GOLDEN["init.y"])
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        grads = [p.grad.data for p in model.parameters()]
        copies = [g.copy() for g in grads]
        opt.step()
        for g, c in zip(grads, copies):  # gradients are read, never written
            np.testing.assert_array_equal(g, c)
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return losses
