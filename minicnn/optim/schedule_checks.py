"""The setting checks the learning-rate schedules share: each raises naming the schedule,
what it expected and what it got, e.g. ``StepLR: step_size must be a positive integer, got 0``.

A schedule runs them in its constructor, before it touches the optimizer; the name is the
schedule's class, so a subclass's errors carry its own.
"""

import math
import numbers
import warnings

import numpy as np

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
        raise bad_setting(sched, name, range_words(low, high, low_open, high_open), value)
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


# a state's integer entries: each an integer (not a bool) >= this, and < 2**63 (an int64,
# as a step count or a setting of PyTorch's is in practice; 10**30 steps is a crafted state)
INTEGERS = {
    "last_epoch": -1,
    "_step_count": 0,
    "num_bad_epochs": 0,
    "cooldown_counter": 0,
    "step_size": 1,
    "total_iters": 1,
    "total_steps": 1,
    "T_0": 1,
    "T_i": 1,
    "T_mult": 1,
    "patience": 0,
    "cooldown": 0,
}
INT_LIMIT = 2**63
# a state's number entries, as the constructors check them: (low, high, low_open, high_open)
NUMBERS = {
    "gamma": (0, math.inf, True, True),
    "eta_min": (0, math.inf, False, True),
    "T_max": (0, math.inf, True, True),
    "T_cur": (-math.inf, math.inf, True, True),
    "start_factor": (0, 1, True, False),
    "end_factor": (0, 1, False, False),
    "factor": (0, 1, True, False),  # ConstantLR's; ReduceLROnPlateau's is PLATEAU_FACTOR
    "power": (0, math.inf, False, True),
    "total_size": (0, math.inf, True, True),
    "step_ratio": (0, 1, True, False),
    "threshold": (0, math.inf, False, True),
    "eps": (0, math.inf, False, True),
    "default_min_lr": (0, math.inf, False, True),
}
PLATEAU_FACTOR = (0, 1, False, True)
# a state's string entries: the values its schedule knows (CyclicLR's mode: any, with a scale_fn)
CHOICES = {
    "_anneal_func_type": ("cos", "linear"),
    "scale_mode": ("cycle", "iterations"),
    "threshold_mode": ("rel", "abs"),
    "mode": ("min", "max"),  # ReduceLROnPlateau's; CyclicLR's are CYCLIC_MODES
}
CYCLIC_MODES = ("triangular", "triangular2", "exp_range")
# one entry per param group, each a number >= 0 (min_lrs too, unless a default_min_lr stands in
# for an added group), or lr_lambdas' attributes of each callable object (None or a dict)
PER_GROUP = ("base_lrs", "_last_lr", "max_lrs", "base_momentums", "max_momentums", "min_lrs", "lr_lambdas")
# entries a state may hold None in: PyTorch's where min_lr was a list, a scale_fn left out
MAY_BE_NONE = ("default_min_lr", "_scale_fn_custom")
# OneCycleLR's phases: the keys of each, and the param-group keys each lr and momentum is read from
PHASE_KEYS = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
PHASE_LRS = ("initial_lr", "max_lr", "min_lr")
PHASE_MOMENTUMS = ("max_momentum", "base_momentum")


def check_state(sched, state, top=None, path=""):
    """A state dict to load into ``sched``, checked before anything of it is loaded, so that
    no entry of it gives a NaN or infinite lr, or an error, at a later ``step()``:

    - a dict of entries that ``sched.state_dict()`` has, each of the kind it has now (a
      number, a bool, a string, a list, a dict);
    - no NaN anywhere in it, nor an inf (in the callable objects' attributes and arrays too),
      but in ReduceLROnPlateau's ``best`` (any number but NaN: its ``mode_worse`` until a
      metric improves on it) and ``mode_worse`` (inf in mode 'min', -inf in 'max');
    - each integer entry (INTEGERS: counters and settings built as integers) an int, not a
      float or a bool, at least its least value and below 2**63 (an int64);
    - each setting in the range its constructor takes (NUMBERS), each string one its
      schedule knows (CHOICES), each per-group list one number >= 0 per param group;
    - OneCycleLR's and CyclicLR's ``use_beta1`` as the optimizer's groups have it ('betas'
      or 'momentum') where ``cycle_momentum`` is on, and OneCycleLR's ``_schedule_phases``
      2 or 3 dicts of PHASE_KEYS, naming param-group keys the groups have;
    - a combined schedule's states each checked as its schedule's.

    PyTorch loads any dict, and a bad entry fails later, inside ``step()``, or never; here it
    is refused in one line naming the schedule (``top``, the combined one it is part of):
    ``StepLR: loaded state dict's gamma must be a number > 0, got nan``."""
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
    merged = {**own, **state}
    for key, value in state.items():
        # NaN or inf at any depth, named by where it is (an inner schedule's: by its own
        # check); an INTEGERS or NUMBERS rule says finite in its own words, so it goes first
        scan = key not in ("best", "mode_worse", "_schedulers")
        problem = _non_finite(value, key) if scan and key not in INTEGERS and key not in NUMBERS else None
        problem = problem or _problem(sched, key, value, own[key], merged, own)
        problem = problem or (_non_finite(value, key) if scan else None)
        if problem is not None:
            break
    else:  # each entry as it should be: then the entries against each other and the optimizer
        problem = _cross_problem(sched, state, merged)
    if problem is not None:
        name, expected, got = problem
        raise ValueError(f"{top}: loaded state dict's {path}{name} must be {expected}, got {shown(got)}")
    for i, (inner, inner_state) in enumerate(
        zip(getattr(sched, "_schedulers", ()), state.get("_schedulers", ()))
    ):
        check_state(inner, inner_state, top, f"{path}_schedulers[{i}].")


