"""fit / evaluate / predict on tiny problems: learning, checkpoints, resume, non-finite loss."""

import json
import os
import re

import numpy as np
import pytest

import minicnn as mc
from minicnn import data, io, nn, optim
from minicnn.progress import Progress, epoch_line
from minicnn.train import (
    Interrupted,
    NonFiniteLossError,
    NonFiniteParameterError,
    evaluate,
    fit,
    predict,
    read_checkpoint,
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


def test_fit_learns_a_tiny_problem():
    train, val = loaders()
    model = small_net()
    history = fit(
        model,
        train,
        optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        epochs=4,
        val_loader=val,
        progress=False,
    )
    assert len(history) == 4
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] >= 0.95
    assert set(history.last()) >= {
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "seconds",
        "images_per_second",
        "lr",
    }


def test_evaluate_confusion_and_predict():
    train, val = loaders()
    model = small_net()
    fit(model, train, optim.Adam(model.parameters(), lr=0.01), epochs=3, progress=False)
    result = evaluate(model, val)
    assert result["confusion"].sum() == 120
    assert result["accuracy"] == pytest.approx(np.trace(result["confusion"]) / 120)
    pred = predict(model, val)
    assert pred.shape == (120,)
    assert np.mean(pred == blobs(120, seed=1).labels) == pytest.approx(result["accuracy"])


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


class Explode(nn.Module):
    def forward(self, x):
        return x * np.inf


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nonfinite_loss_names_the_first_bad_module():
    mc.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), Explode(), nn.Flatten(), nn.Linear(8, 2))
    train, _ = loaders()
    with pytest.raises(
        NonFiniteLossError, match=r"first module with a non-finite output is '2' \(Explode\)\."
    ):
        fit(model, train, optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


def test_the_first_bad_module_of_a_distributed_model_has_the_models_own_name():
    from minicnn.distributed import DistributedDataParallel
    from minicnn.train import _first_nonfinite_module

    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2), nn.ReLU())
    with mc.no_grad():
        model[1].weight.data[0, 0] = np.inf
    x = mc.tensor(np.ones((1, 1, 2, 2), np.float32))
    assert _first_nonfinite_module(model, x) == "'1' (Linear)"
    assert _first_nonfinite_module(DistributedDataParallel(model), x) == "'1' (Linear)"  # not 'module.1'
    assert _first_nonfinite_module(nn.Sequential(nn.Flatten()), x) is None


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


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_weights_turning_nan_on_an_epochs_last_step_stop_before_the_checkpoint(tmp_path):
    train, val = loaders()
    model = small_net()
    steps = len(train)
    opt = PoisonedSGD(model.parameters(), at=2 * steps, lr=0.05)
    with pytest.raises(NonFiniteParameterError) as caught:
        fit(model, train, opt, 3, val_loader=val, out=str(tmp_path), progress=False)
    assert str(caught.value).startswith(
        f"step {steps} of {steps} in epoch 2: the weights of parameter '0.weight' (4, 1, 3, 3) became nan"
    )
    assert caught.value.kept == 1
    state = read_checkpoint(tmp_path / "checkpoint.npz")
    assert state["epoch"] == 1
    assert all(np.isfinite(v).all() for v in state["model"].values())


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


def test_ctrl_c_raises_interrupted_with_the_epoch_and_the_checkpoint_kept(tmp_path):
    def stop(epoch, row, model):
        if epoch == 1:
            raise KeyboardInterrupt

    train, _ = loaders()
    model = small_net()
    with pytest.raises(Interrupted) as caught:
        fit(
            model,
            train,
            optim.SGD(model.parameters(), lr=0.1),
            4,
            out=str(tmp_path),
            callbacks=(stop,),
            progress=False,
        )
    # stopped after epoch 2's save: epoch 2 is done, the one cut short is 3
    assert (caught.value.epoch, caught.value.kept) == (3, 2)
    assert read_checkpoint(tmp_path / "checkpoint.npz")["epoch"] == 2
    with pytest.raises(Interrupted) as caught:
        fit(model, train, optim.SGD(model.parameters(), lr=0.1), 4, callbacks=(stop,), progress=False)
    assert (caught.value.epoch, caught.value.kept) == (3, 0)  # no out: nothing kept
    with pytest.raises(Interrupted) as caught:  # after the last epoch: none was cut short
        fit(model, train, optim.SGD(model.parameters(), lr=0.1), 2, callbacks=(stop,), progress=False)
    assert (caught.value.epoch, str(caught.value)) == (None, "interrupted after the last epoch")


