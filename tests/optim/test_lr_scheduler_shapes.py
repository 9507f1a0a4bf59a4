"""Learning-rate schedules, each one's own shape: SequentialLR's hand-over, warm restarts,
CyclicLR's bounds, ChainedScheduler, the old _LRScheduler name, the module's public names."""

import inspect
import math

import pytest
from schedule_runs import one_parameter, run

import minicnn as mc
from minicnn import optim
from minicnn.optim import lr_scheduler


def test_sequential_lr_starts_where_pytorchs_does():
    """A milestone at 0 hands over at once; a MultiplicativeLR multiplies at its milestone.
    The lrs are torch 2.13's."""
    opt = optim.SGD(one_parameter(), lr=0.1)
    exp, step = lr_scheduler.ExponentialLR(opt, 0.5), lr_scheduler.StepLR(opt, 1, 0.9)
    sched = lr_scheduler.SequentialLR(opt, [exp, step], milestones=[0])
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 3)[0]]
    assert lrs == pytest.approx([0.1, 0.09, 0.081, 0.0729], rel=1e-15)
    opt = optim.SGD(one_parameter(), lr=0.1)
    first = lr_scheduler.StepLR(opt, 1, 0.5)
    then = lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.8 if epoch == 0 else 0.5)
    sched = lr_scheduler.SequentialLR(opt, [first, then], milestones=[2])
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 4)[0]]
    assert lrs == pytest.approx([0.1, 0.05, 0.04, 0.02, 0.01], rel=1e-15)


def test_reduce_on_plateau_gives_a_group_added_later_its_one_min_lr():
    """As PyTorch: one min_lr serves a new group, a list of them is refused at the reduction."""
    opt = optim.SGD(one_parameter(), lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, min_lr=0.4)
    opt.add_param_group({"params": one_parameter(), "lr": 0.6})
    sched.step(1.0)
    sched.step(2.0)
    assert sched.get_last_lr() == [0.5, 0.4] and sched.min_lrs == [0.4, 0.4]
    opt = optim.SGD(one_parameter(), lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, min_lr=[0.4])
    opt.add_param_group({"params": one_parameter(), "lr": 0.6})
    sched.step(1.0)
    with pytest.raises(
        RuntimeError,
        match=r"^ReduceLROnPlateau: min_lrs must have one value per param group \(2\), got \[0.4\]; a group",
    ):
        sched.step(2.0)


def test_warm_restarts_restart_at_the_initial_lr_after_cycles_t_mult_times_longer():
    opt = optim.SGD(one_parameter(), lr=1.0)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 14)[0]]
    restarts = [t for t, lr in enumerate(lrs) if lr == 1.0]
    assert restarts == [0, 2, 6, 14]  # cycles of 2, 4 and 8 steps
    assert lrs[1] == pytest.approx(0.5) and lrs[4] == pytest.approx(0.5)  # each cycle's middle
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (0, 16, 14)


def test_warm_restarts_take_a_fractional_epoch_and_go_on_from_its_floor():
    opt = optim.SGD(one_parameter(), lr=1.0)
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
    opt = optim.SGD(one_parameter(), lr=0.5, momentum=0.5)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=1)
    lrs, moms = run(opt, sched, 6)
    assert [x[0] for x in lrs] == pytest.approx([0.3, 0.5, 0.1, 0.3, 0.5, 0.1])
    assert [x[0] for x in moms] == pytest.approx([0.85, 0.8, 0.9, 0.85, 0.8, 0.9])
    assert opt.param_groups[0]["max_momentum"] == 0.9 and opt.param_groups[0]["base_momentum"] == 0.8
    halving = lr_scheduler.CyclicLR(
        optim.Adam(one_parameter()), 0.0, 1.0, step_size_up=1, mode="triangular2", cycle_momentum=False
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
    opt = optim.SGD(one_parameter(), lr=0.1, momentum=0.9)
    fn_sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 1.0)
    assert fn_sched.state_dict()["_scale_fn_custom"] is None
    decay = Decay(0.5)
    sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=decay, scale_mode="iterations")
    run(opt, sched, 3)
    decay.rate = 0.25  # changed during training: the state dict carries it
    mc.save(sched.state_dict(), tmp_path / "c.npz")
    other = Decay(0.5)
    opt2 = optim.SGD(one_parameter(), lr=0.1, momentum=0.9)
    sched2 = lr_scheduler.CyclicLR(opt2, 0.01, 0.1, step_size_up=2, scale_fn=other, scale_mode="iterations")
    sched2.load_state_dict(mc.load(tmp_path / "c.npz"))
    assert other.rate == 0.25 and sched2._scale_fn_custom is other and sched2.last_epoch == 3
    assert run(opt2, sched2, 2) == run(opt, sched, 2)


def test_lr_scheduler_keeps_pytorchs_old_name_for_custom_schedules():
    """Tutorials written before PyTorch 2.0 subclass _LRScheduler."""

    class Warmup(lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * min(1.0, (self.last_epoch + 1) / 3) for base in self.base_lrs]

    opt = optim.SGD(one_parameter(), lr=0.3)
    sched = Warmup(opt)
    assert (
        isinstance(sched, lr_scheduler.LRScheduler) and lr_scheduler._LRScheduler.__name__ == "_LRScheduler"
    )
    lrs = [sched.get_last_lr()[0]] + [x[0] for x in run(opt, sched, 3)[0]]
    assert lrs == pytest.approx([0.1, 0.2, 0.3, 0.3], rel=1e-15)


def test_chained_scheduler_takes_the_first_schedules_optimizer_and_counts_no_steps():
    opt = optim.SGD(one_parameter(), lr=1.0)
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
