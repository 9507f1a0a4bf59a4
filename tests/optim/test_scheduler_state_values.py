"""The values of a loaded scheduler state: no NaN, no inf but where the schedule keeps one, integers as
integers, settings in their constructor's range."""

import copy
import math
import re

import numpy as np
import pytest
from scheduler_states import SCHEDULES, assert_refused, build, step

from minicnn import nn, optim
from minicnn.optim import lr_scheduler
from minicnn.optim.schedule_checks import shown


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