@pytest.mark.parametrize("stopped_at", [1, 2])
def test_ctrl_c_once_a_checkpoint_is_in_place_counts_it_as_kept(tmp_path, monkeypatch, stopped_at):
    """Ctrl-C as the folder is flushed, after the rename: the checkpoint of that epoch is on disk."""
    from minicnn import atomic_write

    flushed, flush = [], atomic_write._fsync_folder

    def interrupted_flush(folder):
        flush(folder)
        flushed.append(folder)
        if len(flushed) == stopped_at:
            raise KeyboardInterrupt

    monkeypatch.setattr(atomic_write, "_fsync_folder", interrupted_flush)
    train, _ = loaders(seed=stopped_at)
    model = small_net(seed=stopped_at)
    with pytest.raises(Interrupted) as caught:
        fit(model, train, optim.SGD(model.parameters(), lr=0.1), 3, out=str(tmp_path), progress=False)
    assert read_checkpoint(tmp_path / "checkpoint.npz")["epoch"] == stopped_at
    assert (caught.value.epoch, caught.value.kept) == (stopped_at + 1, stopped_at)


class WithAuxHead(nn.Module):
    """In training, (logits, aux logits) with its own training_loss, as GoogLeNet does."""

    def __init__(self):
        super().__init__()
        self.body = small_net()
        self.aux = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        self.calls = 0

    def forward(self, x):
        logits = self.body(x)
        return (logits, self.aux(x)) if self.training else logits

    def training_loss(self, output, target, loss):
        self.calls += 1
        logits, aux = output
        return loss(logits, target) + 0.3 * loss(aux, target)


def test_models_with_auxiliary_outputs_give_their_own_training_loss():
    train, val = loaders()
    model = WithAuxHead()
    history = fit(
        model, train, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), 2, val_loader=val, progress=False
    )
    assert model.calls == 2 * len(train) and history["val_acc"][-1] > 0.8
    plain = WithAuxHead()
    plain.training_loss = None  # as a model without the method
    with pytest.raises(TypeError, match="returned a tuple of 2 in training; give it a training_loss"):
        fit(plain, train, optim.SGD(plain.parameters(), lr=0.1), 1, progress=False)


def test_googlenet_weights_its_auxiliary_losses_by_0_3():
    import minicnn.functional as F
    from minicnn import models

    rng = np.random.default_rng(3)
    net = models.googlenet(variant="torchvision", num_classes=3)
    outputs = tuple(mc.tensor(rng.standard_normal((2, 3)).astype(np.float32)) for _ in range(3))
    target = mc.tensor(np.array([0, 2]))
    expected = sum(w * F.cross_entropy(o, target).item() for w, o in zip((1, 0.3, 0.3), outputs))
    assert net.training_loss(outputs, target).item() == pytest.approx(expected, rel=1e-6)
    assert net.training_loss(outputs[0], target).item() == pytest.approx(
        F.cross_entropy(outputs[0], target).item()
    )


def test_real_valued_targets_train_without_an_accuracy():
    """A regression or BCE's float targets: no accuracy (NaN), no confusion, and no crash."""
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (40, 1, 4, 4)).astype(np.float32)
    y = (x[:, :, :2, :2].mean(axis=(1, 2, 3)) > 0).astype(np.float32)[:, None]
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=20)
    mc.manual_seed(11)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))
    loss = mc.nn.functional.binary_cross_entropy_with_logits
    history = fit(
        model, loader, optim.SGD(model.parameters(), lr=0.1), 2, val_loader=loader, loss=loss, progress=False
    )
    assert np.isnan(history["train_acc"]).all() and np.isnan(history["val_acc"]).all()
    assert history["val_loss"][1] < history["val_loss"][0]
    result = evaluate(model, loader, loss=loss)
    assert np.isnan(result["accuracy"]) and result["confusion"] is None


