"""Bad settings of the schedules made of schedules, SequentialLR and ChainedScheduler: each
refused when it is built, in one line that names it, what it expected and what it got."""

import pytest
from schedule_checks import exactly, sgd

from minicnn.optim import lr_scheduler as L


def sequential(milestones, *schedules):
    """A SequentialLR of the schedules each ``schedules`` function builds on one optimizer."""
    opt = sgd()
    return L.SequentialLR(opt, [make(opt) for make in schedules], milestones)


def other_optimizer():
    opt = sgd()
    return L.SequentialLR(opt, [L.StepLR(opt, 1), L.StepLR(sgd(), 1)], [2])


def chained_over_two_optimizers():
    opt = sgd()
    return L.ChainedScheduler([L.StepLR(opt, 1), L.StepLR(sgd(), 1)])


# (what is built, the error, its message)
BAD = [
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
    with pytest.raises(error, match=exactly(error, message)):
        make()