def _problem(sched, key, value, now, merged, own=None):
    """(entry, what it should have been, what it is) for entry ``key`` (now ``now``) of a
    loaded state, or None if it is so. The rules of INTEGERS, NUMBERS and CHOICES hold where
    the schedule's own value (in ``own``) keeps them: a custom schedule's entry of one of
    those names, with another meaning, is checked by its kind only."""
    ruled = key in INTEGERS or key in NUMBERS or key in CHOICES
    if ruled and own is not None and _problem(sched, key, now, now, own) is not None:
        ruled = False
    if ruled and key in INTEGERS:
        least = INTEGERS[key]
        if not (is_number(value, integral=True) and value >= least):
            return key, f"an integer >= {least}", value
        return None if value < INT_LIMIT else (key, "an integer < 2**63 (an int64)", value)
    if value is None and (now is None or key in MAY_BE_NONE):
        return None
    plateau = "mode_worse" in merged
    if ruled and key in NUMBERS:
        low, high, low_open, high_open = PLATEAU_FACTOR if key == "factor" and plateau else NUMBERS[key]
        ok = is_number(value) and math.isfinite(value)
        ok = (
            ok
            and (low < value if low_open else low <= value)
            and (value < high if high_open else value <= high)
        )
        return None if ok else (key, range_words(low, high, low_open, high_open), value)
    if key == "best":
        return None if is_number(value) and not math.isnan(value) else (key, "a number (not NaN)", value)
    if key == "mode_worse":
        return None if value in (math.inf, -math.inf) else (key, "inf or -inf", value)
    if ruled and key in CHOICES and isinstance(value, str):
        known = CHOICES[key] if key != "mode" or plateau else CYCLIC_MODES
        if key == "mode" and getattr(sched, "_scale_fn_custom", None) is not None:
            known = (value,)
        return None if value in known else (key, " or ".join(map(repr, known)), value)
    if key in PER_GROUP:
        groups = len(sched.optimizer.param_groups)
        n = None if key == "min_lrs" and merged.get("default_min_lr") is not None else groups
        lambdas = key == "lr_lambdas"
        entry_ok = (lambda v: v is None or isinstance(v, dict)) if lambdas else _is_lr
        if isinstance(value, list) and (n is None or len(value) == n) and all(map(entry_ok, value)):
            return None
        entries = "entries (None or a dict)" if lambdas else "numbers >= 0"
        return key, f"a list of {'' if n is None else f'{n} '}{entries}, one per param group", value
    if key == "_schedulers":
        return (
            None
            if isinstance(value, list) and len(value) == len(now)
            else (key, f"a list of {len(now)}", value)
        )
    if key == "_milestones":
        ok = isinstance(value, list) and len(value) == len(now) and all(map(_is_step64, value))
        ok = ok and value == sorted(value)
        return None if ok else (key, f"a sorted list of {len(now)} integers >= 0", value)
    if key == "milestones":
        ok = isinstance(value, dict) and all(
            _is_step64(int(k) if isinstance(k, str) and k.isdigit() else k) and _is_step64(v) and v >= 1
            for k, v in value.items()
        )
        return (
            None if ok else (key, "a dict of step numbers (integers >= 0) to counts (integers >= 1)", value)
        )
    if key == "_schedule_phases":
        return _phases_problem(value)
    for kind, words in ((bool, "True or False"), (str, "a string"), (list, "a list"), (dict, "a dict")):
        if isinstance(now, kind):
            return None if isinstance(value, kind) else (key, words, value)
    if is_number(now):
        return None if is_number(value) else (key, "a number", value)
    return None


