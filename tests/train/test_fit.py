"""fit / evaluate / predict on tiny problems: learning, checkpoints, resume, non-finite loss."""
import json
import os

import numpy as np
import pytest

import minicnn as mc
from minicnn import data, io, nn, optim
from minicnn.train import NonFiniteLossError, evaluate, fit, predict


def blobs(n=240, seed=0):
    """Two-class 1x4x4 images: class 1 is brighter in the top-left quarter."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, (n, 1, 4, 4)).astype(np.float32)
    x[y == 1, :, :2, :2] += 1.0
    return data.TensorDataset(x, y)


def small_net(seed=0, dropout=0.0):
    mc.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Dropout(dropout),
                         nn.Flatten(), nn.Linear(64, 2))


def loaders(seed=0):
    return (data.DataLoader(blobs(), batch_size=32, shuffle=True, seed=seed),
            data.DataLoader(blobs(120, seed=1), batch_size=60))


def test_fit_learns_a_tiny_problem():
    train, val = loaders()
    model = small_net()
    history = fit(model, train, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=4,
                  val_loader=val, progress=False)
    assert len(history) == 4
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] >= 0.95
    assert set(history.last()) >= {"train_loss", "train_acc", "val_loss", "val_acc", "seconds",
                                    "images_per_second", "lr"}


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


def run(tmp_path, epochs, resume=False, stop_after=None):
    """Train with a checkpoint folder; optionally 'crash' during epoch stop_after."""
    train, val = loaders()
    model = small_net(dropout=0.3)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    callbacks = ()
    if stop_after is not None:
        def crash(epoch, row, model):
            if epoch + 1 == stop_after:
                raise KeyboardInterrupt   # as if the run were killed after this checkpoint
        callbacks = (crash,)
    try:
        fit(model, train, opt, epochs, val_loader=val, scheduler=sched, out=str(tmp_path),
            resume=resume, callbacks=callbacks, progress=False)
    except KeyboardInterrupt:
        pass
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
    with pytest.raises(NonFiniteLossError, match=r"first module with a non-finite output is '2'"):
        fit(model, train, optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


def test_progress_prints_one_line_per_epoch_when_not_a_terminal(capsys):
    train, _ = loaders()
    model = small_net()
    fit(model, train, optim.SGD(model.parameters(), lr=0.1), epochs=2)
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("epoch")]
    assert len(lines) == 2 and "train_loss" in lines[0] and "img/s" in lines[0]
