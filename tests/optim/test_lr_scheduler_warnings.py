"""Learning-rate schedules warn as PyTorch's: step(epoch) is deprecated, and a schedule stepped
before its optimizer."""

import inspect
import warnings

import numpy as np
import pytest
from schedule_runs import CONFIGS, build, one_parameter

from minicnn import optim
from minicnn.optim import lr_scheduler

DEPRECATED = r"^\w+\.step\(epoch\) is deprecated, as in PyTorch: it jumps to epoch \d+"


def test_step_with_an_epoch_jumps_there_by_the_closed_form_and_warns_as_pytorch():
    """torch 2.13 still takes scheduler.step(epoch), with a deprecation warning: StepLR(lr 0.1,
    step_size 3) at epoch 5 is 0.1 * 0.1 ** (5 // 3)."""
    opt = optim.SGD(one_parameter(), lr=0.1)
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
    opt = optim.SGD(one_parameter(), lr=0.1)
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
        opt = Sign(one_parameter(), lr=0.1)
        sched = lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step()
        sched.step()
        assert sched.get_last_lr() == [0.05]
        lr_scheduler.CosineAnnealingWarmRestarts(optim.SGD(one_parameter(), lr=0.1), 2).step()
        lr_scheduler.ReduceLROnPlateau(optim.SGD(one_parameter(), lr=0.1)).step(1.0)
    assert list(inspect.signature(Sign.step).parameters) == ["self", "closure"]  # help() shows its own
