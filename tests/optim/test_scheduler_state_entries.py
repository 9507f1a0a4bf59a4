"""A loaded scheduler state with a bad entry, of another schedule, or not a dict: refused in one line
naming the entry, and nothing of it loaded."""

import math

import numpy as np
import pytest
from scheduler_states import SCHEDULES, assert_refused, assert_same_state, build, step

from minicnn import nn, optim
from minicnn.optim import lr_scheduler
from minicnn.optim.schedule_checks import shown

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
