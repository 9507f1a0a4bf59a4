"""Inference tensors: what ``mc.inference_mode()`` makes, and what is refused them afterwards.

Every tensor made inside ``with mc.inference_mode():`` is an inference tensor
(``t.is_inference()``), and so is a view of one, made inside or out (``x[0]``, ``x.T``,
``x.detach()``); a view made inside of a normal tensor stays normal, as in PyTorch. The mode
promises the tensors made inside will never enter a graph, so minicnn refuses, as PyTorch
does, three uses outside the mode:

- an op recorded for backward that keeps one for the gradient (``w * x``: Mul keeps x for w's
  gradient). An op that keeps nothing of it (``w + x``, ``mc.cat([w, x])``) is taken, and its
  result is a normal tensor. minicnn looks at the arrays the node kept (in_place.kept_arrays),
  so an op that keeps a copy of x, not x itself, is taken where PyTorch may refuse it;
- a change in place (``x += 1``, ``x[0] = 0``, ``x.zero_()``), even under ``no_grad``;
- ``x.requires_grad_()`` (or ``requires_grad = True``).

``x.clone()`` is a normal copy of x, free of all three.

>>> import minicnn as mc
>>> w = mc.tensor([1.0, 2.0], requires_grad=True)
>>> with mc.inference_mode():
...     x = w * 3
>>> x.is_inference(), x.requires_grad
(True, False)
>>> (w + x).is_inference()
False
>>> w * x
Traceback (most recent call last):
    ...
RuntimeError: Mul: input 1 is an inference tensor (made under mc.inference_mode()), ...
>>> (w * x.clone()).is_inference()
False
"""

from . import backend, in_place
from .grad_mode import _mode
from .grad_mode import inference_made as made  # noqa: F401 (read by tensor.py, for Function.apply)


def refuse_kept(fn, inputs):
    """Refuse the node ``fn`` just recorded if it keeps the array of an inference input."""
    inference = [(i, t) for i, t in enumerate(inputs) if t is not None and t._inference]
    if not inference:
        return
    kept = list(in_place.kept_arrays(fn))
    name = type(fn).__name__
    for i, t in inference:
        if any(backend.xp_of(k).may_share_memory(k, t.data) for k in kept):
            raise RuntimeError(
                f"{name}: input {i} is an inference tensor (made under mc.inference_mode()), which "
                f"{name} would keep for the gradient; inference tensors cannot be saved for "
                "backward: use x.clone() for a normal tensor, or mc.no_grad() instead of "
                "mc.inference_mode()"
            )


def refuse_in_place(t, symbol):
    """Refuse to change an inference tensor in place outside ``inference_mode``, as PyTorch."""
    if t._inference and not _mode.inference:
        raise RuntimeError(
            f"{symbol}: in-place update to an inference tensor outside mc.inference_mode() is "
            "not allowed; x = x.clone() gives a normal tensor to change"
        )


def refuse_requires_grad(t):
    """Refuse ``requires_grad=True`` on an inference tensor outside ``inference_mode``."""
    if t._inference and not _mode.inference:
        raise RuntimeError(
            "Setting requires_grad=True on an inference tensor outside mc.inference_mode() is not "
            "allowed; x.clone().requires_grad_() gives a normal tensor that requires grad"
        )
