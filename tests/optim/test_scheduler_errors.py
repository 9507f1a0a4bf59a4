"""Bad settings of the step schedules and of every schedule: each refused when it is built, in
one line that names it, what it expected and what it got; step(epoch) checked too; and what
PyTorch gives a meaning to is taken. (CyclicLR, OneCycleLR and ReduceLROnPlateau:
test_scheduler_errors_cycles.py; SequentialLR and ChainedScheduler:
test_scheduler_errors_combined.py.)"""

import math

import numpy as np
import pytest
from schedule_checks import exactly, sgd, stepped

from minicnn.optim import lr_scheduler as L


def half(epoch):
    return 0.5


def sequential_of_one(opt):
    return L.SequentialLR(opt, [L.StepLR(opt, 1)], [])


# (what is built, the error, its message)
BAD = [
    # every schedule: an Optimizer, and last_epoch -1 or a step to resume from
    (lambda: L.StepLR(object(), 1), TypeError, "StepLR: optimizer must be an Optimizer, got object"),
    (lambda: L.LambdaLR("sgd", half), TypeError, "LambdaLR: optimizer must be an Optimizer, got 'sgd'"),
    (lambda: L.CyclicLR(None, 0.01, 0.1), TypeError, "CyclicLR: optimizer must be an Optimizer, got None"),
    (lambda: L.OneCycleLR([], 1.0, 10), TypeError, "OneCycleLR: optimizer must be an Optimizer, got []"),
    (
        lambda: L.ReduceLROnPlateau(object()),
        TypeError,
        "ReduceLROnPlateau: optimizer must be an Optimizer, got object",
    ),
    (
        lambda: L.SequentialLR(object(), [L.StepLR(sgd(), 1)], []),
        TypeError,
        "SequentialLR: optimizer must be an Optimizer, got object",
    ),
    (
        lambda: L.StepLR(sgd(), 1, last_epoch=-2),
        ValueError,
        "StepLR: last_epoch must be an integer >= -1, got -2",
    ),
    (
        lambda: L.CosineAnnealingWarmRestarts(sgd(), 2, last_epoch=1.5),
        ValueError,
        "CosineAnnealingWarmRestarts: last_epoch must be an integer >= -1, got 1.5",
    ),
    (
        lambda: L.StepLR(sgd(), 1, last_epoch=4),
        KeyError,
        "StepLR: resuming at last_epoch=4 needs each param group's 'initial_lr', param_groups[0] "
        "has none; load the optimizer's state dict first",
    ),
    # StepLR, MultiStepLR, ExponentialLR
    (lambda: L.StepLR(sgd(), 0), ValueError, "StepLR: step_size must be a positive integer, got 0"),
    (lambda: L.StepLR(sgd(), -2), ValueError, "StepLR: step_size must be a positive integer, got -2"),
    (lambda: L.StepLR(sgd(), 2.5), ValueError, "StepLR: step_size must be a positive integer, got 2.5"),
    (lambda: L.StepLR(sgd(), 2, gamma=0), ValueError, "StepLR: gamma must be a number > 0, got 0"),
    (lambda: L.StepLR(sgd(), 2, gamma=math.nan), ValueError, "StepLR: gamma must be a number > 0, got nan"),
    (
        lambda: L.MultiStepLR(sgd(), 30),
        ValueError,
        "MultiStepLR: milestones must be a list of integers >= 0, got 30",
    ),
    (
        lambda: L.MultiStepLR(sgd(), "30"),
        ValueError,
        "MultiStepLR: milestones must be a list of integers >= 0, got '30'",
    ),
    (
        lambda: L.MultiStepLR(sgd(), [30, -1]),
        ValueError,
        "MultiStepLR: milestones must be a list of integers >= 0, got [30, -1]",
    ),
    (
        lambda: L.MultiStepLR(sgd(), [[30]]),
        ValueError,
        "MultiStepLR: milestones must be a list of integers >= 0, got a list of 1",
    ),
    (
        lambda: L.MultiStepLR(sgd(), [30], gamma=-0.1),
        ValueError,
        "MultiStepLR: gamma must be a number > 0, got -0.1",
    ),
    (
        lambda: L.ExponentialLR(sgd(), "0.9"),
        ValueError,
        "ExponentialLR: gamma must be a number > 0, got '0.9'",
    ),
    (lambda: L.ExponentialLR(sgd(), True), ValueError, "ExponentialLR: gamma must be a number > 0, got True"),
    # LambdaLR, MultiplicativeLR
    (
        lambda: L.LambdaLR(sgd(groups=2), [half]),
        ValueError,
        "LambdaLR: lr_lambda must be a function or a list of 2 (one per param group), got a list of 1",
    ),
    (
        lambda: L.LambdaLR(sgd(groups=2), [half, 0.5]),
        TypeError,
        "LambdaLR: lr_lambda[1] must be a function of the step, got 0.5",
    ),
    (
        lambda: L.MultiplicativeLR(sgd(), 0.9),
        TypeError,
        "MultiplicativeLR: lr_lambda must be a function of the step, got 0.9",
    ),
    # LinearLR, CosineAnnealingLR
    (
        lambda: L.LinearLR(sgd(), start_factor=0),
        ValueError,
        "LinearLR: start_factor must be a number in (0, 1], got 0",
    ),
    (
        lambda: L.LinearLR(sgd(), end_factor=1.5),
        ValueError,
        "LinearLR: end_factor must be a number in [0, 1], got 1.5",
    ),
    (
        lambda: L.LinearLR(sgd(), total_iters=0),
        ValueError,
        "LinearLR: total_iters must be a positive integer, got 0",
    ),
    (
        lambda: L.CosineAnnealingLR(sgd(), 0),
        ValueError,
        "CosineAnnealingLR: T_max must be a number > 0, got 0",
    ),
    (
        lambda: L.CosineAnnealingLR(sgd(), 10, eta_min=-0.1),
        ValueError,
        "CosineAnnealingLR: eta_min must be a number >= 0, got -0.1",
    ),
    # CosineAnnealingWarmRestarts
    (
        lambda: L.CosineAnnealingWarmRestarts(sgd(), T_0=0),
        ValueError,
        "CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 0",
    ),
    (
        lambda: L.CosineAnnealingWarmRestarts(sgd(), T_0=2.5),
        ValueError,
        "CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 2.5",
    ),
    (
        lambda: L.CosineAnnealingWarmRestarts(sgd(), T_0=2, T_mult=0),
        ValueError,
        "CosineAnnealingWarmRestarts: T_mult must be a positive integer, got 0",
    ),
    (
        lambda: L.CosineAnnealingWarmRestarts(sgd(), T_0=2, eta_min="0"),
        ValueError,
        "CosineAnnealingWarmRestarts: eta_min must be a number >= 0, got '0'",
    ),
    (
        lambda: stepped(L.CosineAnnealingWarmRestarts(sgd(), T_0=2), -1),
        ValueError,
        "CosineAnnealingWarmRestarts: epoch must be a number >= 0, got -1",
    ),
    # ConstantLR, PolynomialLR
    (
        lambda: L.ConstantLR(sgd(), factor=0),
        ValueError,
        "ConstantLR: factor must be a number in (0, 1], got 0",
    ),
    (
        lambda: L.ConstantLR(sgd(), factor=1.5),
        ValueError,
        "ConstantLR: factor must be a number in (0, 1], got 1.5",
    ),
    (
        lambda: L.ConstantLR(sgd(), total_iters=0),
        ValueError,
        "ConstantLR: total_iters must be a positive integer, got 0",
    ),
    (
        lambda: L.PolynomialLR(sgd(), total_iters=2.5),
        ValueError,
        "PolynomialLR: total_iters must be a positive integer, got 2.5",
    ),
    (
        lambda: L.PolynomialLR(sgd(), power=-1),
        ValueError,
        "PolynomialLR: power must be a number >= 0, got -1",
    ),
    # step(epoch): a step number (deprecated; tested in test_lr_scheduler_warnings.py), none for the combined
    (
        lambda: stepped(L.StepLR(sgd(), 1), 2.5),
        ValueError,
        "StepLR: epoch must be an integer >= 0, or left out (step() counts the epochs), got 2.5",
    ),
    (
        lambda: stepped(L.LambdaLR(sgd(), half), -1),
        ValueError,
        "LambdaLR: epoch must be an integer >= 0, or left out (step() counts the epochs), got -1",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd()).step(1.0, epoch=True),
        ValueError,
        "ReduceLROnPlateau: epoch must be an integer >= 0, or left out (step() counts the epochs), got True",
    ),
    (
        lambda: stepped(sequential_of_one(sgd()), 3),
        TypeError,
        "SequentialLR.step() takes no epoch (nor does PyTorch's), got 3; call step() once per epoch",
    ),
    (
        lambda: stepped(L.ChainedScheduler([L.StepLR(sgd(), 1)]), 3),
        TypeError,
        "ChainedScheduler.step() takes no epoch (nor does PyTorch's), got 3; call step() once per epoch",
    ),
]


