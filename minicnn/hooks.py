"""Hooks on a tensor's gradient (``t.register_hook(hook)``) and the handle that removes a hook.

``hook(grad)`` runs when backward has the whole gradient of the tensor it was registered on
(summed over all the tensor's uses), and a Tensor it returns takes the gradient's place. On a
leaf the hooks run before the gradient is added into ``.grad``. A computed tensor's hooks are
kept on the node that made it, since backward reaches that node even when the tensor itself
is gone (``x = conv(x); x.register_hook(h); x = relu(x)`` in a forward); what they return is
what that node's backward receives. ``retain_grad()`` is kept there too, and runs last: the
``.grad`` it keeps is the gradient after the hooks, as in PyTorch.

>>> import minicnn as mc
>>> x = mc.tensor([1.0, 2.0], requires_grad=True)
>>> handle = x.register_hook(lambda g: g * 10)  # dy/dx = 2, then times 10
>>> (x * 2).sum().backward()
>>> x.grad.tolist()
[20.0, 20.0]
>>> handle.remove()
"""

from __future__ import annotations

import itertools
from typing import Any

from . import backend
from .grad_mode import no_grad


class RemovableHandle:
    """What registering a hook returns: ``handle.remove()`` takes the hook off again (also
    at the end of a ``with handle:`` block)."""

    _ids = itertools.count()

    def __init__(self, hooks, *extra):
        # extra: tables keyed by the same id that mark how the hook is called (with_kwargs)
        self.hooks, self.extra, self.id = hooks, extra, next(RemovableHandle._ids)

    def remove(self):
        """Take the hook off; a second call does nothing."""
        for table in (self.hooks, *self.extra):
            table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


class GradHooks:
    """The hooks on one tensor's gradient, called in the order they were registered; then, for
    ``retain_grad()`` on a computed tensor, the tensor whose ``.grad`` keeps what they leave."""

    def __init__(self) -> None:
        self.hooks: dict = {}
        self.retains: Any = None  # a weak reference: the node must not keep its output alive

    def add(self, hook) -> RemovableHandle:
        handle = RemovableHandle(self.hooks)
        self.hooks[handle.id] = hook
        return handle

    def __call__(self, g):
        """The gradient (an array) after every hook."""
        for hook in list(self.hooks.values()):  # (a hook may remove itself or another)
            g = _run(hook, g)
        return g

    def retained(self):
        """The tensor whose ``.grad`` keeps the gradient after the hooks, if still held, else None
        (the engine adds it there once the whole backward has run)."""
        return None if self.retains is None else self.retains()


def _run(hook, g):
    """hook's gradient in place of g: checked, since a wrong shape would fail far from it."""
    from .tensor import Tensor

    with no_grad():  # as PyTorch: what a hook computes records no graph
        # NOTE: the hook gets a copy: g may be the very array another input got (Add hands its
        # gy to both), which a hook changing its argument in place would change too
        out = hook(Tensor(backend.xp_of(g).array(g, copy=True)))
    if out is None:
        return g
    name = getattr(hook, "__name__", "<unknown>")  # PyTorch's name for a hook without one
    if not isinstance(out, Tensor):
        raise TypeError(f"hook '{name}' returned {type(out).__name__}; a hook returns a Tensor or None")
    for what, got, want in (
        ("shape", out.shape, tuple(g.shape)),
        ("dtype", out.dtype, g.dtype),
        ("device", out.device, backend.device_of(g)),
    ):
        if got != want:
            raise RuntimeError(f"hook '{name}' changed the gradient's {what} from {want} to {got}")
    return out.data
