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


# a state's counters: each an integer >= this
COUNTERS = {"last_epoch": -1, "_step_count": 0, "num_bad_epochs": 0, "cooldown_counter": 0}
# one entry per param group (min_lrs too, unless a default_min_lr stands in for an added group)
PER_GROUP = ("base_lrs", "_last_lr", "max_lrs", "base_momentums", "max_momentums", "min_lrs", "lr_lambdas")
# entries a state may hold None in: PyTorch's where min_lr was a list, a scale_fn left out
MAY_BE_NONE = ("default_min_lr", "_scale_fn_custom")


def check_state(sched, state, top=None, path=""):
    """A state dict to load into ``sched``, checked before anything of it is loaded: a dict
    of entries that ``sched.state_dict()`` has, each counter an integer, each per-group list
    one entry per param group, each other entry of the kind it has now (a number, a bool, a
    string, a list, a dict), and a combined schedule's states each checked as its schedule's.
    PyTorch loads any dict, and a bad entry fails later, inside ``step()``, or never; here it
    is refused in one line naming the schedule (``top``, the combined one it is part of):
    ``StepLR: loaded state dict's last_epoch must be an integer >= -1, got 'x'``."""
    top = top or type(sched).__name__
    where = "loaded state dict" + (f"'s {path[:-1]}" if path else "")
    if not isinstance(state, dict):
        raise TypeError(f"{top}: {where} must be a dict (a state_dict()), got {shown(state)}")
    own = sched.state_dict()
    unknown = [k for k in state if k not in own]
    if unknown:
        raise ValueError(
            f"{top}: {where} has {', '.join(map(repr, unknown))}, which "
            f"{type(sched).__name__} does not keep (the state dict of another schedule?)"
        )
    groups = len(sched.optimizer.param_groups)
    default = state.get("default_min_lr", own.get("default_min_lr"))
    for key, value in state.items():
        expected = _expected(key, value, own[key], groups, default)
        if expected is not None:
            raise ValueError(f"{top}: loaded state dict's {path}{key} must be {expected}, got {shown(value)}")
    for i, (inner, inner_state) in enumerate(
        zip(getattr(sched, "_schedulers", ()), state.get("_schedulers", ()))
    ):
        check_state(inner, inner_state, top, f"{path}_schedulers[{i}].")


def _expected(key, value, now, groups, default_min_lr):
    """What ``value`` should have been for entry ``key`` (now ``now``), or None if it is so."""
    if key in COUNTERS:
        least = COUNTERS[key]
        return None if is_number(value, integral=True) and value >= least else f"an integer >= {least}"
    if value is None and (now is None or key in MAY_BE_NONE):
        return None
    if key in PER_GROUP:
        n = None if key == "min_lrs" and default_min_lr is not None else groups
        lambdas = key == "lr_lambdas"
        entry_ok = (lambda v: v is None or isinstance(v, dict)) if lambdas else is_number
        if isinstance(value, list) and (n is None or len(value) == n) and all(map(entry_ok, value)):
            return None
        entries = "entries (None or a dict)" if lambdas else "numbers"
        return f"a list of {'' if n is None else f'{n} '}{entries}, one per param group"
    if key in ("_schedulers", "_milestones"):
        return None if isinstance(value, list) and len(value) == len(now) else f"a list of {len(now)}"
    if key == "milestones":
        ok = isinstance(value, dict) and all(
            is_step(int(k) if isinstance(k, str) and k.isdigit() else k) and is_number(v, integral=True)
            for k, v in value.items()
        )
        return None if ok else "a dict of step numbers (integers >= 0) to counts"
    for kind, words in ((bool, "True or False"), (str, "a string"), (list, "a list"), (dict, "a dict")):
        if isinstance(now, kind):
            return None if isinstance(value, kind) else words
    if is_number(now):
        return None if is_number(value) else "a number"
    return None


def is_number(value, integral=False):
    """A real number (an integer, with ``integral``), not a bool."""
    kind = numbers.Integral if integral else numbers.Real
    return isinstance(value, kind) and not isinstance(value, bool)
