"""Scheduler state dicts laid out as PyTorch's: the same keys, the same counters and settings,
and one of PyTorch's loads here and goes on as PyTorch's would."""

import copy
import math
import re

import numpy as np
import pytest

from minicnn import nn, optim
from minicnn.optim import lr_scheduler
from minicnn.optim.schedule_checks import shown


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


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_state_dict_has_pytorchs_keys_and_counts_after_0_1_and_4_steps(name):
    step_counts, state, _ = TORCH[name]
    for steps, step_count in zip((0, 1, 4), step_counts):
        opt, sched = build(name)
        for _ in range(steps):
            step(opt, sched)
        got = sched.state_dict()
        assert set(got) == set(state)
        assert got.get("_step_count") == step_count
    assert_same_state(got, state)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_a_pytorch_state_dict_loads_and_goes_on_as_pytorchs(name):
    _, state, next_lrs = TORCH[name]
    opt, sched = build(name)
    sched.load_state_dict(copy.deepcopy(state))
    assert_same_state(sched.state_dict(), state)
    for group, lr in zip(opt.param_groups, state["_last_lr"]):
        group["lr"] = lr  # as the optimizer's own state dict would bring it
    step(opt, sched)
    assert sched.get_last_lr() == pytest.approx(next_lrs, rel=1e-13)


# a bad entry of a loaded state: (key, value, what the error says it must be); each schedule
# is tried with those whose key its state has
BAD_ENTRIES = [
    ("last_epoch", "3", "an integer >= -1"),
    ("last_epoch", 2.5, "an integer >= -1"),
    ("last_epoch", -2, "an integer >= -1"),
    ("_step_count", -1, "an integer >= 0"),
    ("_step_count", True, "an integer >= 0"),
    ("num_bad_epochs", None, "an integer >= 0"),
    ("base_lrs", [0.1, 0.1], "a list of 1 numbers >= 0, one per param group"),
    ("base_lrs", ["0.1"], "a list of 1 numbers >= 0, one per param group"),
    ("_last_lr", [], "a list of 1 numbers >= 0, one per param group"),
    ("max_lrs", 0.1, "a list of 1 numbers >= 0, one per param group"),
    ("lr_lambdas", [{"k": 0.5}, None], "a list of 1 entries (None or a dict), one per param group"),
    ("milestones", {"one": 1}, "a dict of step numbers (integers >= 0) to counts (integers >= 1)"),
    ("gamma", "0.5", "a number > 0"),
    ("_is_initial", 0, "True or False"),
    ("mode", 1, "a string"),
    ("_milestones", [2, 4], "a sorted list of 1 integers >= 0"),
]


def bad_cases():
    for name in SCHEDULES:
        _, sched = build(name)
        for key, value, expected in BAD_ENTRIES:
            if key in sched.state_dict():
                yield pytest.param(name, key, value, expected, id=f"{name}-{key}={value!r}")


@pytest.mark.parametrize(("name", "key", "value", "expected"), list(bad_cases()))
def test_a_bad_entry_of_a_loaded_state_is_refused_in_one_line_and_nothing_changes(name, key, value, expected):
    opt, sched = build(name)
    step(opt, sched)
    before, lrs = sched.state_dict(), [g["lr"] for g in opt.param_groups]
    state = sched.state_dict()
    state[key] = value
    good = ("_last_lr", [0.5]) if key != "_last_lr" else ("last_epoch", 7)
    if good[0] in state:  # a good entry beside the bad one, which must not be loaded either
        state[good[0]] = good[1]
    with pytest.raises(ValueError) as err:
        sched.load_state_dict(state)
    assert str(err.value) == f"{name}: loaded state dict's {key} must be {expected}, got {shown(value)}"
    assert_same_state(sched.state_dict(), before)
    assert [g["lr"] for g in opt.param_groups] == lrs


