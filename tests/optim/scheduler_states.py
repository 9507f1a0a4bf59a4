"""What the scheduler state-dict tests share: each schedule on one SGD, PyTorch 2.13's state dicts of
them, and the checks that a state matches or is refused."""

import math

import numpy as np
import pytest

from minicnn import nn, optim
from minicnn.optim import lr_scheduler


class Half:
    """A callable object (its attributes are what a state dict keeps of it): always 0.5."""

    def __init__(self):
        self.k = 0.5

    def __call__(self, step):
        return self.k


# each schedule on an SGD with lr 0.1 and momentum 0.9 over one parameter
SCHEDULES = {
    "StepLR": lambda opt: lr_scheduler.StepLR(opt, 2, 0.5),
    "MultiStepLR": lambda opt: lr_scheduler.MultiStepLR(opt, [1, 3], 0.5),
    "ExponentialLR": lambda opt: lr_scheduler.ExponentialLR(opt, 0.9),
    "LambdaLR": lambda opt: lr_scheduler.LambdaLR(opt, Half()),
    "MultiplicativeLR": lambda opt: lr_scheduler.MultiplicativeLR(opt, Half()),
    "LinearLR": lambda opt: lr_scheduler.LinearLR(opt, 0.5, total_iters=3),
    "CosineAnnealingLR": lambda opt: lr_scheduler.CosineAnnealingLR(opt, 3),
    "CosineAnnealingWarmRestarts": lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, 2, 2),
    "CyclicLR": lambda opt: lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=Half()),
    "OneCycleLR": lambda opt: lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10),
    "ReduceLROnPlateau": lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=1),
    "SequentialLR": lambda opt: lr_scheduler.SequentialLR(
        opt,
        [lr_scheduler.LinearLR(opt, 0.5, total_iters=2), lr_scheduler.ExponentialLR(opt, 0.9)],
        milestones=[2],
    ),
    "ConstantLR": lambda opt: lr_scheduler.ConstantLR(opt, 0.5, total_iters=3),
    "PolynomialLR": lambda opt: lr_scheduler.PolynomialLR(opt, total_iters=6, power=2.0),
    "ChainedScheduler": lambda opt: lr_scheduler.ChainedScheduler(
        [lr_scheduler.ConstantLR(opt, 0.5, total_iters=2), lr_scheduler.ExponentialLR(opt, 0.9)]
    ),
}


