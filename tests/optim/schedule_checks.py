"""What the tests of the schedules' bad settings share: an optimizer to drive, a step, and the
pattern of the one line a bad setting is refused with."""

import re

import numpy as np

from minicnn import nn, optim


def sgd(groups=1):
    """An SGD with momentum over ``groups`` param groups of one parameter each."""
    params = [{"params": [nn.Parameter(np.zeros(1))]} for _ in range(groups)]
    return optim.SGD(params, lr=0.1, momentum=0.9)


def stepped(sched, *args):
    """One optimizer step, then sched.step(*args)."""
    sched.optimizer.step()
    sched.step(*args)


def exactly(error, message):
    """The ``match=`` pattern of exactly ``message`` (a KeyError's text is its message quoted)."""
    return "^" + re.escape(repr(message) if error is KeyError else message) + "$"
