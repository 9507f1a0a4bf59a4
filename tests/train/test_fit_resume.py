"""fit's checkpoints: a resumed run ends where the whole one does, under every schedule; a folder
holding a run is replaced only when asked."""

import json
import os
import re

import numpy as np
import pytest
from fit_helpers import PoisonedSGD, blobs, loaders, run, small_net

import minicnn as mc
from minicnn import data, io, nn, optim
from minicnn.train import (
    NonFiniteParameterError,
    fit,
    read_checkpoint,
)


def test_resume_continues_exactly(tmp_path):
    whole = run(tmp_path / "a", epochs=4)
    run(tmp_path / "b", epochs=4, stop_after=2)
    # a new process would start with a fresh random state: scramble it
    mc.manual_seed(12345)
    resumed = run(tmp_path / "b", epochs=4, resume=True)
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    state = io.load(tmp_path / "b" / "checkpoint.npz")
    assert state["epoch"] == 4
    assert len(json.loads(state["history"])) == 4


S = optim.lr_scheduler


SCHEDULES = {
    "StepLR": lambda opt: S.StepLR(opt, 1, 0.7),
    "MultiStepLR": lambda opt: S.MultiStepLR(opt, [1, 3], 0.5),
    "ExponentialLR": lambda opt: S.ExponentialLR(opt, 0.8),
    "LambdaLR": lambda opt: S.LambdaLR(opt, lambda epoch: 1 / (epoch + 1)),
    "MultiplicativeLR": lambda opt: S.MultiplicativeLR(opt, lambda epoch: 0.8),
    "LinearLR": lambda opt: S.LinearLR(opt, start_factor=0.25, total_iters=3),
    "CosineAnnealingLR": lambda opt: S.CosineAnnealingLR(opt, T_max=4),
    "CosineAnnealingWarmRestarts": lambda opt: S.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=2),
    "CyclicLR": lambda opt: S.CyclicLR(opt, base_lr=0.01, max_lr=0.05, step_size_up=2),
    "OneCycleLR": lambda opt: S.OneCycleLR(opt, max_lr=0.05, total_steps=4),
    "ReduceLROnPlateau": lambda opt: S.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.9),
    "SequentialLR": lambda opt: S.SequentialLR(
        opt, [S.LinearLR(opt, 0.5, total_iters=2), S.CosineAnnealingWarmRestarts(opt, T_0=1)], milestones=[2]
    ),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_resume_continues_exactly_under_every_schedule(tmp_path, name):
    """The schedules' own state (a restart's T_cur, a plateau's best loss) is restored, not refused."""
    whole = run(tmp_path / "a", epochs=4, schedule=SCHEDULES[name])
    run(tmp_path / "b", epochs=4, stop_after=2, schedule=SCHEDULES[name])
    mc.manual_seed(12345)
    resumed = run(tmp_path / "b", epochs=4, resume=True, schedule=SCHEDULES[name])
    for (key, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=key)
    assert resumed.scheduler.state_dict().keys() == whole.scheduler.state_dict().keys()
    assert resumed.scheduler.get_last_lr() == whole.scheduler.get_last_lr()
    if name == "ReduceLROnPlateau":  # the plateau did cut the rate, so its counters mattered
        assert whole.scheduler.get_last_lr() < [0.05]


def test_a_new_run_into_a_folder_with_a_checkpoint_is_refused_before_training(tmp_path):
    run(tmp_path, epochs=2)
    before = (tmp_path / "checkpoint.npz").read_bytes()
    train, _ = loaders()
    model = small_net(seed=1)
    weights = {k: v.copy() for k, v in model.state_dict().items()}
    path = re.escape(str(tmp_path / "checkpoint.npz"))
    said = (
        rf"^fit: {path} already holds a run; pass resume=True to continue it or overwrite=True to replace it$"
    )
    for out in (str(tmp_path), tmp_path):
        with pytest.raises(ValueError, match=said):
            fit(model, train, optim.SGD(model.parameters(), lr=0.1), 1, out=out, progress=False)
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, weights[k], err_msg=k)


def test_a_new_runs_first_checkpoint_keeps_a_file_made_while_it_trained(tmp_path):
    from minicnn import functional as F
    from minicnn.atomic_write import NotReplaced

    path = tmp_path / "checkpoint.npz"

    def loss(y, t):  # someone else writes the checkpoint's name during the first epoch
        if not path.exists():
            path.write_bytes(b"theirs")
        return F.cross_entropy(y, t)

    train, _ = loaders()
    model = small_net()
    with pytest.raises(
        NotReplaced, match=f"^mc.save: {re.escape(str(path))} exists; it is kept, not replaced$"
    ):
        fit(model, train, optim.SGD(model.parameters(), lr=0.1), 2, loss=loss, out=tmp_path, progress=False)
    assert path.read_bytes() == b"theirs" and os.listdir(tmp_path) == ["checkpoint.npz"]
    history = fit(model, train, optim.SGD(model.parameters(), lr=0.1), 2, out=tmp_path, overwrite=True)
    assert read_checkpoint(path)["epoch"] == 2 == len(history)  # asked: replaced, then its own replaced


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_overwrite_replaces_the_checkpoint_and_resume_still_continues_it(tmp_path):
    run(tmp_path, epochs=2)
    before = (tmp_path / "checkpoint.npz").read_bytes()
    train, _ = loaders()
    model = small_net(seed=1)
    with pytest.raises(NonFiniteParameterError):  # stopped in its first epoch: the old run stays
        fit(model, train, PoisonedSGD(model.parameters(), at=1, lr=0.1), 1, out=tmp_path, overwrite=True)
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    model = small_net(seed=1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, train, opt, 1, out=tmp_path, overwrite=True, progress=False)
    state = read_checkpoint(tmp_path / "checkpoint.npz")
    rows = json.loads(state["history"])
    assert state["epoch"] == 1 and len(rows) == len(history) == 1  # counted from the new run's start
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(state["model"][k], v, err_msg=k)
    history = fit(model, train, opt, 2, out=tmp_path, resume=True, progress=False)
    assert read_checkpoint(tmp_path / "checkpoint.npz")["epoch"] == 2 and history["epoch"] == [1, 2]
    with pytest.raises(ValueError, match="^fit: resume continues the run in out and overwrite=True replaces"):
        fit(model, train, opt, 3, out=tmp_path, resume=True, overwrite=True, progress=False)
    assert read_checkpoint(tmp_path / "checkpoint.npz")["epoch"] == 2


