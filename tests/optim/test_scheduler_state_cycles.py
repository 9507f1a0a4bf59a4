"""The loaded states of the cyclic schedules (CyclicLR, OneCycleLR): momentum flags the optimizer can
follow, OneCycleLR's phases as its step reads them."""

import copy
import math

import numpy as np
import pytest
from scheduler_states import SCHEDULES, assert_refused, assert_same_state, build, step

from minicnn import nn, optim
from minicnn.optim import lr_scheduler


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
