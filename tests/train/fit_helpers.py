"""What the fit tests share: a tiny two-class problem, a small net to learn it, a run of fit into a
checkpoint folder, an SGD that poisons the weights."""

import numpy as np

import minicnn as mc
from minicnn import data, nn, optim
from minicnn.train import (
    fit,
)


def blobs(n=240, seed=0):
    """Two-class 1x4x4 images: class 1 is brighter in the top-left quarter."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, (n, 1, 4, 4)).astype(np.float32)
    x[y == 1, :, :2, :2] += 1.0
    return data.TensorDataset(x, y)


def small_net(seed=0, dropout=0.0):
    mc.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Dropout(dropout), nn.Flatten(), nn.Linear(64, 2)
    )


def loaders(seed=0):
    return (
        data.DataLoader(blobs(), batch_size=32, shuffle=True, seed=seed),
        data.DataLoader(blobs(120, seed=1), batch_size=60),
    )


def run(
    tmp_path,
    epochs,
    resume=False,
    stop_after=None,
    schedule=lambda opt: optim.lr_scheduler.StepLR(opt, 1, 0.7),
):
    """Train with a checkpoint folder; optionally 'crash' during epoch stop_after."""
    train, val = loaders()
    model = small_net(dropout=0.3)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = schedule(opt)
    callbacks = ()
    if stop_after is not None:

        def crash(epoch, row, model):
            if epoch + 1 == stop_after:
                raise KeyboardInterrupt  # as if the run were killed after this checkpoint

        callbacks = (crash,)
    try:
        fit(
            model,
            train,
            opt,
            epochs,
            val_loader=val,
            scheduler=sched,
            out=str(tmp_path),
            resume=resume,
            callbacks=callbacks,
            progress=False,
        )
    except KeyboardInterrupt:
        pass
    model.scheduler = sched  # for the tests to read
    return model


class PoisonedSGD(optim.SGD):
    """SGD that writes a NaN into the first layer's weights at step ``at`` (counted from 1)."""

    def __init__(self, params, at=None, **kwargs):
        super().__init__(params, **kwargs)
        self.at, self.steps = at, 0

    def step(self, closure=None):
        super().step(closure)
        self.steps += 1
        if self.steps == self.at:
            self.param_groups[0]["params"][0].data[0, 0, 0, 0] = np.nan
