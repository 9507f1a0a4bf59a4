"""Learning-rate schedules: PyTorch's sequences (lr and cycled momentum), resuming from state dicts
(their layout: test_scheduler_state_dicts.py; bad settings: test_scheduler_errors.py)."""

import inspect
import json
import math
import pathlib
import warnings

import numpy as np
import pytest
from fixtures.gen_optim import build_scheduler

import minicnn as mc
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
        warnings.filterwarnings("ignore", r".*step\(epoch\) is deprecated")  # its own test below
        for epoch in epochs or [None] * steps:
            opt.step()
            sched.step() if epoch is None else sched.step(epoch)
            lrs.append(sched.get_last_lr())
            moms.append(momenta(opt))
    return lrs, moms


def epochs_of(cfg):
    return cfg.get("epochs", [None] * cfg["steps"])


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
    for build in (
        lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9, last_epoch=3),
        lambda opt: lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.9, last_epoch=3),
    ):
        opt = optim.SGD([{"params": [nn.Parameter(np.zeros(1))], "initial_lr": 1.0}], lr=0.1)
        sched = build(opt)
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


def _params():
    return [nn.Parameter(np.zeros(1))]


def test_sequential_lr_starts_where_pytorchs_does():
    """A milestone at 0 hands over at once; a MultiplicativeLR multiplies at its milestone.
    The lrs are torch 2.13's."""
    opt = optim.SGD(_params(), lr=0.1)
    exp, step = lr_scheduler.ExponentialLR(opt, 0.5), lr_scheduler.StepLR(opt, 1, 0.9)
    sched = lr_scheduler.SequentialLR(opt, [exp, step], milestones=[0])
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 3)[0]]
    assert lrs == pytest.approx([0.1, 0.09, 0.081, 0.0729], rel=1e-15)
    opt = optim.SGD(_params(), lr=0.1)
    first = lr_scheduler.StepLR(opt, 1, 0.5)
    then = lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.8 if epoch == 0 else 0.5)
    sched = lr_scheduler.SequentialLR(opt, [first, then], milestones=[2])
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 4)[0]]
    assert lrs == pytest.approx([0.1, 0.05, 0.04, 0.02, 0.01], rel=1e-15)


def test_reduce_on_plateau_gives_a_group_added_later_its_one_min_lr():
    """As PyTorch: one min_lr serves a new group, a list of them is refused at the reduction."""
    opt = optim.SGD(_params(), lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, min_lr=0.4)
    opt.add_param_group({"params": _params(), "lr": 0.6})
    sched.step(1.0)
    sched.step(2.0)
    assert sched.get_last_lr() == [0.5, 0.4] and sched.min_lrs == [0.4, 0.4]
    opt = optim.SGD(_params(), lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, min_lr=[0.4])
    opt.add_param_group({"params": _params(), "lr": 0.6})
    sched.step(1.0)
    with pytest.raises(
        RuntimeError,
        match=r"^ReduceLROnPlateau: min_lrs must have one value per param group \(2\), got \[0.4\]; a group",
    ):
        sched.step(2.0)


def test_warm_restarts_restart_at_the_initial_lr_after_cycles_t_mult_times_longer():
    opt = optim.SGD(_params(), lr=1.0)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 14)[0]]
    restarts = [t for t, lr in enumerate(lrs) if lr == 1.0]
    assert restarts == [0, 2, 6, 14]  # cycles of 2, 4 and 8 steps
    assert lrs[1] == pytest.approx(0.5) and lrs[4] == pytest.approx(0.5)  # each cycle's middle
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (0, 16, 14)


def test_warm_restarts_take_a_fractional_epoch_and_go_on_from_its_floor():
    opt = optim.SGD(_params(), lr=1.0)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, eta_min=0.2)
    sched.step(5.0)  # one restart in: T_cur = 1 of 4
    assert sched.get_last_lr() == [pytest.approx(0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2)]
    sched.step(6.5)
    assert sched.last_epoch == 6 and sched.T_cur == 2.5
    sched.step()  # the epoch after 6, and T_cur one on from 2.5
    assert sched.last_epoch == 7 and sched.T_cur == 3.5
    sched.step()
    assert sched.T_cur == pytest.approx(0.5) and sched.get_last_lr() == [
        pytest.approx(0.2 + 0.8 * (1 + math.cos(math.pi / 8)) / 2)
    ]


