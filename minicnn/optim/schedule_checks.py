"""The setting checks the learning-rate schedules share: each raises naming the schedule,
what it expected and what it got, e.g. ``StepLR: step_size must be a positive integer, got 0``.

A schedule runs them in its constructor, before it touches the optimizer; the name is the
schedule's class, so a subclass's errors carry its own.
"""

import math
import numbers
import warnings

from ..functional.checks import type_name
from .optimizer import Optimizer


def bad_setting(sched, name, expected, value, error=ValueError):
    """The one-line error of a bad setting: 'StepLR: step_size must be a positive integer, got 0'."""
    return error(f"{type(sched).__name__}: {name} must be {expected}, got {shown(value)}")


def shown(value):
    """A setting as an error shows it: numbers, strings (and lists of them) as written, else its type."""
    plain = (numbers.Number, str, type(None))
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, plain) for v in value):
            return repr(value)
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, plain):
        return repr(value)
    # a minicnn object by its class's name, another library's with the library's (torch.SGD)
    return type(value).__name__ if type(value).__module__.startswith("minicnn.") else type_name(value)


def is_step(value):
    """An integer >= 0 (a bool is not one): a step number."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def check_integer(sched, name, value, least=1):
    """``value``, if it is an integer (not a bool) >= ``least``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        expected = "a positive integer" if least == 1 else f"an integer >= {least}"
        raise bad_setting(sched, name, expected, value)
    return value


def check_number(sched, name, value, low=0.0, high=math.inf, low_open=False, high_open=True):
    """``value``, if it is a finite real number (not a bool) in the interval from low to high,
    each end excluded where ``*_open``; the defaults ask for a number >= 0."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not ok:
        if high == math.inf:
            expected = f"a number {'>' if low_open else '>='} {low:g}"
        else:
            expected = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise bad_setting(sched, name, expected, value)
    return value


def per_group(sched, name, optimizer, value):
    """One number >= 0 for each param group: a list (or tuple) of them, or one for every group."""
    groups = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        return [check_number(sched, name, value)] * groups
    if len(value) != groups:
        raise bad_setting(sched, name, f"a number or a list of {groups} (one per param group)", value)
    return [check_number(sched, f"{name}[{i}]", v) for i, v in enumerate(value)]


def check_optimizer(sched, optimizer):
    """A minicnn Optimizer (a torch one is refused by name: its param groups are not ours)."""
    if not isinstance(optimizer, Optimizer):
        raise bad_setting(sched, "optimizer", "an Optimizer", optimizer, TypeError)


def check_start(sched, optimizer, last_epoch):
    """The settings every schedule takes: an Optimizer, and -1 (a start) or the step to resume from."""
    check_optimizer(sched, optimizer)
    check_integer(sched, "last_epoch", last_epoch, least=-1)


def momentum_is_beta1(sched, optimizer):
    """For a schedule that cycles momentum: False where the optimizer has a momentum, True
    where it has Adam's betas (beta1 is cycled), an error where it has neither."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            f"{type(sched).__name__}: cycle_momentum needs an optimizer with a momentum or betas, "
            f"got {type(optimizer).__name__}; pass cycle_momentum=False"
        )
    return "betas" in optimizer.defaults


def deprecated_epoch(sched, epoch):
    """``step(epoch)``, which PyTorch still takes with a deprecation warning: the same warning
    here, once ``epoch`` is a step number (the error otherwise says what to write instead)."""
    if not is_step(epoch):
        raise bad_setting(sched, "epoch", "an integer >= 0, or left out (step() counts the epochs)", epoch)
    warnings.warn(
        f"{type(sched).__name__}.step(epoch) is deprecated, as in PyTorch: it jumps to epoch "
        f"{epoch} (by the schedule's closed form where it has one); call step() with no "
        "argument, once per epoch",
        UserWarning,
        stacklevel=3,
    )
