"""fit stopped early: a non-finite loss or weight names the module and keeps the last good checkpoint;
Ctrl-C says which epoch is kept."""

import numpy as np
import pytest
from fit_helpers import PoisonedSGD, loaders, small_net

import minicnn as mc
from minicnn import nn, optim
from minicnn.train import (
    Interrupted,
    NonFiniteLossError,
    NonFiniteParameterError,
    fit,
    read_checkpoint,
)


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
