"""SequentialLR: one schedule after another, as PyTorch's (a warm-up, then the schedule proper).

    warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = CosineAnnealingLR(opt, T_max=85)
    sched = SequentialLR(opt, [warmup, cosine], milestones=[5])

At step ``milestones[i - 1]`` schedule i starts from its own step 0. A schedule with a
closed form (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR) starts from
the initial lr, as PyTorch computes it there; the others (LambdaLR, OneCycleLR,
CosineAnnealingWarmRestarts, CyclicLR) from their step 0 as they define it, and
MultiplicativeLR multiplies the lr as it stands by ``lr_lambda(0)``, as PyTorch's does.
"""

import bisect

from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)
from .schedule_checks import bad_setting, check_start, is_step

_CLOSED_FORM = (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR)


class SequentialLR(LRScheduler):
    """``schedulers[i]`` sets the lr from step ``milestones[i - 1]`` (from 0 for the first)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        check_start(self, optimizer, last_epoch)
        if not isinstance(schedulers, (list, tuple)) or not schedulers:
            raise bad_setting(self, "schedulers", "a list of one or more schedulers", schedulers)
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or isinstance(s, ReduceLROnPlateau):
                raise bad_setting(self, f"schedulers[{i}]", "a schedule of steps", s, TypeError)
            if s.optimizer is not optimizer:
                raise ValueError(
                    f"{type(self).__name__}: schedulers[{i}] must drive the optimizer given, "
                    "got one that drives another"
                )
        if not isinstance(milestones, (list, tuple)) or not all(is_step(m) for m in milestones):
            raise bad_setting(self, "milestones", "a list of integers >= 0", milestones)
        if list(milestones) != sorted(milestones):  # bisect finds the schedule of a step in them
            raise bad_setting(self, "milestones", "sorted", milestones)
        if len(milestones) != len(schedulers) - 1:
            expected = f"a list of {len(schedulers) - 1} (one fewer than the {len(schedulers)} schedulers)"
            raise bad_setting(self, "milestones", expected, milestones)
        schedulers, milestones = list(schedulers), list(milestones)
        self.optimizer, self._schedulers, self._milestones = optimizer, schedulers, milestones
        self.last_epoch = last_epoch + 1
        # each schedule took a step when it was built; undo them, and start again the one that
        # runs at step 0 (the first, unless a milestone is 0)
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            s.last_epoch -= 1
        first = schedulers[bisect.bisect_right(milestones, 0)]
        _start(first)
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            _start(scheduler, at_zero=True)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        for s, saved in zip(self._schedulers, state.pop("_schedulers")):
            s.load_state_dict(saved)
        self.__dict__.update(state)


def _start(scheduler, at_zero=False):
    """A schedule's first step: step 0 (a milestone's restart) or the step after the last.

    Its ``_step_count`` as PyTorch's: the first start counts from 0 again (a step, as
    its ``step()`` counts one), a restart at a milestone is not counted."""
    steps = scheduler._step_count
    if at_zero:
        scheduler.last_epoch = -1
        if isinstance(scheduler, _CLOSED_FORM):
            for group, base in zip(scheduler.optimizer.param_groups, scheduler.base_lrs):
                group["lr"] = base
    else:
        scheduler._step_count = 0
    # the lr as it stands where a schedule does not move at step 0; but at a milestone PyTorch
    # steps a schedule without a closed form as any other step (MultiplicativeLR multiplies)
    scheduler._is_initial = not at_zero or isinstance(scheduler, _CLOSED_FORM)
    try:
        scheduler.step()
    finally:
        scheduler._is_initial = False
    if at_zero:
        scheduler._step_count = steps