def test_labels_ignored_by_the_loss_are_not_counted_in_the_accuracy():
    x, y = np.zeros((4, 1, 2, 2), np.float32), np.array([0, -100, 0, -100])
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    with mc.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(np.array([1.0, 0.0, 0.0], np.float32))  # predicts class 0
    result = evaluate(model, data.DataLoader(data.TensorDataset(x, y), batch_size=4))
    assert result["accuracy"] == 1.0 and result["confusion"].sum() == 2


def test_a_batch_with_every_label_ignored_is_named_not_blamed_on_the_learning_rate():
    x, y = np.random.default_rng(13).random((4, 1, 2, 2), np.float32), np.array([0, 1, -100, -100])
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=2)
    with pytest.raises(NonFiniteLossError) as err:
        fit(model, loader, optim.SGD(model.parameters(), lr=0.1), 1, progress=False)
    assert str(err.value).startswith("step 2 of 2 in epoch 1: the loss became nan: every label")
    assert "learning rate" not in str(err.value)


def test_reduce_on_plateau_steps_on_the_validation_loss():
    train, val = loaders(seed=4)
    model = small_net(seed=4)
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    seen = []
    real = plateau.step
    plateau.step = lambda metrics: seen.append(metrics) or real(metrics)
    history = fit(model, train, opt, 2, val_loader=val, scheduler=plateau, progress=False)
    assert seen == history["val_loss"]
    with pytest.raises(
        ValueError, match='ReduceLROnPlateau steps on an epoch\'s loss: use scheduler_step="epoch"'
    ):
        fit(model, train, opt, 1, scheduler=plateau, scheduler_step="batch", progress=False)


@pytest.mark.parametrize("step", ["step", "Batch", None])
def test_a_scheduler_step_that_is_not_epoch_or_batch_is_refused(step):
    train, _ = loaders(seed=5)
    model = small_net(seed=5)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=rf'scheduler_step must be "epoch" or "batch", got {step!r}'):
        fit(model, train, opt, 1, scheduler=optim.lr_scheduler.StepLR(opt, 1), scheduler_step=step)


def test_an_empty_loader_is_named_not_a_zero_loss():
    model = small_net(seed=6)
    empty = data.DataLoader(blobs(20, seed=6), batch_size=64, drop_last=True)
    with pytest.raises(
        ValueError, match=r"train_epoch: the loader gave no batches \(20 items, batch_size 64, drop_last"
    ):
        fit(model, empty, optim.SGD(model.parameters(), lr=0.1), 1, progress=False)
    with pytest.raises(ValueError, match="evaluate: the loader gave no batches"):
        evaluate(model, empty)
    assert predict(model, np.zeros((0, 1, 4, 4), np.float32)).shape == (0,)


def test_predict_takes_a_dataset_and_both_leave_the_mode_as_it_was():
    model = small_net(seed=7).train()
    ds = blobs(30, seed=7)
    loader = data.DataLoader(ds, batch_size=30)
    np.testing.assert_array_equal(predict(model, ds), predict(model, loader))
    assert model.training
    evaluate(model, loader)
    assert model.training
    assert not predict(model.eval(), ds).size == 0 and not model.training


