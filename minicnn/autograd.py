"""The backward pass: ``loss.backward()``, ``mc.autograd.backward`` and ``mc.autograd.grad``.

``run_backward`` visits the nodes in reverse topological order, so each node's output
gradient is complete (all its uses summed) before its own ``backward`` runs, and frees the
graph as it goes unless ``retain_graph=True``. A leaf's gradient is summed over its uses and
only added into ``.grad`` when every node has run: a backward that fails half-way (a graph
walked a second time, an array changed in place) leaves every ``.grad`` as it was, so calling
it again once corrected counts no part twice.

``mc.autograd.grad(outputs, inputs)`` walks the same graph and returns the gradients of
``inputs`` instead, leaving every leaf's ``.grad`` as it was, as PyTorch's does;
``backward(inputs=...)`` walks it for those inputs only and adds into their ``.grad``. Either
runs only the nodes that lead to the inputs. There is no ``create_graph``: minicnn's backward
runs on arrays and records nothing, so a gradient has no graph to differentiate again.

>>> import minicnn as mc
>>> x = mc.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (gx,) = mc.autograd.grad((x * x).sum(), x)   # d/dx sum x^2 = 2x
>>> gx.tolist(), x.grad
([2.0, 4.0, 6.0], None)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend, in_place
from .bookkeeping import Bookkeeping
from .tensor import Tensor, _as_array

# What a user calls (mc.autograd.grad, mc.autograd.backward); run_backward is the walk beneath
# both and Tensor.backward, not an API of its own
__all__ = ["backward", "grad"]


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """Add the gradients of ``tensors`` into the ``.grad`` of every leaf that requires grad, in
    one pass, as PyTorch's: ``mc.autograd.backward([a, b])`` adds what ``a.backward()`` and
    ``b.backward()`` would. ``grad_tensors`` is one gradient per tensor (``gradient`` of
    ``Tensor.backward``; None for a one-element tensor, where it is 1).

    ``inputs`` (a Tensor or a sequence of them) limits it to those: only their ``.grad`` is
    added to, only their hooks run, and only the nodes that lead to them run. As in PyTorch, a
    computed tensor among them gets a ``.grad`` too (``retain_grad()`` is called on it, and
    stays), one the tensors do not depend on gets nothing, and one that does not require grad
    is refused.
    """
    _refuse_create_graph("backward()", create_graph)
    wanted = None if inputs is None else _inputs("backward()", inputs)
    roots, gys = _roots("backward()", tensors, grad_tensors, "tensor")
    if wanted is None:
        run_backward(roots, gys, retain_graph=bool(retain_graph))
        return
    for x in wanted:
        x.retain_grad()  # a computed input's .grad is filled as a retained one's, as PyTorch does
    run_backward(roots, gys, retain_graph=bool(retain_graph), inputs=wanted, accumulate=True)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    *,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` w.r.t. ``inputs``, as a tuple, one Tensor per input; no
    ``.grad`` of a leaf changes (a ``retain_grad()`` tensor's does, as in PyTorch).

    Args:
        outputs: a Tensor or a sequence of them; their gradients are summed.
        inputs: a Tensor or a sequence of them, each requiring grad (leaves or computed).
        grad_outputs: one gradient per output (None for a one-element output, where it is 1);
            a list or tuple is one per output even for one output, as in PyTorch.
        retain_graph: keep the graph for another walk (the default frees it, as backward does).
        create_graph: refused: minicnn's backward is not itself recorded.
        allow_unused: give None for an input the outputs do not depend on, instead of refusing
            (the default: as ``materialize_grads``).
        materialize_grads: give zeros (of the input's shape and dtype) instead of that None.
    """
    _refuse_create_graph("autograd.grad()", create_graph)
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "autograd.grad(): expected allow_unused to be True or not passed when "
            "materialize_grads=True, got allow_unused=False"
        )
    wanted = _inputs("autograd.grad()", inputs)
    roots, gys = _roots("autograd.grad()", outputs, grad_outputs, "output")
    found = run_backward(roots, gys, retain_graph=bool(retain_graph), inputs=wanted)
    for i, g in enumerate(found):
        if g is None and not (allow_unused or materialize_grads):
            raise RuntimeError(
                f"autograd.grad(): input {i} was not used in computing the outputs; "
                "pass allow_unused=True to get None for it"
            )
    if materialize_grads:
        found = [backend.xp_of(x.data).zeros_like(x.data) if g is None else g for x, g in zip(wanted, found)]
    # a copy each: the same array may have reached two inputs, or a retained .grad
    return tuple(None if g is None else Tensor(backend.xp_of(g).array(g, copy=True)) for g in found)


