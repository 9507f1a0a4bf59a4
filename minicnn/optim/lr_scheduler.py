"""Learning-rate schedules: StepLR, MultiStepLR, ExponentialLR, LambdaLR, MultiplicativeLR,
CosineAnnealingLR, LinearLR, ConstantLR and PolynomialLR (factor_lr.py), OneCycleLR
(one_cycle.py), CosineAnnealingWarmRestarts (warm_restarts.py), CyclicLR (cyclic_lr.py),
SequentialLR and ChainedScheduler (sequential_lr.py), and ReduceLROnPlateau (plateau.py,
stepped with the number it watches). ``_LRScheduler`` is PyTorch's old name of the base class.

Each follows PyTorch's code, including its recursive ("chainable") forms, so
the sequence of learning rates equals PyTorch's to the last bit or two:

    sched = StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(90):
        train_one_epoch(...)  # opt.step() inside
        sched.step()  # after the optimizer, once per epoch (or per batch)

Building a scheduler sets each group's lr to its value at step 0 and records
``initial_lr`` in the group. Stepping it before the optimizer's first step warns, as
PyTorch does; ``step(epoch)`` works as in PyTorch, where it is deprecated, and warns.
``state_dict()`` holds numbers, lists, strings and None
(and, for LambdaLR and MultiplicativeLR, each callable object's attributes), so
``mc.save`` stores it as it is, unless such an object holds a function. Its entries
and counters are PyTorch's, so that a state dict saved by PyTorch loads here.
``load_state_dict`` checks each entry before it loads any (PyTorch's loads any dict): a
counter that is not an integer (or not an int64), lrs that are not one per param group, a
NaN anywhere, an inf but in ReduceLROnPlateau's best and mode_worse, a setting its
constructor would refuse, a ``use_beta1`` the optimizer has no betas (or momentum) for, an
entry of another kind or another schedule's is refused in one line, and the schedule is left
as it was.

A bad setting is refused when the scheduler is built, before it touches the optimizer,
in one line that names the scheduler, what it expected and what it got:
``CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 0``. What PyTorch
gives a meaning to is taken (a gamma above 1, a base_lr above max_lr, a milestone at 0);
what crashes there later or makes no schedule (a step_size of 0, a negative gamma) is not.
"""

import bisect
import collections
import copy
import math
import types
import warnings

from .schedule_checks import (
    bad_setting,
    check_integer,
    check_number,
    check_start,
    check_state,
    deprecated_epoch,
    is_step,
)

# torch.optim.lr_scheduler's public names, in its order (``_LRScheduler``, its old name of the
# base class, is taken too, not listed, as there); the helpers imported above are not public
__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
]


def __dir__():
    """The schedulers, for ``dir()`` and tab completion: not the modules and helpers imported."""
    return sorted(__all__)