def test_cyclic_lr_goes_up_and_down_between_its_bounds_and_momentum_the_other_way():
    opt = optim.SGD(_params(), lr=0.5, momentum=0.5)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=1)
    lrs, moms = run(opt, sched, 6)
    assert [x[0] for x in lrs] == pytest.approx([0.3, 0.5, 0.1, 0.3, 0.5, 0.1])
    assert [x[0] for x in moms] == pytest.approx([0.85, 0.8, 0.9, 0.85, 0.8, 0.9])
    assert opt.param_groups[0]["max_momentum"] == 0.9 and opt.param_groups[0]["base_momentum"] == 0.8
    halving = lr_scheduler.CyclicLR(
        optim.Adam(_params()), 0.0, 1.0, step_size_up=1, mode="triangular2", cycle_momentum=False
    )
    assert [x[0] for x in run(halving.optimizer, halving, 6)[0]] == [1.0, 0.0, 0.5, 0.0, 0.25, 0.0]
    assert halving.optimizer.param_groups[0]["betas"][0] == 0.9  # not cycled


class Decay:
    """A callable object: its attributes are what CyclicLR's state_dict keeps of a scale_fn."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, x):
        return self.rate**x


def test_cyclic_lr_saves_a_scale_fn_objects_attributes_not_a_function(tmp_path):
    opt = optim.SGD(_params(), lr=0.1, momentum=0.9)
    fn_sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 1.0)
    assert fn_sched.state_dict()["_scale_fn_custom"] is None
    decay = Decay(0.5)
    sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=decay, scale_mode="iterations")
    run(opt, sched, 3)
    decay.rate = 0.25  # changed during training: the state dict carries it
    mc.save(sched.state_dict(), tmp_path / "c.npz")
    other = Decay(0.5)
    opt2 = optim.SGD(_params(), lr=0.1, momentum=0.9)
    sched2 = lr_scheduler.CyclicLR(opt2, 0.01, 0.1, step_size_up=2, scale_fn=other, scale_mode="iterations")
    sched2.load_state_dict(mc.load(tmp_path / "c.npz"))
    assert other.rate == 0.25 and sched2._scale_fn_custom is other and sched2.last_epoch == 3
    assert run(opt2, sched2, 2) == run(opt, sched, 2)


DEPRECATED = r"^\w+\.step\(epoch\) is deprecated, as in PyTorch: it jumps to epoch \d+"


def test_step_with_an_epoch_jumps_there_by_the_closed_form_and_warns_as_pytorch():
    """torch 2.13 still takes scheduler.step(epoch), with a deprecation warning: StepLR(lr 0.1,
    step_size 3) at epoch 5 is 0.1 * 0.1 ** (5 // 3)."""
    opt = optim.SGD(_params(), lr=0.1)
    sched = lr_scheduler.StepLR(opt, 3)
    opt.step()
    with pytest.warns(UserWarning, match=DEPRECATED) as caught:
        sched.step(5)
    assert len(caught) == 1 and caught[0].filename == __file__  # points at the caller's line
    assert sched.get_last_lr() == [0.1 * 0.1] == [opt.param_groups[0]["lr"]]  # torch's 0.010000000000000002
    assert (sched.last_epoch, sched._step_count) == (5, 2)
    sched.step()  # and on from there, as PyTorch's recursive form
    assert sched.last_epoch == 6 and sched.get_last_lr() == [pytest.approx(0.001, rel=1e-15)]


@pytest.mark.parametrize("name", [n for n in CONFIGS if "epochs" in CONFIGS[n]])
def test_each_epoch_given_to_step_warns_but_warm_restarts_fractional_ones(name):
    """CosineAnnealingWarmRestarts takes step(epoch) as its own (fractions of an epoch), and
    PyTorch's says nothing; every other schedule warns once per epoch given."""
    cfg = CONFIGS[name]
    opt, sched = build(cfg)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for epoch in cfg["epochs"]:
            opt.step()
            sched.step() if epoch is None else sched.step(epoch)
    given = sum(epoch is not None for epoch in cfg["epochs"])
    expected = 0 if cfg["cls"] == "CosineAnnealingWarmRestarts" else given
    assert [str(w.message).split(".step")[0] for w in caught] == [cfg["cls"]] * expected
    assert given > 0


ORDER = r"^Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)` \(StepLR\): call"


def test_a_schedule_stepped_before_the_optimizer_warns_once_as_pytorch():
    opt = optim.SGD(_params(), lr=0.1)
    sched = lr_scheduler.StepLR(opt, 1, gamma=0.5)
    with pytest.warns(UserWarning, match=ORDER) as caught:
        sched.step()
    assert len(caught) == 1 and caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # only the first step is checked, as in PyTorch
        opt.step()
        late = lr_scheduler.StepLR(opt, 1)  # built after the optimizer stepped: nothing to say
        late.step()
    assert sched.get_last_lr() == [0.025]  # the same lrs as in the right order, one step early


def test_no_warning_in_the_right_order_nor_for_restarts_and_plateaus():
    """A subclass with its own step() (PyTorch's way to write an optimizer) counts as a step;
    CosineAnnealingWarmRestarts and ReduceLROnPlateau never warn, as in PyTorch."""

    class Sign(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.data -= group["lr"] * np.sign(p.grad.data)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = Sign(_params(), lr=0.1)
        sched = lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step()
        sched.step()
        assert sched.get_last_lr() == [0.05]
        lr_scheduler.CosineAnnealingWarmRestarts(optim.SGD(_params(), lr=0.1), 2).step()
        lr_scheduler.ReduceLROnPlateau(optim.SGD(_params(), lr=0.1)).step(1.0)
    assert list(inspect.signature(Sign.step).parameters) == ["self", "closure"]  # help() shows its own


def test_lr_scheduler_keeps_pytorchs_old_name_for_custom_schedules():
    """Tutorials written before PyTorch 2.0 subclass _LRScheduler."""

    class Warmup(lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * min(1.0, (self.last_epoch + 1) / 3) for base in self.base_lrs]

    opt = optim.SGD(_params(), lr=0.3)
    sched = Warmup(opt)
    assert (
        isinstance(sched, lr_scheduler.LRScheduler) and lr_scheduler._LRScheduler.__name__ == "_LRScheduler"
    )
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 3)[0]]
    assert lrs == pytest.approx([0.1, 0.2, 0.3, 0.3], rel=1e-15)