def _phases_problem(phases):
    """What is wrong with OneCycleLR's ``_schedule_phases`` (as _problem), or None."""
    shape = "a list of 2 or 3 dicts of " + ", ".join(PHASE_KEYS)
    if not (isinstance(phases, list) and len(phases) in (2, 3)):
        return "_schedule_phases", shape, phases
    for i, phase in enumerate(phases):
        if not (isinstance(phase, dict) and sorted(phase) == sorted(PHASE_KEYS)):
            return f"_schedule_phases[{i}]", "a dict of " + ", ".join(PHASE_KEYS), phase
        end = phase["end_step"]
        if not (is_number(end) and math.isfinite(end) and abs(end) < INT_LIMIT):
            return f"_schedule_phases[{i}]['end_step']", "a finite number", end
        for key in PHASE_KEYS[1:]:
            known = PHASE_LRS if key.endswith("_lr") else PHASE_MOMENTUMS
            if phase[key] not in known:
                return f"_schedule_phases[{i}][{key!r}]", " or ".join(map(repr, known)), phase[key]
    return None


def _cross_problem(sched, state, merged):
    """The loaded entries (each as it should be) against each other and the optimizer (as
    _problem): ReduceLROnPlateau's mode_worse against its mode, and OneCycleLR's and
    CyclicLR's momentum flags and phases against the param-group keys ``step()`` reads."""
    if ("mode_worse" in state or "mode" in state) and "mode_worse" in merged:
        mode, worse = merged["mode"], merged["mode_worse"]
        if worse != (math.inf if mode == "min" else -math.inf):
            return "mode_worse", f"{'inf' if mode == 'min' else '-inf'} (as mode is {mode!r})", worse
    groups = sched.optimizer.param_groups
    cycles = merged.get("cycle_momentum") is True
    touched = set(state) & {"cycle_momentum", "use_beta1", "_schedule_phases"}
    if touched & {"cycle_momentum", "use_beta1"} and cycles:
        if "use_beta1" not in merged:  # built without cycle_momentum: nothing set up for it
            return "cycle_momentum", f"False (as {type(sched).__name__} was built)", True
        beta1 = merged["use_beta1"]
        needed = "betas" if beta1 else "momentum"
        if not all(needed in group for group in groups):
            return "use_beta1", f"{not beta1} (the optimizer's param groups have no {needed!r})", beta1
    if touched & {"cycle_momentum", "_schedule_phases"} and "_schedule_phases" in merged:
        for i, phase in enumerate(merged["_schedule_phases"]):
            names = PHASE_KEYS[1:] if cycles else PHASE_KEYS[1:3]
            for name in names:
                if not all(phase[name] in group for group in groups):
                    where = f"_schedule_phases[{i}][{name!r}]"
                    return where, "a key of every param group (set when the schedule is built)", phase[name]
    return None


def _non_finite(value, path):
    """(where, "a finite number", value) of the first NaN or inf in ``value`` (a number, or
    one in its lists, tuples, dicts and float arrays, at any depth), as _problem, or None."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return None if math.isfinite(value) else (path, "a finite number", value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        bad = np.argwhere(~np.isfinite(value))
        if not len(bad):
            return None
        return f"{path}[{', '.join(map(str, bad[0]))}]", "a finite number", value[tuple(bad[0])].item()
    if isinstance(value, dict):
        items = [(f"{path}[{k!r}]", v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return None
    for where, v in items:
        found = _non_finite(v, where)
        if found:
            return found
    return None


def range_words(low, high, low_open, high_open):
    """'a number > 0', 'a number in (0, 1]': what check_number asks for, in words."""
    if high == math.inf:
        return "a finite number" if low == -math.inf else f"a number {'>' if low_open else '>='} {low:g}"
    return f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def _is_lr(value):
    return is_number(value) and math.isfinite(value) and value >= 0


def _is_step64(value):
    return is_step(value) and value < INT_LIMIT


def is_number(value, integral=False):
    """A real number (an integer, with ``integral``), not a bool."""
    kind = numbers.Integral if integral else numbers.Real
    return isinstance(value, kind) and not isinstance(value, bool)
