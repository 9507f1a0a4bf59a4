"""Learning-rate schedules: PyTorch's sequences (lr and cycled momentum), resuming from state dicts
(their layout: test_scheduler_state_dicts.py; bad settings: test_scheduler_errors.py; each
schedule's own shape: test_lr_scheduler_shapes.py; warnings: test_lr_scheduler_warnings.py)."""

import json
import warnings

import numpy as np
import pytest
from schedule_runs import CONFIGS, GOLDEN, build, epochs_of, momenta, run

import minicnn as mc
from minicnn import nn, optim
from minicnn.optim import lr_scheduler


@pytest.mark.parametrize("name", list(CONFIGS))
def test_sequence_matches_pytorch(name):
    cfg = CONFIGS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in the right order, building and stepping say nothing
        opt, sched = build(cfg) if name != "sequential_of_chained" else _built_warning(cfg)
    first_lr, first_mom = sched.get_last_lr(), momenta(opt)
    rest_lr, rest_mom = run(opt, sched, cfg["steps"], epochs_of(cfg))
    np.testing.assert_allclose([first_lr] + rest_lr, GOLDEN[f"sched.{name}.lr"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose([first_mom] + rest_mom, GOLDEN[f"sched.{name}.momentum"], rtol=1e-13)
    assert [g["lr"] for g in opt.param_groups] == rest_lr[-1]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_state_dict_resume_gives_the_same_sequence(name, tmp_path):
    cfg = CONFIGS[name]
    split, epochs = cfg["steps"] // 2, epochs_of(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a nested ChainedScheduler's start: tested above
        opt, sched = build(cfg)
    run(opt, sched, split, epochs[:split])
    mc.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "s.npz")
    expected = run(opt, sched, cfg["steps"] - split, epochs[split:])

    saved = mc.load(tmp_path / "s.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt2, sched2 = build(cfg)
    opt2.load_state_dict(saved["optimizer"])
    sched2.load_state_dict(saved["scheduler"])
    assert run(opt2, sched2, cfg["steps"] - split, epochs[split:]) == expected


def _built_warning(cfg):
    """A ChainedScheduler that a SequentialLR starts steps its schedules before any optimizer
    step, and PyTorch warns there; so does this."""
    with pytest.warns(UserWarning, match=r"^Detected call of `lr_scheduler.step\(\)` before"):
        return build(cfg)


def test_get_last_lr_is_a_copy_and_initial_lr_is_recorded():
    opt, sched = build({"cls": "StepLR", "kwargs": {"step_size": 2}})
    sched.get_last_lr()[0] = 123.0
    assert sched.get_last_lr() == [0.1] and opt.param_groups[0]["initial_lr"] == 0.1
    assert "optimizer" not in sched.state_dict()


def test_multistep_state_dict_survives_save_and_load(tmp_path):
    opt, sched = build({"cls": "MultiStepLR", "kwargs": {"milestones": [1, 3, 3], "gamma": 0.5}})
    mc.save(sched.state_dict(), tmp_path / "m.npz")
    opt2, sched2 = build({"cls": "MultiStepLR", "kwargs": {"milestones": [9]}})
    sched2.load_state_dict(mc.load(tmp_path / "m.npz"))
    assert sched2.milestones == {1: 1, 3: 2}
    assert [run(opt2, sched2, 1)[0][0][0] for _ in range(3)] == pytest.approx([0.05, 0.05, 0.0125])


class Halving:
    """A callable object: its attributes are what LambdaLR's state_dict keeps."""

    def __init__(self, every):
        self.every = every

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


def test_lambda_lr_saves_a_callable_objects_attributes_not_a_function(tmp_path):
    opt, sched = build({"cls": "LambdaLR", "kwargs": {"lr_lambda": "warmup"}})
    assert sched.state_dict()["lr_lambdas"] == [None]  # a lambda cannot be saved
    p = [nn.Parameter(np.zeros(1))]
    halving = Halving(every=2)
    sched = lr_scheduler.LambdaLR(optim.SGD(p, lr=0.8), halving)
    run(sched.optimizer, sched, 3)
    halving.every = 1  # changed during training: the state dict carries it
    mc.save(sched.state_dict(), tmp_path / "l.npz")
    other = Halving(every=2)
    sched2 = lr_scheduler.LambdaLR(optim.SGD([nn.Parameter(np.zeros(1))], lr=0.8), other)
    sched2.load_state_dict(mc.load(tmp_path / "l.npz"))
    assert other.every == 1 and sched2.last_epoch == 3
    sched2.step()
    assert sched2.get_last_lr() == [0.8 * 0.5**4]


def test_schedules_built_with_last_epoch_start_from_the_lr_as_it_stands():
    """Resuming by hand (initial_lr in the groups, last_epoch given) sets no extra factor;
    PyTorch's values: ExponentialLR and MultiplicativeLR keep 0.1, then multiply."""
    for make in (
        lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9, last_epoch=3),
        lambda opt: lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.9, last_epoch=3),
    ):
        opt = optim.SGD([{"params": [nn.Parameter(np.zeros(1))], "initial_lr": 1.0}], lr=0.1)
        sched = make(opt)
        assert sched.get_last_lr() == [0.1]
        opt.step()
        sched.step()
        assert sched.get_last_lr() == [pytest.approx(0.09, rel=1e-15)]


