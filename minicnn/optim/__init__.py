"""Optimizers and learning-rate schedules (``from minicnn import optim``), mirroring ``torch.optim``.

opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
sched = optim.lr_scheduler.StepLR(opt, step_size=30)
"""

from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from . import lr_scheduler

# torch's names this module lacks get a line on what minicnn has instead (dir() unchanged)
from ..torch_names import give_hints  # noqa: E402

give_hints("optim")
del give_hints