def _inputs(name, inputs):
    """``inputs`` as a tuple of Tensors that require grad, or a one-line error."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not inputs:
        raise RuntimeError(f"{name}: inputs cannot be empty")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input {i} must be a Tensor, got {type(x).__name__}")
        if not x.requires_grad:
            raise RuntimeError(f"{name}: input {i} does not require grad")
    return inputs


def _refuse_create_graph(name, create_graph):
    if create_graph:
        raise RuntimeError(
            f"{name}: create_graph=True is not supported: minicnn's backward runs on arrays and "
            "is not itself recorded, so a gradient has no graph to differentiate again"
        )


def _roots(name, tensors, gradients, what):
    """The tensors to start from and, for each, its gradient as an array of its shape."""
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if gradients is None:
        gradients = (None,) * len(tensors)
    elif isinstance(gradients, (list, tuple)):  # one per tensor, even for one tensor (PyTorch)
        gradients = tuple(gradients)
    else:
        gradients = (gradients,)
    if not tensors:
        raise RuntimeError(f"{name}: no {what}s were given")
    if len(gradients) != len(tensors):
        raise RuntimeError(f"{name}: {len(gradients)} gradients for {len(tensors)} {what}s")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {what} {i} must be a Tensor, got {type(t).__name__}")
    return tensors, [
        _gradient(name, t, g, "this tensor" if len(tensors) == 1 else f"{what} {i}")
        for i, (t, g) in enumerate(zip(tensors, gradients))
    ]


def _gradient(name, t, gradient, label="this tensor"):
    """d(something)/dt as an array of t's shape and dtype: 1 where left out, for a scalar only."""
    if not t.requires_grad:
        raise RuntimeError(f"{name}: {label} does not require grad and has no graph (no grad_fn)")
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"{name}: gradient can be implicit only for a scalar output, "
                f"got shape {t.shape}; pass gradient= of that shape"
            )
        return backend.xp_of(t.data).ones_like(t.data)
    if type(gradient) is np.ndarray and type(t.data) is np.ndarray and gradient.dtype == t.data.dtype:
        gy = gradient  # the common case, without _as_array's device checks
    else:
        gy = _as_array(gradient, t.dtype, t.device)
    if gy.shape != t.data.shape:
        raise RuntimeError(f"{name}: gradient has shape {gy.shape}, tensor has {t.shape}")
    return gy


def _topological_order(roots):
    """Nodes reachable from the root nodes, each after every node that consumes its output.

    Iterative depth-first search (a 1000-layer ResNet would overflow Python's
    recursion limit): a node is appended once all its inputs' nodes are done,
    and the reversed list is the order in which gradients flow.
    """
    chain = _chain(roots[0]) if len(roots) == 1 else None
    if chain is not None:
        return chain  # a plain stack of layers, the common graph: already in order, nothing to sort
    order, seen = [], set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.inputs))]
        while stack:
            fn, children = stack[-1]
            for t in children:
                child = None if t is None else t._fn
                if child is not None and id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(fn)
    return order[::-1]


def _chain(fn):
    """The nodes from ``fn`` down, where each has at most one input made by a node; else None."""
    order = []
    while fn is not None:
        order.append(fn)
        below = None
        for t in fn.inputs:
            if t is not None and t._fn is not None:
                if below is not None:
                    return None  # two computed inputs: the graph branches here
                below = t._fn
        fn = below
    return order


