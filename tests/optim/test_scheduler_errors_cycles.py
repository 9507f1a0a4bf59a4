"""Bad settings of CyclicLR, OneCycleLR and ReduceLROnPlateau: each refused when it is built
(or stepped), in one line that names it, what it expected and what it got."""

import numpy as np
import pytest
from schedule_checks import exactly, sgd, stepped

from minicnn import nn, optim
from minicnn.optim import lr_scheduler as L


def adagrad():
    return optim.Adagrad([nn.Parameter(np.zeros(1))], lr=0.1)


def past_the_end():
    opt = sgd()
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(4):
        opt.step()
        sched.step()


# (what is built, the error, its message)
BAD = [
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
]


@pytest.mark.parametrize("make, error, message", BAD)
def test_a_bad_setting_is_refused_in_one_line_naming_the_schedule(make, error, message):
    with pytest.raises(error, match=exactly(error, message)):
        make()