def test_a_combined_schedule_names_the_inner_entry_and_loads_none_of_them():
    opt, sched = build("SequentialLR")
    step(opt, sched)
    before = sched.state_dict()
    state = sched.state_dict()
    state["_schedulers"][0]["last_epoch"] = 9  # good, and before the bad one
    state["_schedulers"][1]["base_lrs"] = [0.1, 0.2]
    with pytest.raises(
        ValueError, match=r"^SequentialLR: loaded state dict's _schedulers\[1\]\.base_lrs must be"
    ):
        sched.load_state_dict(state)
    assert_same_state(sched.state_dict(), before)
    state = sched.state_dict()
    state["_schedulers"] = state["_schedulers"][:1]
    with pytest.raises(
        ValueError, match=r"^SequentialLR: loaded state dict's _schedulers must be a list of 2"
    ):
        sched.load_state_dict(state)
    state["_schedulers"] = [before["_schedulers"][0], "x"]
    with pytest.raises(
        TypeError, match=r"^SequentialLR: loaded state dict's _schedulers\[1\] must be a dict"
    ):
        sched.load_state_dict(state)


def test_a_state_that_is_not_a_dict_or_of_another_schedule_is_refused():
    opt, sched = build("CosineAnnealingLR")
    with pytest.raises(TypeError, match=r"^CosineAnnealingLR: loaded state dict must be a dict .*got 'x'$"):
        sched.load_state_dict("x")
    _, other = build("StepLR")
    with pytest.raises(ValueError) as err:
        sched.load_state_dict(other.state_dict())
    assert str(err.value) == (
        "CosineAnnealingLR: loaded state dict has 'step_size', 'gamma', which CosineAnnealingLR "
        "does not keep (the state dict of another schedule?)"
    )


def test_what_pytorch_keeps_as_none_or_leaves_out_loads():
    """ReduceLROnPlateau built with a list of min_lr keeps default_min_lr None (then min_lrs is
    checked per group); an entry left out is left as it is, as PyTorch's update leaves it."""
    opt, sched = build("ReduceLROnPlateau")
    state = sched.state_dict()
    state.update(default_min_lr=None, min_lrs=[0.01])
    sched.load_state_dict(state)
    assert sched.default_min_lr is None and sched.min_lrs == [0.01]
    state["min_lrs"] = [0.01, 0.02]
    with pytest.raises(ValueError, match="min_lrs must be a list of 1 numbers >= 0, one per param group"):
        sched.load_state_dict(state)
    state.update(default_min_lr=0.0)  # a group added since takes the default
    sched.load_state_dict(state)
    opt, sched = build("StepLR")
    sched.load_state_dict({"last_epoch": 3})
    assert sched.last_epoch == 3 and sched.step_size == 2


# --- the values of a loaded state: no NaN, no inf but where the schedule keeps one, integers
# as integers, settings in their constructor's range, flags the optimizer can follow


def numeric_leaves(state, path=()):
    """(path, value) of each number (not a bool) in a state, at any depth."""
    if isinstance(state, dict):
        for k, v in state.items():
            yield from numeric_leaves(v, (*path, k))
    elif isinstance(state, list):
        for i, v in enumerate(state):
            yield from numeric_leaves(v, (*path, i))
    elif isinstance(state, (int, float)) and not isinstance(state, bool):
        yield path, state


def replaced(state, path, value):
    state = copy.deepcopy(state)
    inner = state
    for k in path[:-1]:
        inner = inner[k]
    inner[path[-1]] = value
    return state


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


def leaf_cases(bad_values, skip=()):
    for name in SCHEDULES:
        _, sched = build(name)
        for path, _ in numeric_leaves(sched.state_dict()):
            if path[-1] not in skip:
                for bad in bad_values:
                    yield pytest.param(name, path, bad, id=f"{name}-{'.'.join(map(str, path))}={bad}")


@pytest.mark.parametrize(("name", "path", "bad"), list(leaf_cases([math.nan])))
def test_nan_anywhere_in_a_loaded_state_is_refused_naming_the_entry(name, path, bad):
    opt, sched = build(name)
    step(opt, sched)
    state = replaced(sched.state_dict(), path, bad)
    assert_refused(opt, sched, state, re.compile(rf"{name}: loaded state dict's .+ must be .+, got nan"))


@pytest.mark.parametrize(
    ("name", "path", "bad"), list(leaf_cases([math.inf, -math.inf], skip=("best", "mode_worse")))
)
def test_an_infinity_in_a_loaded_state_is_refused_but_where_the_schedule_keeps_one(name, path, bad):
    opt, sched = build(name)
    step(opt, sched)
    state = replaced(sched.state_dict(), path, bad)
    assert_refused(opt, sched, state, re.compile(rf"{name}: loaded state dict's .+ must be .+, got -?inf"))