def run_backward(roots, gys, retain_graph=False, inputs=None, accumulate=False):
    """Send each ``gys[i]`` (the gradient w.r.t. ``roots[i]``) back through the graph.

    The chain rule, node by node: in reverse topological order each node's output gradient
    gy is complete (every use has added its share), its ``backward`` turns gy into one
    gradient per input, and each input's is added to what that input has received so far.

    Without ``inputs``, each leaf's gradient is added into its ``.grad``; with them, the
    gradient of each input is returned (None where none reached it) and the other leaves get
    nothing, or with ``accumulate`` it is added into the leaves among them (a computed input's
    ``.grad`` is filled by its ``retain_grad()``). Either way nothing is added until every node
    has run (see the module docstring). What is not the chain rule is in bookkeeping.py.
    """
    order = _topological_order([r._fn for r in roots if r._fn is not None])
    book = Bookkeeping(order, inputs, accumulate, retain_graph)  # all but the chain rule
    wanted, selective = book.leaves, inputs is not None  # wanted: the leaves to sum (None: all)
    grads, leaves = _seed(roots, gys, wanted)  # node -> dL/d(its output); leaf -> dL/d(leaf)
    for fn in order:  # each node after every node that uses its output
        gy = grads.pop(id(fn), None)  # dL/dy, complete: every use of y has added its share
        if gy is None or fn.freed or fn._hooks is not None or selective or in_place.changes[0] != fn.tick:
            gy = book.before_backward(fn, gy)  # checks, hooks, inputs=; None: skip fn
            if gy is None:
                continue
        gxs = fn.backward(gy)  # dL/dx_i = (dy/dx_i)^T dL/dy, one per input (a lone one bare)
        gxs = gxs if isinstance(gxs, tuple) else (gxs,)
        if len(gxs) != len(fn.inputs):
            _wrong_count(fn, gxs)
        for i, (x, gx) in enumerate(zip(fn.inputs, gxs)):
            if gx is None or x is None or not x.requires_grad:
                continue
            if gx.shape != x.shape or gx.dtype != x.dtype:
                _grad_mismatch(fn, i, x, gx)
            if x._fn is not None:  # x was made by a node: add gx into its dL/dy (new array: _add)
                key = id(x._fn)
                grads[key] = gx if key not in grads else grads[key] + gx
            elif wanted is None or id(x) in wanted:  # a leaf: summed here, added at the end
                _add(leaves, id(x), x, gx)
        if not retain_graph:
            fn.free()
    return book.commit(leaves)


def _seed(roots, gys, wanted):
    """The walk's start: each root's gradient, at the node that made the root or, for a root
    that is a leaf (and wanted), at the leaf; a root given twice gets the sum."""
    grads, leaves = {}, {}
    for root, gy in zip(roots, gys):
        if root._fn is not None:
            key = id(root._fn)
            grads[key] = gy if key not in grads else grads[key] + gy
        elif wanted is None or id(root) in wanted:
            _add(leaves, id(root), root, gy)
    return grads, leaves


def _add(sums, key, x, g):
    """Add g into the gradient summed for x so far."""
    # NOTE: a new array, not +=: g may be the very array another input got (Add hands gy to both)
    sums[key] = (x, g if key not in sums else sums[key][1] + g)


def _wrong_count(fn, gxs):
    raise RuntimeError(
        f"{type(fn).__name__}.backward returned {len(gxs)} gradients for {len(fn.inputs)} inputs"
    )


def _grad_mismatch(fn, i, x, gx):
    raise RuntimeError(
        f"{type(fn).__name__}.backward returned a gradient of shape {gx.shape} and dtype "
        f"{gx.dtype} for input {i}, which has shape {x.shape} and dtype {x.dtype}"
    )


from .torch_names import module_getattr  # noqa: E402  (torch.autograd.Function: mc.Function)

__getattr__ = module_getattr("autograd")