class LRScheduler:
    """Base class: subclasses write ``get_lr()``, the lrs for step ``self.last_epoch``."""

    def __init__(self, optimizer, last_epoch=-1):
        check_start(self, optimizer, last_epoch)
        if last_epoch != -1:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs each param "
                        f"group's 'initial_lr', param_groups[{i}] has none; load the optimizer's "
                        "state dict first"
                    )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        # PyTorch's flag (its get_lr() warns when called outside step()), always False between
        # steps: kept so that a state dict has PyTorch's keys, and one of PyTorch's loads here
        self._get_lr_called_within_step = False
        self._initial_step()

    def _initial_step(self):
        """The step a schedule takes when it is built (or first started by a SequentialLR):
        counted from 0 again, with ``_is_initial`` set for the schedules that keep the lr there."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance one step (an epoch or a batch, as the schedule is counted) and set the lrs.

        Call it after ``optimizer.step()``: the first one before any optimizer step warns, as
        in PyTorch, since that order skips the schedule's first lr. ``step(epoch)`` jumps to
        that epoch, by the closed form where the schedule has one (``_get_closed_form_lr``);
        deprecated in PyTorch, it warns here too.
        """
        if epoch is not None:
            deprecated_epoch(self, epoch)
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(
                f"Detected call of `lr_scheduler.step()` before `optimizer.step()` ({type(self).__name__}): "
                "call optimizer.step() first, then the schedule's step(); in this order the "
                "schedule skips its first learning rate",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        """Set each group's lr: for the next step, or (as PyTorch) for step ``epoch``."""
        if epoch is None:
            self.last_epoch += 1
            lrs = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            lrs = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lrs set by the latest ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (as PyTorch): counters, base lrs and settings."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()`` (this schedule's, or PyTorch's of the same schedule), each
        entry checked first (``check_state``): a bad one is refused and nothing changes."""
        check_state(self, state_dict)
        self.__dict__.update(copy.deepcopy(state_dict))

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class _LRScheduler(LRScheduler):
    """PyTorch's older name for ``LRScheduler``, which custom schedules written before 2.0
    subclass; kept, as PyTorch keeps it."""


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size): divide by 1/gamma every step_size steps."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = check_integer(self, "step_size", step_size)
        self.gamma = check_number(self, "gamma", gamma, low_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = initial_lr * gamma ** (number of milestones reached), e.g. milestones=[30, 60, 80]."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = _milestones(self, milestones)
        self.gamma = check_number(self, "gamma", gamma, low_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [
            base * self.gamma ** bisect.bisect_right(milestones, self.last_epoch) for base in self.base_lrs
        ]

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self.milestones = collections.Counter({int(k): v for k, v in dict(self.milestones).items()})


def _milestones(sched, milestones):
    """collections.Counter(milestones), as PyTorch keeps them, once each is a step number >= 0."""
    try:
        counts = None if isinstance(milestones, (str, bytes)) else collections.Counter(milestones)
    except TypeError:  # not a collection, or one of unhashable things
        counts = None
    if counts is None or not all(is_step(m) for m in counts):
        raise bad_setting(sched, "milestones", "a list of integers >= 0", milestones)
    return counts


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ** epoch: the same factor every step."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = check_number(self, "gamma", gamma, low_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:  # built (or resumed with last_epoch): the lr as it stands
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self):
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch): any schedule written as a function of the step,
    e.g. a warm-up ``lambda epoch: min(1.0, (epoch + 1) / 5)``; one function, or one per group.

    ``state_dict()`` keeps what a callable object holds (its ``__dict__``), not a plain function
    or lambda, which cannot be saved: rebuild the scheduler with the same function, then load.
    (``mc.save`` stores the attributes if they are numbers, strings, lists, dicts or arrays.)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        check_start(self, optimizer, last_epoch)
        self.lr_lambdas = _lambdas(self, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        return _state_without_lambdas(self)

    def load_state_dict(self, state_dict):
        _load_without_lambdas(self, state_dict)


class MultiplicativeLR(LRScheduler):
    """lr = lr * lr_lambda(epoch) at every step after the first: the factor of each step given
    by a function (or one per group); ``lambda epoch: 0.95`` is ExponentialLR(gamma=0.95)."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        check_start(self, optimizer, last_epoch)
        self.lr_lambdas = _lambdas(self, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:  # built (or resumed with last_epoch): the lr as it stands
            return self._current()
        return [lr * f(self.last_epoch) for f, lr in zip(self.lr_lambdas, self._current())]

    def state_dict(self):
        return _state_without_lambdas(self)

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()`` (this schedule's, or PyTorch's of the same schedule), each
        entry checked first (``check_state``): a bad one is refused and nothing changes."""
        _load_without_lambdas(self, state_dict)


def _lambdas(sched, optimizer, value):
    """One function of the step for each param group: a list (or tuple) of them, or one for all."""
    groups = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        fns = [value] * groups
    elif len(value) != groups:
        raise bad_setting(
            sched, "lr_lambda", f"a function or a list of {groups} (one per param group)", value
        )
    else:
        fns = list(value)
    for i, f in enumerate(fns):
        if not callable(f):
            name = f"lr_lambda[{i}]" if isinstance(value, (list, tuple)) else "lr_lambda"
            raise bad_setting(sched, name, "a function of the step", f, TypeError)
    return fns


def _state_without_lambdas(sched):
    """PyTorch's layout: the functions left out, a callable object's attributes kept."""
    state = {k: copy.deepcopy(v) for k, v in sched.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
    state["lr_lambdas"] = [
        None if isinstance(f, types.FunctionType) else copy.deepcopy(f.__dict__) for f in sched.lr_lambdas
    ]
    return state


def _load_without_lambdas(sched, state_dict):
    check_state(sched, state_dict)
    state = copy.deepcopy(state_dict)
    saved = state.pop("lr_lambdas", [None] * len(sched.lr_lambdas))
    sched.__dict__.update(state)
    for f, attributes in zip(sched.lr_lambdas, saved):
        if attributes is not None:
            f.__dict__.update(attributes)


class LinearLR(LRScheduler):
    """Warm-up: the factor on initial_lr goes linearly from start_factor to end_factor over
    total_iters steps, then stays."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        self.start_factor = check_number(
            self, "start_factor", start_factor, 0, 1, low_open=True, high_open=False
        )
        self.end_factor = check_number(self, "end_factor", end_factor, 0, 1, high_open=False)
        self.total_iters = check_integer(self, "total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        # NOTE: PyTorch's recursive form: the ratio of this step's factor to the last one's
        ratio = 1.0 + (self.end_factor - self.start_factor) / (
            self.total_iters * self.start_factor
            + (self.last_epoch - 1) * (self.end_factor - self.start_factor)
        )
        return [lr * ratio for lr in self._current()]

    def _get_closed_form_lr(self):
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2  (Loshchilov &
    Hutter 2017, without restarts); past T_max it rises again along the same cosine."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = check_number(self, "T_max", T_max, low_open=True)
        self.eta_min = check_number(self, "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and t > 0:
            return [lo + (base - lo) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [
                lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                for base, lr in zip(self.base_lrs, self._current())
            ]
        return [
            (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - lo) + lo
            for lr in self._current()
        ]

    def _get_closed_form_lr(self):
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        return [lo + (base - lo) * (1 + math.cos(math.pi * t / T)) / 2 for base in self.base_lrs]


# defined in files of their own (each a file's worth, built on the classes above), named
# here as in torch.optim.lr_scheduler
from .cyclic_lr import CyclicLR  # noqa: E402,F401
from .factor_lr import ConstantLR, PolynomialLR  # noqa: E402,F401
from .one_cycle import OneCycleLR  # noqa: E402,F401
from .plateau import ReduceLROnPlateau  # noqa: E402,F401
from .sequential_lr import ChainedScheduler, SequentialLR  # noqa: E402,F401
from .warm_restarts import CosineAnnealingWarmRestarts  # noqa: E402,F401