def integer_cases():
    for name in SCHEDULES:
        _, sched = build(name)
        for path, value in numeric_leaves(sched.state_dict()):
            if path[-1] in (
                "last_epoch",
                "_step_count",
                "step_size",
                "total_iters",
                "total_steps",
                "T_0",
                "T_i",
                "T_mult",
                "patience",
                "cooldown",
                "num_bad_epochs",
                "cooldown_counter",
            ):
                for bad in (float(value), True, 1.5):
                    yield pytest.param(name, path, bad, id=f"{name}-{'.'.join(map(str, path))}={bad}")


@pytest.mark.parametrize(("name", "path", "bad"), list(integer_cases()))
def test_a_float_or_bool_where_the_schedule_keeps_an_integer_is_refused(name, path, bad):
    opt, sched = build(name)
    step(opt, sched)
    state = replaced(sched.state_dict(), path, bad)
    entry = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".").replace(".[", "[")
    assert_refused(
        opt,
        sched,
        state,
        re.compile(
            rf"{name}: loaded state dict's {re.escape(entry)} must be an integer >= -?\d, got {bad!r}"
        ),
    )


@pytest.mark.parametrize("key", ["last_epoch", "_step_count"])
def test_a_counter_beyond_int64_is_refused(key):
    opt, sched = build("StepLR")
    state = sched.state_dict()
    state[key] = 2**63
    assert_refused(
        opt,
        sched,
        state,
        f"StepLR: loaded state dict's {key} must be an integer < 2**63 (an int64), got {2**63}",
    )
    state[key] = 2**63 - 1  # the largest int64 loads
    sched.load_state_dict(state)
    assert getattr(sched, key) == 2**63 - 1


@pytest.mark.parametrize(
    ("name", "key", "value", "expected"),
    [
        ("StepLR", "gamma", 0.0, "a number > 0"),
        ("ConstantLR", "factor", 0.0, "a number in (0, 1]"),
        ("ReduceLROnPlateau", "factor", 1.0, "a number in [0, 1)"),
        ("LinearLR", "start_factor", 0.0, "a number in (0, 1]"),
        ("LinearLR", "end_factor", 1.5, "a number in [0, 1]"),
        ("CosineAnnealingLR", "T_max", 0, "a number > 0"),
        ("CosineAnnealingLR", "eta_min", -0.1, "a number >= 0"),
        ("PolynomialLR", "power", -1.0, "a number >= 0"),
        ("CyclicLR", "total_size", 0.0, "a number > 0"),
        ("CyclicLR", "step_ratio", 0.0, "a number in (0, 1]"),
        ("CyclicLR", "mode", "tri", "'triangular' or 'triangular2' or 'exp_range'"),
        ("CyclicLR", "scale_mode", "batch", "'cycle' or 'iterations'"),
        ("OneCycleLR", "_anneal_func_type", "cosine", "'cos' or 'linear'"),
        ("ReduceLROnPlateau", "mode", "minimum", "'min' or 'max'"),
        ("ReduceLROnPlateau", "threshold_mode", "relative", "'rel' or 'abs'"),
        ("ReduceLROnPlateau", "best", math.nan, "a number (not NaN)"),
        ("ReduceLROnPlateau", "mode_worse", 1.0, "inf or -inf"),
        ("ReduceLROnPlateau", "mode_worse", -math.inf, "inf (as mode is 'min')"),
        (
            "MultiStepLR",
            "milestones",
            {1: 0},
            "a dict of step numbers (integers >= 0) to counts (integers >= 1)",
        ),
        ("SequentialLR", "_milestones", [-1], "a sorted list of 1 integers >= 0"),
        ("CosineAnnealingWarmRestarts", "T_cur", -math.inf, "a finite number"),
        ("StepLR", "base_lrs", [-0.1], "a list of 1 numbers >= 0, one per param group"),
    ],
)
def test_a_setting_outside_its_constructors_range_is_refused(name, key, value, expected):
    opt, sched = build(name)
    step(opt, sched)
    state = sched.state_dict()
    if name == "CyclicLR" and key == "mode":  # a mode is free where a scale_fn is given
        opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
        sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2)
        state = sched.state_dict()
    state[key] = value
    assert_refused(
        opt, sched, state, f"{name}: loaded state dict's {key} must be {expected}, got {shown(value)}"
    )