def _untouched(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "change, err, match",
    [
        ({"epochs": 2.0}, TypeError, "fit: epochs must be an int, got float 2.0"),
        ({"epochs": "3"}, TypeError, "fit: epochs must be an int, got str '3'"),
        ({"epochs": -1}, ValueError, "fit: epochs must be >= 0, got -1"),
        ({"clip_grad_norm": 0}, ValueError, "fit: clip_grad_norm must be > 0 .*got 0"),
        ({"clip_grad_norm": -1.0}, ValueError, "fit: clip_grad_norm must be > 0 .*got -1.0"),
        ({"clip_grad_norm": "1"}, TypeError, "fit: clip_grad_norm must be a number > 0 or None, got '1'"),
        ({"callbacks": lambda e, r, m: None}, TypeError, r"fit: callbacks must be a list of .*got function"),
        ({"callbacks": [print, 3]}, TypeError, "fit: every callback must be callable .*got 3"),
        ({"val_loader": "empty"}, ValueError, r"fit: val_loader gives no batches \(0 items, batch_size 8\)"),
        ({"val_loader": "dataset"}, TypeError, "fit: val_loader is a TensorDataset, not a loader of batches"),
        ({"train_loader": "dataset"}, TypeError, "fit: train_loader is a TensorDataset, not a loader"),
        ({"train_loader": 3}, TypeError, r"fit: train_loader must give batches \(x, y\).*got int"),
        ({"optimizer": None}, TypeError, "fit: optimizer must be an optimizer .*got NoneType"),
        ({"model": "net"}, TypeError, "fit: model must be an nn.Module, got str"),
        ({"scheduler": "other"}, ValueError, "fit: the scheduler was built on another optimizer than fit's"),
    ],
)
def test_fit_names_an_argument_that_cannot_work_before_any_step(change, err, match):
    model = small_net(seed=8)
    ds = blobs(24, seed=8)
    args = {
        "model": model,
        "train_loader": data.DataLoader(ds, batch_size=8),
        "optimizer": optim.SGD(model.parameters(), lr=0.5),
        "epochs": 1,
    }
    args.update(change)
    loaders = {"empty": data.DataLoader(data.Subset(ds, []), batch_size=8), "dataset": ds}
    for name in ("val_loader", "train_loader"):
        args[name] = loaders.get(args.get(name), args.get(name))
    if change.get("scheduler") == "other":
        args["scheduler"] = optim.lr_scheduler.StepLR(optim.SGD(small_net().parameters(), lr=1), 1)
    before = _untouched(model)
    with pytest.raises(err, match=match):
        fit(progress=False, **args)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_every_callback_is_called_after_each_epoch_and_a_true_one_stops_after_it():
    train, _ = loaders(seed=9)
    model = small_net(seed=9)
    calls = []
    first = lambda epoch, row, model: calls.append(("first", epoch, row["epoch"])) or epoch == 1
    second = lambda epoch, row, model: calls.append(("second", epoch, row["epoch"]))
    history = fit(
        model,
        train,
        optim.SGD(model.parameters(), lr=0.1),
        5,
        callbacks=iter([first, second]),
        progress=False,
    )
    assert len(history) == 2
    assert calls == [("first", 0, 1), ("second", 0, 1), ("first", 1, 2), ("second", 1, 2)]


@pytest.mark.parametrize("step", ["epoch", "batch"])
def test_the_history_records_the_rate_each_epoch_began_with(step):
    train, _ = loaders(seed=10)  # 240 images, batches of 32: 8 steps an epoch
    model = small_net(seed=10)
    opt = optim.SGD(model.parameters(), lr=1.0)
    schedule = optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5**k)
    history = fit(model, train, opt, 3, scheduler=schedule, scheduler_step=step, progress=False)
    steps = 1 if step == "epoch" else len(train)
    assert history["lr"] == [0.5 ** (steps * e) for e in range(3)]
    assert opt.param_groups[0]["lr"] == 0.5 ** (steps * 3)


def test_clip_grad_norm_clips_each_steps_gradients_as_clip_grad_norm_does():
    ds = blobs(64, seed=11)
    trained = small_net(seed=11)
    fit(trained, data.DataLoader(ds, batch_size=16), optim.SGD(trained.parameters(), lr=0.5), 1,
        clip_grad_norm=0.05, progress=False)  # fmt: skip
    by_hand = small_net(seed=11)
    opt = optim.SGD(by_hand.parameters(), lr=0.5)
    for x, y in data.DataLoader(ds, batch_size=16):
        loss = mc.functional.cross_entropy(by_hand(x), y)
        opt.zero_grad()
        loss.backward()
        assert float(nn.utils.clip_grad_norm_(by_hand.parameters(), 0.05).item()) > 0.05  # it clipped
        opt.step()
    for (key, a), b in zip(trained.state_dict().items(), by_hand.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=key)


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


def test_evaluate_names_a_num_classes_too_small_for_the_labels():
    model = small_net(seed=13)
    loader = data.DataLoader(blobs(20, seed=13), batch_size=10)
    assert evaluate(model, loader, num_classes=4)["confusion"].shape == (4, 4)
    with pytest.raises(
        ValueError, match=r"evaluate: num_classes=1, but the .* class 1; .*needs num_classes >= 2"
    ):
        evaluate(model, loader, num_classes=1)
    for bad in (0, -2, 2.5, True):
        with pytest.raises(
            ValueError, match=f"evaluate: num_classes must be a positive int or None, got {bad}"
        ):
            evaluate(model, loader, num_classes=bad)
