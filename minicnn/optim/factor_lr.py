"""ConstantLR and PolynomialLR: the initial lr times a factor of the step, as PyTorch's (its
recursive forms for ``step()``, its closed forms for ``step(epoch)`` and a SequentialLR's
milestone); reached as ``optim.lr_scheduler.ConstantLR`` and ``.PolynomialLR``."""

from .lr_scheduler import LRScheduler
from .schedule_checks import check_integer, check_number


class ConstantLR(LRScheduler):
    """lr = initial_lr * factor for the first ``total_iters`` steps, then initial_lr: the
    constant warm-up of torchvision's recipes, ``SequentialLR(opt, [ConstantLR(opt, 0.1, 5),
    CosineAnnealingLR(opt, 85)], milestones=[5])``.

    ``factor`` in (0, 1] (PyTorch's range, less 0, which its step at total_iters divides by).
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        self.factor = check_number(self, "factor", factor, 0, 1, low_open=True, high_open=False)
        self.total_iters = check_integer(self, "total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current()]
        if self.last_epoch != self.total_iters:
            return self._current()
        return [lr * (1.0 / self.factor) for lr in self._current()]

    def _get_closed_form_lr(self):
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * factor for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial_lr * (1 - min(epoch, total_iters) / total_iters) ** power: from initial_lr
    down to 0 at step ``total_iters`` (a straight line for power 1), then 0.

    As PyTorch's, each step multiplies the lr by the ratio of this step's factor to the last
    one's, so a change made to the lr from outside carries on.
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = check_integer(self, "total_iters", total_iters)
        self.power = check_number(self, "power", power)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        t, T = self.last_epoch, self.total_iters
        ratio = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * ratio for lr in self._current()]

    def _get_closed_form_lr(self):
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base * factor for base in self.base_lrs]