def test_a_nan_inside_a_callable_objects_attributes_or_a_combined_schedule_names_where():
    opt, sched = build("LambdaLR")
    state = sched.state_dict()
    state["lr_lambdas"] = [{"k": math.nan}]
    assert_refused(
        opt, sched, state, "LambdaLR: loaded state dict's lr_lambdas[0]['k'] must be a finite number, got nan"
    )
    state["lr_lambdas"] = [{"k": np.array([0.5, math.inf])}]
    assert_refused(
        opt,
        sched,
        state,
        "LambdaLR: loaded state dict's lr_lambdas[0]['k'][1] must be a finite number, got inf",
    )
    opt, sched = build("CyclicLR")
    state = sched.state_dict()
    state["_scale_fn_custom"] = {"k": -math.inf}
    assert_refused(
        opt,
        sched,
        state,
        "CyclicLR: loaded state dict's _scale_fn_custom['k'] must be a finite number, got -inf",
    )
    opt, sched = build("SequentialLR")
    state = sched.state_dict()
    state["_schedulers"][1]["gamma"] = math.nan
    assert_refused(
        opt,
        sched,
        state,
        "SequentialLR: loaded state dict's _schedulers[1].gamma must be a number > 0, got nan",
    )


def test_what_a_schedule_keeps_as_an_infinity_or_a_float_loads():
    """ReduceLROnPlateau keeps mode_worse (inf in mode 'min', -inf in 'max') and best (the
    same, until a metric improves on it); CosineAnnealingWarmRestarts' T_cur is a float after
    step(2.5); CyclicLR's total_size a float; as PyTorch 2.13's states of them."""
    opt, sched = build("ReduceLROnPlateau")
    state = sched.state_dict()
    state.update(mode="max", mode_worse=-math.inf, best=-math.inf)
    sched.load_state_dict(state)
    sched.step(1.0)
    assert sched.best == 1.0 and sched.mode_worse == -math.inf
    opt, sched = build("CosineAnnealingWarmRestarts")
    torch_state = {
        "T_0": 2,
        "T_i": 4,
        "T_mult": 2,
        "eta_min": 0.0,
        "T_cur": 0.5,
        "base_lrs": [0.1],
        "last_epoch": 2,
        "_step_count": 0,
        "_is_initial": False,
        "_get_lr_called_within_step": False,
        "_last_lr": [0.09619397662556434],
    }
    sched.load_state_dict(torch_state)
    assert sched.T_cur == 0.5
    _, state, _ = TORCH["CyclicLR"]
    opt, sched = build("CyclicLR")
    sched.load_state_dict(copy.deepcopy(state))
    assert sched.total_size == 4.0


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR"])
def test_use_beta1_must_match_the_optimizers_param_groups(name):
    opt, sched = build(name)  # an SGD: momentum, no betas
    state = sched.state_dict()
    state["use_beta1"] = True
    assert_refused(
        opt,
        sched,
        state,
        f"{name}: loaded state dict's use_beta1 must be False "
        "(the optimizer's param groups have no 'betas'), got True",
    )
    adam = optim.Adam([nn.Parameter(np.zeros(1))], lr=0.1)
    sched = SCHEDULES[name](adam)
    state = sched.state_dict()
    assert state["use_beta1"] is True
    state["use_beta1"] = False
    assert_refused(
        adam,
        sched,
        state,
        f"{name}: loaded state dict's use_beta1 must be True "
        "(the optimizer's param groups have no 'momentum'), got False",
    )


def test_cycle_momentum_cannot_be_turned_on_by_a_loaded_state():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10, cycle_momentum=False)
    state = sched.state_dict()
    state["cycle_momentum"] = True
    assert_refused(
        opt,
        sched,
        state,
        "OneCycleLR: loaded state dict's cycle_momentum must be False (as OneCycleLR was built), got True",
    )


