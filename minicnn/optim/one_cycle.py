"""The 1cycle learning-rate policy (Smith & Topin 2018), stepped once per batch; reached as
``optim.lr_scheduler.OneCycleLR``."""

import math

from .lr_scheduler import LRScheduler
from .schedule_checks import (
    bad_setting,
    check_integer,
    check_number,
    check_start,
    momentum_is_beta1,
    per_group,
)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2018), stepped once per batch.

    lr rises from max_lr / div_factor to max_lr over the first pct_start of
    total_steps, then anneals to max_lr / (div_factor * final_div_factor)
    (cosine by default, or 'linear'). With three_phase=True it comes back down
    to the start before the final anneal. Momentum (SGD's ``momentum`` or Adam's
    beta1) is cycled the other way, from max_momentum to base_momentum and back,
    when ``cycle_momentum`` (the default, as PyTorch; note that it turns on
    momentum for an SGD built with momentum=0).
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        check_start(self, optimizer, last_epoch)
        name = type(self).__name__
        if total_steps is not None:
            self.total_steps = check_integer(self, "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            epochs = check_integer(self, "epochs", epochs)
            self.total_steps = epochs * check_integer(self, "steps_per_epoch", steps_per_epoch)
        else:
            raise ValueError(
                f"{name}: total_steps, or epochs and steps_per_epoch, must be given, got "
                f"total_steps=None, epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}"
            )
        check_number(self, "pct_start", pct_start, 0, 1, high_open=False)
        if float(pct_start * self.total_steps) == 1:  # PyTorch divides by zero at step 0
            raise ValueError(
                f"{name}: pct_start * total_steps must not be 1 (a warm-up from step 0 to step 0), "
                f"got {pct_start!r} * {self.total_steps!r}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise bad_setting(self, "anneal_strategy", "'cos' or 'linear'", anneal_strategy)
        max_lrs = per_group(self, "max_lr", optimizer, max_lr)
        check_number(self, "div_factor", div_factor, low_open=True)
        check_number(self, "final_div_factor", final_div_factor, low_open=True)
        if cycle_momentum:
            self.use_beta1 = momentum_is_beta1(self, optimizer)
            max_momentums = per_group(self, "max_momentum", optimizer, max_momentum)
            base_momentums = per_group(self, "base_momentum", optimizer, base_momentum)
        self._anneal_func_type = anneal_strategy  # PyTorch's name, as its state dict has it
        up = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                dict(
                    end_step=up,
                    start_lr="initial_lr",
                    end_lr="max_lr",
                    start_momentum="max_momentum",
                    end_momentum="base_momentum",
                ),
                dict(
                    end_step=float(2 * pct_start * self.total_steps) - 2,
                    start_lr="max_lr",
                    end_lr="initial_lr",
                    start_momentum="base_momentum",
                    end_momentum="max_momentum",
                ),
                dict(
                    end_step=self.total_steps - 1,
                    start_lr="initial_lr",
                    end_lr="min_lr",
                    start_momentum="max_momentum",
                    end_momentum="max_momentum",
                ),
            ]
        else:
            self._schedule_phases = [
                dict(
                    end_step=up,
                    start_lr="initial_lr",
                    end_lr="max_lr",
                    start_momentum="max_momentum",
                    end_momentum="base_momentum",
                ),
                dict(
                    end_step=self.total_steps - 1,
                    start_lr="max_lr",
                    end_lr="min_lr",
                    start_momentum="base_momentum",
                    end_momentum="max_momentum",
                ),
            ]
        self.cycle_momentum = cycle_momentum
        if last_epoch == -1:  # every setting checked: the groups start at the schedule's step 0
            for lr, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                for m_max, m_base, group in zip(max_momentums, base_momentums, optimizer.param_groups):
                    self._set_momentum(group, m_max)
                    group["max_momentum"], group["base_momentum"] = m_max, m_base
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"{type(self).__name__}: stepped {step} times, past its total_steps={self.total_steps}; "
                "build it with more total_steps (or epochs) to go on"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == len(self._schedule_phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        self._set_momentum(
                            group,
                            self._anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], pct),
                        )
                    break
                start = phase["end_step"]
        return lrs
