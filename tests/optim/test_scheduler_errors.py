"""Bad settings: each schedule refuses them when it is built, in one line that names it, what it
expected and what it got; and what PyTorch gives a meaning to is taken."""

import math
import re

import numpy as np
import pytest

from minicnn import nn, optim
from minicnn.optim import lr_scheduler as L


def sgd(groups=1):
    params = [{"params": [nn.Parameter(np.zeros(1))]} for _ in range(groups)]
    return optim.SGD(params, lr=0.1, momentum=0.9)


def adagrad():
    return optim.Adagrad([nn.Parameter(np.zeros(1))], lr=0.1)


def half(epoch):
    return 0.5


def sequential(milestones, *schedules):
    """A SequentialLR of the schedules each ``schedules`` function builds on one optimizer."""
    opt = sgd()
    return L.SequentialLR(opt, [make(opt) for make in schedules], milestones)


def other_optimizer():
    opt = sgd()
    return L.SequentialLR(opt, [L.StepLR(opt, 1), L.StepLR(sgd(), 1)], [2])


def stepped(sched, *args):
    sched.optimizer.step()
    sched.step(*args)


def past_the_end():
    opt = sgd()
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(4):
        opt.step()
        sched.step()


def chained_over_two_optimizers():
    opt = sgd()
    return L.ChainedScheduler([L.StepLR(opt, 1), L.StepLR(sgd(), 1)])


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
    # CyclicLR
    (
        lambda: L.CyclicLR(adagrad(), 0.01, 0.1),
        ValueError,
        "CyclicLR: cycle_momentum needs an optimizer with a momentum or betas, got Adagrad; "
        "pass cycle_momentum=False",
    ),
    (
        lambda: L.CyclicLR(sgd(), 0.01, 0.1, mode="sawtooth"),
        ValueError,
        "CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' (or a scale_fn given), "
        "got 'sawtooth'",
    ),
    (
        lambda: L.CyclicLR(sgd(), [0.01, 0.02], 0.1),
        ValueError,
        "CyclicLR: base_lr must be a number or a list of 1 (one per param group), got [0.01, 0.02]",
    ),
    (lambda: L.CyclicLR(sgd(), 0.01, -0.1), ValueError, "CyclicLR: max_lr must be a number >= 0, got -0.1"),
    (
        lambda: L.CyclicLR(sgd(), 0.01, 0.1, step_size_up=0),
        ValueError,
        "CyclicLR: step_size_up must be a number > 0, got 0",
    ),
    (
        lambda: L.CyclicLR(sgd(), 0.01, 0.1, step_size_down=-1),
        ValueError,
        "CyclicLR: step_size_down must be a number >= 0, got -1",
    ),
    (
        lambda: L.CyclicLR(sgd(), 0.01, 0.1, scale_fn=0.5),
        TypeError,
        "CyclicLR: scale_fn must be a function of the cycle or the step, or None, got 0.5",
    ),
    (
        lambda: L.CyclicLR(sgd(), 0.01, 0.1, scale_mode="cycles"),
        ValueError,
        "CyclicLR: scale_mode must be 'cycle' or 'iterations', got 'cycles'",
    ),
    (
        lambda: L.CyclicLR(sgd(), 0.01, 0.1, mode="exp_range", gamma=0),
        ValueError,
        "CyclicLR: gamma must be a number > 0, got 0",
    ),
    (
        lambda: L.CyclicLR(sgd(groups=2), 0.01, 0.1, max_momentum=[0.9, "0.95"]),
        ValueError,
        "CyclicLR: max_momentum[1] must be a number >= 0, got '0.95'",
    ),
    # OneCycleLR
    (
        lambda: L.OneCycleLR(sgd(), 1.0, epochs=3),
        ValueError,
        "OneCycleLR: total_steps, or epochs and steps_per_epoch, must be given, "
        "got total_steps=None, epochs=3, steps_per_epoch=None",
    ),
    (
        lambda: L.OneCycleLR(sgd(), 1.0, total_steps=0),
        ValueError,
        "OneCycleLR: total_steps must be a positive integer, got 0",
    ),
    (
        lambda: L.OneCycleLR(sgd(), 1.0, epochs=2.5, steps_per_epoch=4),
        ValueError,
        "OneCycleLR: epochs must be a positive integer, got 2.5",
    ),
    (
        lambda: L.OneCycleLR(sgd(), 1.0, total_steps=10, pct_start=1.5),
        ValueError,
        "OneCycleLR: pct_start must be a number in [0, 1], got 1.5",
    ),
    (
        lambda: L.OneCycleLR(sgd(), 1.0, total_steps=10, pct_start=0.1),
        ValueError,
        "OneCycleLR: pct_start * total_steps must not be 1 (a warm-up from step 0 to step 0), got 0.1 * 10",
    ),
    (
        lambda: L.OneCycleLR(sgd(), 1.0, total_steps=10, anneal_strategy="exp"),
        ValueError,
        "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got 'exp'",
    ),
    (
        lambda: L.OneCycleLR(sgd(), [1.0, 2.0], total_steps=10),
        ValueError,
        "OneCycleLR: max_lr must be a number or a list of 1 (one per param group), got [1.0, 2.0]",
    ),
    (
        lambda: L.OneCycleLR(sgd(), 1.0, total_steps=10, div_factor=0),
        ValueError,
        "OneCycleLR: div_factor must be a number > 0, got 0",
    ),
    (
        lambda: L.OneCycleLR(adagrad(), 1.0, total_steps=10),
        ValueError,
        "OneCycleLR: cycle_momentum needs an optimizer with a momentum or betas, got Adagrad; "
        "pass cycle_momentum=False",
    ),
    (
        past_the_end,
        ValueError,
        "OneCycleLR: stepped 4 times, past its total_steps=3; build it with more total_steps "
        "(or epochs) to go on",
    ),
    # ReduceLROnPlateau
    (
        lambda: L.ReduceLROnPlateau(sgd(), factor=1.0),
        ValueError,
        "ReduceLROnPlateau: factor must be a number in [0, 1), got 1.0",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), factor=-0.5),
        ValueError,
        "ReduceLROnPlateau: factor must be a number in [0, 1), got -0.5",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), mode="sideways"),
        ValueError,
        "ReduceLROnPlateau: mode must be 'min' or 'max', got 'sideways'",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), threshold_mode="relative"),
        ValueError,
        "ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got 'relative'",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), patience=-1),
        ValueError,
        "ReduceLROnPlateau: patience must be an integer >= 0, got -1",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), threshold=-1e-4),
        ValueError,
        "ReduceLROnPlateau: threshold must be a number >= 0, got -0.0001",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), cooldown=0.5),
        ValueError,
        "ReduceLROnPlateau: cooldown must be an integer >= 0, got 0.5",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), min_lr=[0.1, 0.2, 0.3]),
        ValueError,
        "ReduceLROnPlateau: min_lr must be a number or a list of 1 (one per param group), "
        "got [0.1, 0.2, 0.3]",
    ),
    (
        lambda: L.ReduceLROnPlateau(sgd(), eps=-1),
        ValueError,
        "ReduceLROnPlateau: eps must be a number >= 0, got -1",
    ),
    (
        lambda: stepped(L.ReduceLROnPlateau(sgd()), "low"),
        TypeError,
        "ReduceLROnPlateau: metrics must be a number (or a one-value Tensor or array), got 'low'",
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
    # ChainedScheduler
    (
        lambda: L.ChainedScheduler([]),
        ValueError,
        "ChainedScheduler: schedulers must be a list of one or more schedulers, got []",
    ),
    (
        lambda: L.ChainedScheduler([L.ReduceLROnPlateau(sgd())]),
        TypeError,
        "ChainedScheduler: schedulers[0] must be a schedule of steps, got ReduceLROnPlateau",
    ),
    (
        chained_over_two_optimizers,
        ValueError,
        "ChainedScheduler: schedulers[1] must drive the optimizer given, got one that drives another",
    ),
    (
        lambda: L.ChainedScheduler([L.StepLR(sgd(), 1)], optimizer="sgd"),
        TypeError,
        "ChainedScheduler: optimizer must be an Optimizer, got 'sgd'",
    ),
    # step(epoch): a step number (deprecated; tested in test_lr_scheduler.py), none for the combined
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
    # SequentialLR
    (
        lambda: L.SequentialLR(sgd(), [], []),
        ValueError,
        "SequentialLR: schedulers must be a list of one or more schedulers, got []",
    ),
    (
        lambda: L.SequentialLR(sgd(), L.StepLR(sgd(), 1), []),
        ValueError,
        "SequentialLR: schedulers must be a list of one or more schedulers, got StepLR",
    ),
    (
        lambda: sequential([3], lambda opt: L.StepLR(opt, 1), lambda opt: L.ReduceLROnPlateau(opt)),
        TypeError,
        "SequentialLR: schedulers[1] must be a schedule of steps, got ReduceLROnPlateau",
    ),
    (
        other_optimizer,
        ValueError,
        "SequentialLR: schedulers[1] must drive the optimizer given, got one that drives another",
    ),
    (
        lambda: sequential([], lambda opt: L.StepLR(opt, 1), lambda opt: L.ExponentialLR(opt, 0.9)),
        ValueError,
        "SequentialLR: milestones must be a list of 1 (one fewer than the 2 schedulers), got []",
    ),
    (
        lambda: sequential(3, lambda opt: L.StepLR(opt, 1), lambda opt: L.ExponentialLR(opt, 0.9)),
        ValueError,
        "SequentialLR: milestones must be a list of integers >= 0, got 3",
    ),
    (
        lambda: sequential(
            [3, 1],
            lambda opt: L.StepLR(opt, 1),
            lambda opt: L.ExponentialLR(opt, 0.9),
            lambda opt: L.StepLR(opt, 2),
        ),
        ValueError,
        "SequentialLR: milestones must be sorted, got [3, 1]",
    ),
]


@pytest.mark.parametrize("make, error, message", BAD)
def test_a_bad_setting_is_refused_in_one_line_naming_the_schedule(make, error, message):
    # a KeyError's text is its message quoted
    with pytest.raises(error, match="^" + re.escape(repr(message) if error is KeyError else message) + "$"):
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