# torch 2.13's, for the same schedules: _step_count after 0, 1 and 4 steps (None: no such
# entry; CosineAnnealingWarmRestarts' step() does not count), the state dict after 4 steps
# (ReduceLROnPlateau stepped with 1.0 each time), and the lrs of the step after
TORCH = {
    "StepLR": (
        [1, 2, 5],
        {
            "step_size": 2,
            "gamma": 0.5,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.025],
        },
        [0.025],
    ),
    "MultiStepLR": (
        [1, 2, 5],
        {
            "milestones": {1: 1, 3: 1},
            "gamma": 0.5,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.025],
        },
        [0.025],
    ),
    "ExponentialLR": (
        [1, 2, 5],
        {
            "gamma": 0.9,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.06561000000000002],
        },
        [0.05904900000000002],
    ),
    "LambdaLR": (
        [1, 2, 5],
        {
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.05],
            "lr_lambdas": [{"k": 0.5}],
        },
        [0.05],
    ),
    "MultiplicativeLR": (
        [1, 2, 5],
        {
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.00625],
            "lr_lambdas": [{"k": 0.5}],
        },
        [0.003125],
    ),
    "LinearLR": (
        [1, 2, 5],
        {
            "start_factor": 0.5,
            "end_factor": 1.0,
            "total_iters": 3,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.09999999999999999],
        },
        [0.09999999999999999],
    ),
    "CosineAnnealingLR": (
        [1, 2, 5],
        {
            "T_max": 3,
            "eta_min": 0.0,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.024999999999999994],
        },
        [0.07500000000000005],
    ),
    "CosineAnnealingWarmRestarts": (
        [0, 0, 0],
        {
            "T_0": 2,
            "T_i": 4,
            "T_mult": 2,
            "eta_min": 0.0,
            "T_cur": 2,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 0,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.05],
        },
        [0.014644660940672627],
    ),
    "CyclicLR": (
        [1, 2, 5],
        {
            "max_lrs": [0.1],
            "total_size": 4.0,
            "step_ratio": 0.5,
            "mode": "triangular",
            "gamma": 1.0,
            "scale_mode": "cycle",
            "cycle_momentum": True,
            "use_beta1": False,
            "base_momentums": [0.8],
            "max_momentums": [0.9],
            "base_lrs": [0.01],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.01],
            "_scale_fn_custom": {"k": 0.5},
        },
        [0.0325],
    ),
    "OneCycleLR": (
        [1, 2, 5],
        {
            "total_steps": 10,
            "_schedule_phases": [
                {
                    "end_step": 2.0,
                    "start_lr": "initial_lr",
                    "end_lr": "max_lr",
                    "start_momentum": "max_momentum",
                    "end_momentum": "base_momentum",
                },
                {
                    "end_step": 9,
                    "start_lr": "max_lr",
                    "end_lr": "min_lr",
                    "start_momentum": "base_momentum",
                    "end_momentum": "max_momentum",
                },
            ],
            "_anneal_func_type": "cos",
            "cycle_momentum": True,
            "use_beta1": False,
            "base_lrs": [0.04],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.8117456539497631],
        },
        [0.6112620219362893],
    ),
    "ReduceLROnPlateau": (
        [None, None, None],
        {
            "factor": 0.1,
            "default_min_lr": 0,
            "min_lrs": [0],
            "patience": 1,
            "cooldown": 0,
            "eps": 1e-08,
            "last_epoch": 4,
            "_last_lr": [0.010000000000000002],
            "mode_worse": math.inf,
            "mode": "min",
            "threshold": 0.0001,
            "threshold_mode": "rel",
            "best": 1.0,
            "cooldown_counter": 0,
            "num_bad_epochs": 1,
        },
        [0.0010000000000000002],
    ),
    "SequentialLR": (
        [None, None, None],
        {
            "_milestones": [2],
            "last_epoch": 4,
            "_last_lr": [0.08100000000000002],
            "_schedulers": [
                {
                    "start_factor": 0.5,
                    "end_factor": 1.0,
                    "total_iters": 2,
                    "base_lrs": [0.1],
                    "last_epoch": 1,
                    "_step_count": 2,
                    "_is_initial": False,
                    "_get_lr_called_within_step": False,
                    "_last_lr": [0.07500000000000001],
                },
                {
                    "gamma": 0.9,
                    "base_lrs": [0.1],
                    "last_epoch": 2,
                    "_step_count": 3,
                    "_is_initial": False,
                    "_get_lr_called_within_step": False,
                    "_last_lr": [0.08100000000000002],
                },
            ],
        },
        [0.07290000000000002],
    ),
    "ConstantLR": (
        [1, 2, 5],
        {
            "factor": 0.5,
            "total_iters": 3,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.1],
        },
        [0.1],
    ),
    "PolynomialLR": (
        [1, 2, 5],
        {
            "total_iters": 6,
            "power": 2.0,
            "base_lrs": [0.1],
            "last_epoch": 4,
            "_step_count": 5,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": [0.011111111111111117],
        },
        [0.0027777777777777775],
    ),
    "ChainedScheduler": (
        [None, None, None],
        {
            "_last_lr": [0.06561000000000002],
            "_schedulers": [
                {
                    "factor": 0.5,
                    "total_iters": 2,
                    "base_lrs": [0.1],
                    "last_epoch": 4,
                    "_step_count": 5,
                    "_is_initial": False,
                    "_get_lr_called_within_step": False,
                    "_last_lr": [0.07290000000000002],
                },
                {
                    "gamma": 0.9,
                    "base_lrs": [0.1],
                    "last_epoch": 4,
                    "_step_count": 5,
                    "_is_initial": False,
                    "_get_lr_called_within_step": False,
                    "_last_lr": [0.06561000000000002],
                },
            ],
        },
        [0.05904900000000002],
    ),
}


def build(name):
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    return opt, SCHEDULES[name](opt)


def step(opt, sched):
    opt.step()
    sched.step(1.0) if isinstance(sched, lr_scheduler.ReduceLROnPlateau) else sched.step()


def assert_same_state(got, expected, where="state_dict"):
    """Equal entry by entry; floats to the last bits (the lrs come from PyTorch's formulas)."""
    if isinstance(expected, dict):
        assert set(got) == set(expected), f"{where}: keys {sorted(got)}, PyTorch's {sorted(expected)}"
        for key in expected:
            assert_same_state(got[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got!r}"
        for i, (a, b) in enumerate(zip(got, expected)):
            assert_same_state(a, b, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-13, abs=1e-16), (
            f"{where}: {got!r}, PyTorch's {expected!r}"
        )
    else:
        assert got == expected and type(got) is type(expected), f"{where}: {got!r}, PyTorch's {expected!r}"


def assert_refused(opt, sched, state, message, error=ValueError):
    """Refused in one line equal to (or, a compiled pattern, matching) ``message``; nothing changes."""
    before, lrs = sched.state_dict(), [g["lr"] for g in opt.param_groups]
    with pytest.raises(error) as err:
        sched.load_state_dict(state)
    text = str(err.value)
    assert "\n" not in text
    assert message.fullmatch(text) if hasattr(message, "fullmatch") else text == message, text
    assert_same_state(sched.state_dict(), before)
    assert [g["lr"] for g in opt.param_groups] == lrs
