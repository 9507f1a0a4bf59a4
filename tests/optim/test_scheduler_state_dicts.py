"""Scheduler state dicts laid out as PyTorch's: the same keys, the same counters and settings, and one
of PyTorch's loads here and goes on as PyTorch's would."""

import copy
import math

import pytest
from scheduler_states import SCHEDULES, TORCH, assert_same_state, build, step


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
