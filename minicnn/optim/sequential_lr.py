"""SequentialLR and ChainedScheduler: schedules combined, as PyTorch's.

SequentialLR runs one schedule after another (a warm-up, then the schedule proper):

    warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = CosineAnnealingLR(opt, T_max=85)
    sched = SequentialLR(opt, [warmup, cosine], milestones=[5])

At step ``milestones[i - 1]`` schedule i starts from its own step 0, as PyTorch's: a schedule
with a closed form (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR,
ConstantLR, PolynomialLR) takes its lr there, the initial lr times its factor at step 0;
the others (LambdaLR, OneCycleLR, CosineAnnealingWarmRestarts, CyclicLR) their step 0 as
they define it, and MultiplicativeLR multiplies the lr as it stands by ``lr_lambda(0)``.

ChainedScheduler steps every schedule it holds at each of its steps, one after the other,
so that their factors multiply: ``ChainedScheduler([ConstantLR(opt, 0.1, 20),
ExponentialLR(opt, 0.9)])`` decays by 0.9 a step from a tenth of the lr, and jumps up tenfold
at step 20.
"""

import bisect

from .lr_scheduler import LRScheduler
from .plateau import ReduceLROnPlateau
from .schedule_checks import bad_setting, check_optimizer, check_start, check_state, is_step


def _check_schedulers(sched, schedulers, optimizer=None):
    """One or more schedules of steps (no ReduceLROnPlateau, which takes a number), all driving
    ``optimizer`` where one is given: the schedulers a SequentialLR or ChainedScheduler takes."""
    if not isinstance(schedulers, (list, tuple)) or not schedulers:
        raise bad_setting(sched, "schedulers", "a list of one or more schedulers", schedulers)
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler) or isinstance(s, ReduceLROnPlateau):
            raise bad_setting(sched, f"schedulers[{i}]", "a schedule of steps", s, TypeError)
        if optimizer is not None and s.optimizer is not optimizer:
            raise ValueError(
                f"{type(sched).__name__}: schedulers[{i}] must drive the optimizer given, "
                "got one that drives another"
            )
    return list(schedulers)


def _no_epoch(sched, epoch):
    """PyTorch's combined schedules take no epoch; say so in one line, with the fix."""
    if epoch is not None:
        raise TypeError(
            f"{type(sched).__name__}.step() takes no epoch (nor does PyTorch's), got {epoch!r}; "
            "call step() once per epoch"
        )


class SequentialLR(LRScheduler):
    """``schedulers[i]`` sets the lr from step ``milestones[i - 1]`` (from 0 for the first)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        check_start(self, optimizer, last_epoch)
        schedulers = _check_schedulers(self, schedulers, optimizer)
        if not isinstance(milestones, (list, tuple)) or not all(is_step(m) for m in milestones):
            raise bad_setting(self, "milestones", "a list of integers >= 0", milestones)
        if list(milestones) != sorted(milestones):  # bisect finds the schedule of a step in them
            raise bad_setting(self, "milestones", "sorted", milestones)
        if len(milestones) != len(schedulers) - 1:
            expected = f"a list of {len(schedulers) - 1} (one fewer than the {len(schedulers)} schedulers)"
            raise bad_setting(self, "milestones", expected, milestones)
        milestones = list(milestones)
        self.optimizer, self._schedulers, self._milestones = optimizer, schedulers, milestones
        self.last_epoch = last_epoch + 1
        # each schedule took a step when it was built; undo them, and start again the one that
        # runs at step 0 (the first, unless a milestone is 0)
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            _undo_step(s)
        first = schedulers[bisect.bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self, epoch=None):
        _no_epoch(self, epoch)
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)  # its step 0, by its closed form where it has one
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        return _state_with_schedulers(self)

    def load_state_dict(self, state_dict):
        _load_with_schedulers(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Every schedule in ``schedulers`` stepped, in order, at each ``step()``; their factors
    multiply. ``optimizer`` defaults to the first schedule's, which each must drive. As
    PyTorch's, it counts no steps of its own: ``last_epoch`` is in each schedule."""

    def __init__(self, schedulers, optimizer=None):
        schedulers = _check_schedulers(self, schedulers)
        optimizer = schedulers[0].optimizer if optimizer is None else optimizer
        check_optimizer(self, optimizer)
        self._schedulers = _check_schedulers(self, schedulers, optimizer)
        self.optimizer = optimizer
        self._last_lr = self._current()

    def step(self, epoch=None):
        _no_epoch(self, epoch)
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current()

    def state_dict(self):
        return _state_with_schedulers(self)

    def load_state_dict(self, state_dict):
        _load_with_schedulers(self, state_dict)


def _undo_step(scheduler):
    """Take back the step a schedule made when it was built (inside a combined one, each of
    its own schedules' step), as PyTorch's SequentialLR does."""
    if isinstance(scheduler, (SequentialLR, ChainedScheduler)):
        for s in scheduler._schedulers:
            _undo_step(s)
    else:
        scheduler.last_epoch -= 1


def _state_with_schedulers(sched):
    """PyTorch's layout: the entries but the optimizer, each schedule's state dict in a list."""
    state = {k: v for k, v in sched.__dict__.items() if k not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [s.state_dict() for s in sched._schedulers]
    return state


def _load_with_schedulers(sched, state_dict):
    check_state(sched, state_dict)  # each schedule's state too, before any is loaded
    state = dict(state_dict)
    for s, saved in zip(sched._schedulers, state.pop("_schedulers", [])):
        s.load_state_dict(saved)
    sched.__dict__.update(state)
