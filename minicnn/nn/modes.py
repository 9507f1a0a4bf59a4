"""``eval_mode(model)``: eval mode for a while, then every module's own mode back.

``model.train(was_training)`` after an evaluation would give every submodule the model's one
flag, and so wake a BatchNorm that fine-tuning froze with ``.eval()`` (its running statistics
would move again). Evaluation, prediction, feature extraction and the visualisations use this.
"""

import contextlib


@contextlib.contextmanager
def eval_mode(model):
    """Inside: ``model.eval()``. After (also after an error): each module's own ``training``."""
    flags = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, flag in flags:
            module.training = flag