def test_checkpoint_write_killed_midway_leaves_previous(tmp_path, monkeypatch):
    model = run(tmp_path, epochs=1)
    path = tmp_path / "checkpoint.npz"
    before = io.load(path)

    def killed(f, arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "_write_npz", killed)
    with pytest.raises(KeyboardInterrupt):
        io.save({"model": model.state_dict()}, path)
    after = io.load(path)
    assert after["epoch"] == before["epoch"] == 1
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_resume_refuses_another_optimizer_or_schedule(tmp_path):
    run(tmp_path, epochs=1)
    train, _ = loaders()
    model = small_net()
    adam = optim.Adam(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match="trained with SGD, this run's optimizer is Adam"):
        fit(model, train, adam, 2, out=str(tmp_path), resume=True, progress=False)
    sgd = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    longer = optim.lr_scheduler.StepLR(sgd, step_size=2, gamma=0.7)
    with pytest.raises(ValueError, match="StepLR has step_size=1, this run's 2"):
        fit(model, train, sgd, 2, scheduler=longer, out=str(tmp_path), resume=True, progress=False)
    assert read_checkpoint(tmp_path / "checkpoint.npz")["epoch"] == 1


@pytest.mark.parametrize("key, value", [("last_epoch", "1"), ("T_cur", None), ("_last_lr", [0.05, 0.05])])
def test_resume_refuses_a_schedule_whose_counters_are_damaged(tmp_path, key, value):
    restarts = SCHEDULES["CosineAnnealingWarmRestarts"]
    run(tmp_path, epochs=1, schedule=restarts)
    state = io.load(tmp_path / "checkpoint.npz")
    state["scheduler"][key] = value
    io.save(state, tmp_path / "checkpoint.npz")
    with pytest.raises(
        ValueError, match=rf"^resume: the checkpoint's CosineAnnealingWarmRestarts has {key}=.*damaged$"
    ):
        run(tmp_path, epochs=2, resume=True, schedule=restarts)


class Warmup:
    """A callable object with state of its own: LambdaLR saves its attributes."""

    def __init__(self, steps):
        self.steps, self.seen = steps, 0

    def __call__(self, epoch):
        self.seen += 1
        return min(1.0, (epoch + 1) / self.steps)


def test_resume_with_a_lambda_schedule_restores_its_callable_objects_state(tmp_path):
    train, _ = loaders()

    def build():
        model = small_net()
        opt = optim.SGD(model.parameters(), lr=0.05)
        return model, opt, optim.lr_scheduler.LambdaLR(opt, Warmup(4))

    model, opt, sched = build()
    fit(model, train, opt, 1, scheduler=sched, out=str(tmp_path), progress=False)
    seen = sched.lr_lambdas[0].seen
    model, opt, sched = build()  # a fresh object: seen = 0 until the checkpoint is loaded
    fit(model, train, opt, 2, scheduler=sched, out=str(tmp_path), resume=True, progress=False)
    assert sched.lr_lambdas[0].seen > seen > 0 and sched.last_epoch == 2


def test_resume_is_exact_with_adam_a_schedule_per_batch_augmentation_and_batchnorm(tmp_path):
    def train(out, stop=None, resume=False):
        mc.manual_seed(12)
        ds = blobs(48, seed=12)
        loader = data.DataLoader(
            ds, batch_size=8, shuffle=True, transform=data.transforms.RandomCrop(4, padding=1)
        )
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.3),
            nn.Flatten(), nn.Linear(64, 2),
        )  # fmt: skip
        opt = optim.Adam(model.parameters(), lr=0.01)
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=4 * len(loader))

        def crash(epoch, row, model):
            if epoch + 1 == stop:
                raise KeyboardInterrupt

        try:
            history = fit(model, loader, opt, 4, scheduler=sched, scheduler_step="batch",
                          clip_grad_norm=1.0, out=str(out), resume=resume, callbacks=[crash],
                          progress=False)  # fmt: skip
        except KeyboardInterrupt:
            return None
        return model, opt, history

    whole, whole_opt, whole_history = train(tmp_path / "a")
    train(tmp_path / "b", stop=2)
    resumed, resumed_opt, resumed_history = train(tmp_path / "b", resume=True)
    for (key, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=key)
    timed = ("seconds", "images_per_second")
    strip = lambda h: [{k: v for k, v in row.items() if k not in timed} for row in h]
    assert strip(resumed_history) == strip(whole_history)
    assert json.dumps(resumed_opt.state_dict(), default=lambda a: a.tolist()) == json.dumps(
        whole_opt.state_dict(), default=lambda a: a.tolist()
    )