@pytest.mark.parametrize("make, error, message", BAD)
def test_a_bad_setting_is_refused_in_one_line_naming_the_schedule(make, error, message):
    with pytest.raises(error, match=exactly(error, message)):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: L.CyclicLR(opt, 0.01, 0.1, mode="sawtooth"),
        lambda opt: L.CyclicLR(opt, 0.01, 0.1, max_momentum=-1),
        lambda opt: L.OneCycleLR(opt, 1.0, total_steps=10, final_div_factor=0),
        lambda opt: L.OneCycleLR(opt, 1.0, total_steps=10, base_momentum="0.85"),
    ],
)
def test_a_refused_schedule_leaves_the_optimizer_as_it_was(make):
    opt = sgd()
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError):
        make(opt)
    assert opt.param_groups == before


def test_what_pytorch_gives_a_meaning_to_is_taken():
    """A growing gamma, a milestone at 0, unsorted or repeated milestones, NumPy integers, a
    fractional T_max or step size, a base_lr above max_lr, a milestone at 0 in SequentialLR."""
    L.StepLR(sgd(), np.int64(2), gamma=1.5)
    assert L.MultiStepLR(sgd(), [3, 0, 3]).milestones == {0: 1, 3: 2}
    assert L.MultiStepLR(sgd(), np.array([2, 4])).milestones == {2: 1, 4: 1}
    L.MultiStepLR(sgd(), range(2, 10, 2))
    L.ExponentialLR(sgd(), 1.05)
    L.CosineAnnealingLR(sgd(), 2.5, eta_min=0.2)
    L.CosineAnnealingWarmRestarts(sgd(), np.int64(2), eta_min=np.float64(0.001))
    L.CyclicLR(sgd(), 0.1, 0.01, step_size_up=2.5, step_size_down=0)
    L.OneCycleLR(sgd(), 1.0, total_steps=10, pct_start=0)
    opt = sgd()
    L.SequentialLR(opt, [L.StepLR(opt, 1), L.ExponentialLR(opt, 0.9), L.StepLR(opt, 2)], milestones=[0, 0])