def test_chained_scheduler_takes_the_first_schedules_optimizer_and_counts_no_steps():
    opt = optim.SGD(_params(), lr=1.0)
    first = lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
    sched = lr_scheduler.ChainedScheduler([first, lr_scheduler.ExponentialLR(opt, 0.5)])
    assert sched.optimizer is opt and sched.get_last_lr() == [0.5]
    assert not hasattr(sched, "last_epoch") and set(sched.state_dict()) == {"_last_lr", "_schedulers"}
    assert [x[0] for x in run(opt, sched, 3)[0]] == [0.25, 0.25, 0.125]  # x2 at step 2, x0.5 each step


# torch.optim.lr_scheduler.__all__ of torch 2.13, in its order
TORCH_SCHEDULERS = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
]


def test_the_module_s_public_names_are_its_schedulers_as_torch_s():
    assert lr_scheduler.__all__ == TORCH_SCHEDULERS
    schedulers = sorted(
        name
        for name, obj in vars(lr_scheduler).items()
        if inspect.isclass(obj) and issubclass(obj, lr_scheduler.LRScheduler) and not name.startswith("_")
    )
    assert sorted(lr_scheduler.__all__) == schedulers
    assert dir(lr_scheduler) == schedulers  # not bisect, math, warnings, check_number ...
    namespace: dict = {}
    exec("from minicnn.optim.lr_scheduler import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == schedulers
    assert lr_scheduler._LRScheduler.__mro__[1] is lr_scheduler.LRScheduler  # the old name, still taken