PLATEAUS = json.loads(str(GOLDEN["plateaus"]))


def plateau(cfg):
    params = [nn.Parameter(np.zeros(1)) for _ in cfg["lrs"]]
    opt = optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, cfg["lrs"])])
    return opt, lr_scheduler.ReduceLROnPlateau(opt, **cfg["kwargs"])


@pytest.mark.parametrize("name", list(PLATEAUS))
def test_reduce_on_plateau_matches_pytorch(name):
    """Patience, cooldown, per-group min_lr, rel and abs thresholds, min and max modes."""
    cfg = PLATEAUS[name]
    opt, sched = plateau(cfg)
    lrs = [sched.get_last_lr()]
    for metric in cfg["metrics"]:
        opt.step()
        sched.step(mc.tensor(np.asarray(metric)) if len(lrs) % 2 else metric)  # a Tensor or a float
        lrs.append(sched.get_last_lr())
    np.testing.assert_allclose(lrs, GOLDEN[f"plateau.{name}.lr"], rtol=1e-15)


def test_reduce_on_plateau_resumes_from_its_state_dict(tmp_path):
    cfg = PLATEAUS["plateau_min_rel"]
    opt, sched = plateau(cfg)
    half = len(cfg["metrics"]) // 2
    for metric in cfg["metrics"][:half]:
        sched.step(metric)
    mc.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "s.npz")
    saved = mc.load(tmp_path / "s.npz")
    opt2, sched2 = plateau(cfg)
    opt2.load_state_dict(saved["optimizer"])
    sched2.load_state_dict(saved["scheduler"])
    for metric in cfg["metrics"][half:]:
        sched.step(metric)
        sched2.step(metric)
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_fit_resumes_a_sequential_schedule(tmp_path):
    from minicnn import data
    from minicnn.train import fit

    rng = np.random.default_rng(51)
    ds = data.TensorDataset(rng.random((16, 1, 2, 2)).astype(np.float32), rng.integers(0, 2, 16))

    def run(epochs, resume):
        mc.manual_seed(51)
        model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
        opt = optim.SGD(model.parameters(), lr=0.1)
        warm = lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
        sched = lr_scheduler.SequentialLR(opt, [warm, lr_scheduler.StepLR(opt, 1, 0.5)], milestones=[2])
        loader = data.DataLoader(ds, batch_size=8, shuffle=True, seed=51)
        return fit(
            model, loader, opt, epochs, scheduler=sched, out=tmp_path / "run", resume=resume, progress=False
        )

    whole = run(4, resume=False)["lr"]
    (tmp_path / "run" / "checkpoint.npz").unlink()
    run(2, resume=False)
    assert run(4, resume=True)["lr"] == whole
