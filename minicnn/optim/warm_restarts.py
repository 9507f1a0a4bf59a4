"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017); reached as
``optim.lr_scheduler.CosineAnnealingWarmRestarts``."""

import math

from .lr_scheduler import LRScheduler
from .schedule_checks import check_integer, check_number


class CosineAnnealingWarmRestarts(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) (1 + cos(pi T_cur / T_i)) / 2, as PyTorch's.

    T_cur counts the epochs since the last restart and T_i is the current cycle's length:
    T_0 at first, T_mult times longer after each restart (T_mult=2: cycles of 10, 20, 40 ...).
    At each restart the lr jumps back to initial_lr. ``step()`` advances one epoch;
    ``step(epoch)`` sets the epoch, a fractional one too, so that the cosine can move once
    per batch: ``sched.step(epoch + i / len(loader))``.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        self.T_0 = self.T_i = check_integer(self, "T_0", T_0)
        self.T_mult = check_integer(self, "T_mult", T_mult)
        self.eta_min = check_number(self, "eta_min", eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [
            self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base in self.base_lrs
        ]

    def step(self, epoch=None):
        """One epoch on (epoch None), or to ``epoch`` (a float is a fraction of an epoch)."""
        if epoch is not None:
            check_number(self, "epoch", epoch)
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                # NOTE: n restarts so far: the cycles T_0 (1 + T_mult + ... + T_mult^(n-1))
                # = T_0 (T_mult^n - 1) / (T_mult - 1) epochs fit before epoch, PyTorch's formula
                n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        # NOTE: _step_count is not counted, as in PyTorch, whose step() here does not: it stays 0
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
