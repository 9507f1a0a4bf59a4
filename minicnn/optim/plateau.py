"""ReduceLROnPlateau: divide the lr when a watched number stops improving; reached as
``optim.lr_scheduler.ReduceLROnPlateau``."""

import math

from .lr_scheduler import LRScheduler
from .schedule_checks import (
    bad_setting,
    check_integer,
    check_number,
    check_optimizer,
    deprecated_epoch,
    per_group,
)


class ReduceLROnPlateau(LRScheduler):
    """Divide the lr when a watched number stops improving: ``sched.step(val_loss)`` once per
    epoch, and after more than ``patience`` epochs without improvement each lr becomes
    max(lr * factor, min_lr), then ``cooldown`` epochs pass before counting again.

    Improvement ("min" mode, "rel" threshold): metric < best * (1 - threshold); "abs":
    metric < best - threshold; "max" mode the same the other way. A change smaller than
    ``eps`` is not made. As PyTorch's, it reads no ``initial_lr``.
    """

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0,
        eps=1e-8,
    ):
        check_optimizer(self, optimizer)
        self.factor = check_number(self, "factor", factor, 0, 1)
        if mode not in ("min", "max"):
            raise bad_setting(self, "mode", "'min' or 'max'", mode)
        if threshold_mode not in ("rel", "abs"):
            raise bad_setting(self, "threshold_mode", "'rel' or 'abs'", threshold_mode)
        self.patience = check_integer(self, "patience", patience, least=0)
        self.threshold = check_number(self, "threshold", threshold)
        self.cooldown = check_integer(self, "cooldown", cooldown, least=0)
        self.min_lrs = per_group(self, "min_lr", optimizer, min_lr)
        # one min_lr for every group, also for a group added later; None where given per group
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.eps = check_number(self, "eps", eps)
        self.optimizer, self.mode, self.threshold_mode = optimizer, mode, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = self._current()

    def step(self, metrics, epoch=None):
        """One epoch's value of the watched number (a float, or a 0-d Tensor or array).

        ``epoch`` (deprecated, as in PyTorch, with a warning) sets the epoch counted."""
        try:
            current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        except (TypeError, ValueError):
            raise bad_setting(
                self, "metrics", "a number (or a one-value Tensor or array)", metrics, TypeError
            ) from None
        if epoch is not None:
            deprecated_epoch(self, epoch)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            groups = len(self.optimizer.param_groups)
            if len(self.min_lrs) != groups:  # a group was added to the optimizer since
                if self.default_min_lr is None:
                    raise RuntimeError(
                        f"ReduceLROnPlateau: min_lrs must have one value per param group ({groups}), "
                        f"got {self.min_lrs!r}; a group was added since: set min_lrs for it"
                    )
                self.min_lrs = [self.default_min_lr] * groups
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current()

    def _is_better(self, a):
        if self.mode == "min":
            return a < (
                self.best * (1 - self.threshold)
                if self.threshold_mode == "rel"
                else self.best - self.threshold
            )
        return a > (
            self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold
        )
