"""Cyclical learning rates (Smith 2017), stepped once per batch; reached as
``optim.lr_scheduler.CyclicLR``."""

import copy
import math
import types

from .lr_scheduler import LRScheduler
from .schedule_checks import bad_setting, check_number, check_start, check_state, momentum_is_beta1, per_group


class CyclicLR(LRScheduler):
    """The lr goes up from base_lr to max_lr over step_size_up batches and back down over
    step_size_down (default: as many), again and again, as PyTorch's.

    At batch t, in cycle c = floor(1 + t / (up + down)), with x the fraction of the cycle done
    and h = x / (up fraction) rising, (1 - x) / (down fraction) falling:

        lr = base_lr + (max_lr - base_lr) * h * scale

    scale is 1 ('triangular'), 1 / 2^(c-1) ('triangular2': each cycle half as high), or
    gamma^t ('exp_range'); or ``scale_fn`` of c (scale_mode 'cycle') or of t ('iterations').
    With ``cycle_momentum`` (the default, as PyTorch; SGD's ``momentum`` or Adam's beta1) the
    momentum goes the other way, from max_momentum down to base_momentum as the lr rises;
    an optimizer without momentum is refused then (pass cycle_momentum=False).
    """

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up=2000,
        step_size_down=None,
        mode="triangular",
        gamma=1.0,
        scale_fn=None,
        scale_mode="cycle",
        cycle_momentum=True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch=-1,
    ):
        check_start(self, optimizer, last_epoch)
        base_lrs = per_group(self, "base_lr", optimizer, base_lr)
        self.max_lrs = per_group(self, "max_lr", optimizer, max_lr)
        up = float(check_number(self, "step_size_up", step_size_up, low_open=True))
        down = up if step_size_down is None else float(check_number(self, "step_size_down", step_size_down))
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise bad_setting(
                self, "mode", "'triangular', 'triangular2' or 'exp_range' (or a scale_fn given)", mode
            )
        if scale_fn is not None and not callable(scale_fn):
            raise bad_setting(
                self, "scale_fn", "a function of the cycle or the step, or None", scale_fn, TypeError
            )
        if scale_mode not in ("cycle", "iterations"):
            raise bad_setting(self, "scale_mode", "'cycle' or 'iterations'", scale_mode)
        self.gamma = check_number(self, "gamma", gamma, low_open=True)
        if cycle_momentum:
            self.use_beta1 = momentum_is_beta1(self, optimizer)
            self.base_momentums = per_group(self, "base_momentum", optimizer, base_momentum)
            self.max_momentums = per_group(self, "max_momentum", optimizer, max_momentum)
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self._scale_fn_custom = scale_fn
        # as PyTorch: a built-in mode sets its own scale_mode, a scale_fn takes the one given
        self.scale_mode = scale_mode if scale_fn is not None else _BUILT_IN_SCALE_MODES[mode]
        self.cycle_momentum = cycle_momentum
        if last_epoch == -1:  # every setting checked: the groups start at the schedule's step 0
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
            if cycle_momentum:
                for m_max, m_base, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups
                ):
                    self._set_momentum(group, m_max)
                    group["max_momentum"], group["base_momentum"] = m_max, m_base
        super().__init__(optimizer, last_epoch)
        # NOTE: after the first step, as PyTorch: that step went from the groups' initial_lr
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        """The amplitude's scale at x (the cycle, or the batch for scale_mode 'iterations')."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        # NOTE: PyTorch's order of operations, so that the lrs agree to the last bit
        lrs = [base + (top - base) * scale_factor * scale for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums
            ):
                self._set_momentum(group, m_max - (m_max - m_base) * scale_factor * scale)
        return lrs

    def state_dict(self):
        """As PyTorch's: a scale_fn is left out, a callable object's attributes kept."""
        state = {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "_scale_fn_custom")
        }
        fn = self._scale_fn_custom
        keep = fn is not None and not isinstance(fn, types.FunctionType)
        state["_scale_fn_custom"] = copy.deepcopy(fn.__dict__) if keep else None
        return state

    def load_state_dict(self, state_dict):
        check_state(self, state_dict)  # before anything changes
        state = copy.deepcopy(state_dict)
        saved = state.pop("_scale_fn_custom", None)
        self.__dict__.update(state)
        if saved is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(saved)


_BUILT_IN_SCALE_MODES = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}