@pytest.mark.parametrize(
    ("change", "entry", "expected", "got"),
    [
        (
            lambda p: p[:1],
            "_schedule_phases",
            "a list of 2 or 3 dicts of end_step, start_lr, end_lr, start_momentum, end_momentum",
            "a list of 1",
        ),
        (
            lambda p: [p[0], "x"],
            "_schedule_phases[1]",
            "a dict of end_step, start_lr, end_lr, start_momentum, end_momentum",
            "'x'",
        ),
        (
            lambda p: [p[0], {**p[1], "extra": 1}],
            "_schedule_phases[1]",
            "a dict of end_step, start_lr, end_lr, start_momentum, end_momentum",
            "dict",
        ),
        (
            lambda p: [{**p[0], "end_step": "2"}, p[1]],
            "_schedule_phases[0]['end_step']",
            "a finite number",
            "'2'",
        ),
        (
            lambda p: [{**p[0], "end_step": math.inf}, p[1]],
            "_schedule_phases[0]['end_step']",
            "a finite number",
            "inf",
        ),
        (
            lambda p: [p[0], {**p[1], "end_lr": "lr"}],
            "_schedule_phases[1]['end_lr']",
            "'initial_lr' or 'max_lr' or 'min_lr'",
            "'lr'",
        ),
        (
            lambda p: [p[0], {**p[1], "start_momentum": "momentum"}],
            "_schedule_phases[1]['start_momentum']",
            "'max_momentum' or 'base_momentum'",
            "'momentum'",
        ),
    ],
)
def test_onecycles_phases_must_be_as_its_step_reads_them(change, entry, expected, got):
    opt, sched = build("OneCycleLR")
    step(opt, sched)
    state = sched.state_dict()
    state["_schedule_phases"] = change(state["_schedule_phases"])
    assert_refused(
        opt, sched, state, f"OneCycleLR: loaded state dict's {entry} must be {expected}, got {got}"
    )


def test_a_three_phase_adam_state_of_pytorchs_loads_into_a_one_cycle_on_adam():
    adam = optim.Adam([nn.Parameter(np.zeros(1))], lr=0.1)
    sched = lr_scheduler.OneCycleLR(adam, 1.0, total_steps=10, three_phase=True, anneal_strategy="linear")
    phases = [
        {
            "end_step": 2.0,
            "start_lr": "initial_lr",
            "end_lr": "max_lr",
            "start_momentum": "max_momentum",
            "end_momentum": "base_momentum",
        },
        {
            "end_step": 4.0,
            "start_lr": "max_lr",
            "end_lr": "initial_lr",
            "start_momentum": "base_momentum",
            "end_momentum": "max_momentum",
        },
        {
            "end_step": 9,
            "start_lr": "initial_lr",
            "end_lr": "min_lr",
            "start_momentum": "max_momentum",
            "end_momentum": "max_momentum",
        },
    ]
    torch_state = {
        "total_steps": 10,
        "_schedule_phases": phases,
        "_anneal_func_type": "linear",
        "cycle_momentum": True,
        "use_beta1": True,
        "base_lrs": [0.04],
        "last_epoch": 4,
        "_step_count": 5,
        "_is_initial": False,
        "_get_lr_called_within_step": False,
        "_last_lr": [0.040000000000000036],
    }
    sched.load_state_dict(copy.deepcopy(torch_state))
    assert_same_state(sched.state_dict(), torch_state)


class Custom(lr_scheduler.LRScheduler):
    """A schedule of the user's, whose entries have names the built-in schedules use too."""

    def __init__(self, optimizer):
        self.mode, self.factor, self.step_size = "halve", 2.0, 0.5
        super().__init__(optimizer)

    def get_lr(self):
        return self._current()


def test_a_custom_schedules_entries_of_the_same_names_are_checked_by_kind_only():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    sched = Custom(opt)
    state = sched.state_dict()
    state.update(mode="double", factor=3.0, step_size=1.5)
    sched.load_state_dict(state)
    assert (sched.mode, sched.factor, sched.step_size) == ("double", 3.0, 1.5)
    state["factor"] = math.nan
    assert_refused(opt, sched, state, "Custom: loaded state dict's factor must be a finite number, got nan")
