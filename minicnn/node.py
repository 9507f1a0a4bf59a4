"""What a node of the graph shows of itself, as PyTorch's ``grad_fn``: ``name()`` and
``next_functions``.

``y.grad_fn`` is the node (a ``Function``) that made ``y``. Its ``next_functions`` holds one
``(node, 0)`` pair per input of that op, in the order of the op's arguments:

- the node that made the input, for an input computed by an op;
- an ``AccumulateGrad`` for a leaf that requires grad: the node that stands for adding a
  gradient into the leaf's ``.grad``, whose ``.variable`` is the leaf (one per leaf, the same
  object however it is reached, kept by the leaf);
- ``None`` for an input that needs no gradient (data, a number, an optional input left out).

The 0 is the output of that node the input was: every minicnn op has one output (PyTorch's
``split`` has several, and its pieces show 0, 1, ...). The links stay after ``backward()``, as
PyTorch's do: ``free()`` drops what a node kept for its gradient and its inputs, and keeps only
these links (the leaves that require grad, and the freed nodes below). Following them from
``loss.grad_fn`` walks the whole graph, as the engine does (autograd.py).

``NodeInput``, at the end, is what a node keeps of an input made by another node (the link, not
the Tensor), the thing ``Function.apply`` stores in ``inputs`` for it.

``name()`` is the op's class name (``Mul``), the one ``repr`` of a tensor shows; PyTorch's names
add ``Backward`` and a number for the overload (``MulBackward0``, ``SumBackward1``).

>>> import minicnn as mc
>>> a = mc.tensor([1.0, 2.0], requires_grad=True)
>>> y = (a * 2).sum()
>>> y.grad_fn.name(), y.grad_fn.next_functions
('Sum', ((<Mul object at 0x...>, 0),))
>>> mul = y.grad_fn.next_functions[0][0]
>>> mul.next_functions  # a, then the number 2, which needs no gradient
((<AccumulateGrad object at 0x...>, 0), (None, 0))
>>> mul.next_functions[0][0].variable is a
True
"""

from __future__ import annotations

import weakref
from typing import Any


class Node:
    """The part of ``Function`` that shows the graph: ``name()``, ``next_functions``, ``free()``."""

    inputs: tuple
    needs_grad: tuple

    def name(self) -> str:
        """The op's name, as the tensor's ``repr`` shows it (``grad_fn=<Mul>``)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"  # as PyTorch's: the name, no module

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """One ``(node, 0)`` per input: the node that made it, an ``AccumulateGrad`` for a leaf
        that requires grad, None for an input that needs no gradient (see this file's docstring)."""
        links = self.__dict__.get("_links")
        if links is None:
            links = _links(self)
        return tuple((_accumulator(t) if t is not None and not isinstance(t, Node) else t, 0) for t in links)

    def free(self) -> None:
        """Drop the inputs and everything saved for backward; keep the links ``next_functions``
        shows (a leaf that requires grad, or the node below, per input)."""
        self.__dict__ = {"freed": True, "inputs": (), "_links": _links(self)}


def _links(fn):
    """Per input: None where it needs no gradient, else the leaf itself or the node that made it."""
    if "_links" in fn.__dict__:
        return fn.__dict__["_links"]
    return tuple(
        [
            None if t is None or not need else (t if t._fn is None else t._fn)
            for t, need in zip(fn.inputs, getattr(fn, "needs_grad", ()))
        ]
    )


class AccumulateGrad:
    """Where a leaf's gradient ends, as PyTorch's node of that name: ``.variable`` is the leaf.
    It stands for the leaf in ``next_functions``; minicnn's engine adds into ``.grad`` itself,
    once the whole backward has run (autograd.py)."""

    next_functions: tuple = ()

    def __init__(self, variable: Any) -> None:
        self._variable = weakref.ref(variable)

    @property
    def variable(self) -> Any:
        """The leaf (None once it is gone: the leaf keeps this node, not the other way round)."""
        return self._variable()

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def _accumulator(leaf):
    """The leaf's AccumulateGrad, made on first asking and kept by the leaf, so that a walk over
    the graph meets one object per leaf, however often it is reached (as in PyTorch, whose
    graph keeps it)."""
    acc = leaf.__dict__.get("_accumulator")
    if acc is None:
        acc = leaf.__dict__["_accumulator"] = AccumulateGrad(leaf)
    return acc


class NodeInput:
    """What a node keeps of an input made by another node: not the Tensor, only its link.

    Backward reads of such an input only the node that made it, whether it wants a
    gradient, and its shape and dtype (to check the gradient). Keeping the Tensor
    would keep its array alive until backward reaches this node, although most ops
    never read it again (what a backward needs, the forward saved on the node): a
    ReLU after a batch norm would hold the batch norm's output through the whole
    forward pass. A weak reference still finds the Tensor while the user holds it, for
    the check of changes in place (in_place.py).
    """

    __slots__ = ("_fn", "requires_grad", "shape", "dtype", "_tensor", "_changed_at")

    def __init__(self, t):
        self._fn, self.requires_grad = t._fn, t.requires_grad
        self.shape, self.dtype = t.data.shape, t.data.dtype
        self._tensor = weakref.ref(t)
        self._changed_at = t._changed_at  # a change in place counts even after t is gone

    @property
    def data(self):
        """The tensor's array while the user holds the tensor, else None."""
        t = self._tensor()
        return None if t is None else t.data
