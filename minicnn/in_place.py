"""Arrays changed in place between a node's forward and its backward.

A node's backward reads what its forward kept on it, often its inputs' own arrays (Mul keeps
both factors, Linear its weight) or its output (Exp, ReLU). Changing such an array in place
afterwards (``x += 1`` under ``no_grad``, an optimizer step before ``backward()``) would make
the backward compute the gradient of other numbers than the forward used. PyTorch counts the
changes of each tensor (its version counter, one for a base and all its views) and refuses;
so does minicnn, for the changes made through a Tensor: its in-place methods, ``x[i] = v``, a
NumPy ufunc's ``out=``, an optimizer step, ``nn.init``, ``load_state_dict`` and
``vector_to_parameters``. Writes into ``.data`` or into an array taken out with
``t.detach().numpy()`` are not seen, and neither is batch norm's update of its running
statistics in training: in PyTorch neither.

The count: a process-wide tick (``changes``) advanced by every change in place, each Tensor's
tick of its last change (``_changed_at``, one list shared by the tensors on the same memory:
``detach()`` and every view an op made, ``x[0]``, ``x.T``, ``reshape`` ...), and each node's
tick at its forward (``fn.tick``, set in tensor.py). When no change happened since a node's
forward, its backward runs at once; otherwise ``check_unchanged`` looks at what the node kept.

A write of values computed per element into memory that several elements share (an
``expand()`` view: ``e.add_(1)``, ``e[:] = 5``) is refused by ``check_no_overlap``, as in
PyTorch; one that reaches each memory location once (``e[0].add_(1)``) goes through to x.
"""

import warnings

import numpy as np

from . import backend

changes = [0]  # changes made in place so far, by any Tensor


def count(changed_at):
    """Count one change in place of the Tensor whose ``_changed_at`` this is."""
    changes[0] += 1
    changed_at[0] = changes[0]


def kept_arrays(fn):
    """The arrays a node keeps for its backward (attributes, and inside tuples and lists)."""
    for v in vars(fn).values():
        for a in v if isinstance(v, (tuple, list)) else (v,):
            if isinstance(a, np.ndarray) or backend.is_cupy_array(a):
                yield a


def check_unchanged(fn):
    """Refuse to run a node's backward on arrays changed in place after its forward.

    A changed input counts only where the node kept that array (or a view of it): Add keeps
    nothing of x, and ``x += 1`` after ``y = x + 1`` leaves y's gradient right, as PyTorch
    allows. Where the node kept some array, two changes are refused without that look: one
    to an input whose Tensor is gone (its array can no longer be compared), and one to the
    node's output (the ops that keep their output, exp and relu, keep it whole). A view's
    output is not looked at apart: its changes are its input's, which the inputs' check sees.
    """
    kept = list(kept_arrays(fn))
    if not kept:
        return  # nothing the backward reads can have changed
    name = type(fn).__name__
    if fn.output_changed_at is not None and fn.output_changed_at[0] > fn.tick:
        why = f"which {name} may have kept for the gradient: exp and relu keep their output, and "
        _refuse(f"the output of {name}", why + "minicnn does not look")
    for i, t in enumerate(fn.inputs):
        if t is None or t._changed_at[0] <= fn.tick:
            continue
        a = t.data
        if a is None:
            why = f"which {name} may have kept for the gradient: its tensor is gone, and minicnn cannot look"
            _refuse(f"input {i} of {name}", why)
        if any(backend.xp_of(a).may_share_memory(a, k) for k in kept):
            _refuse(f"input {i} of {name}", "which kept it for the gradient")


def overlapping(array):
    """Whether two elements of ``array`` are one memory location: an axis of stride 0 and more
    than one element, as ``x.expand(2, 3)`` makes (PyTorch's has_internal_overlap). An empty
    array has no two elements (NumPy gives ``mc.zeros(0, 2)`` strides (0, 0))."""
    return array.size > 0 and any(s == 0 and n > 1 for n, s in zip(array.shape, array.strides))


def check_no_overlap(name, array, what="x"):
    """Refuse, as PyTorch does, to write values computed element by element into memory that
    several elements share: each would get one of them, and which one is not said. A fill of
    one value (``fill_``, ``zero_``) is taken, as in PyTorch."""
    if overlapping(array):
        raise RuntimeError(
            f"{name}: expected {what} with memory of its own for each element, got shape "
            f"{tuple(array.shape)} with strides {tuple(array.strides)} bytes, whose elements share "
            f"memory (an expand() view); clone() it first, or write into the tensor it expands"
        )


def refuse_read_only(name, array, what="x"):
    """Refuse a write into read-only memory (``mc.from_numpy`` or ``mc.as_tensor`` of a
    read-only array, which warned) in one line, before anything is written; PyTorch writes
    into such memory regardless, a behaviour it leaves undefined."""
    if not getattr(array.flags, "writeable", True):  # (a CuPy array has no such flag)
        raise ValueError(
            f"{name}: {what} is read-only (mc.from_numpy or mc.as_tensor of a read-only NumPy "
            f"array); make it writeable with x = x.clone(), or pass array.copy() in"
        )


def warn_overlap(name, array, what="x", stacklevel=3):
    """A masked or indexed write into shared memory: PyTorch takes it, with a warning that it
    will not (``masked_fill_``, ``x[mask] = v``). ``stacklevel`` is ``warnings.warn``'s: 3 names
    the line that called the method which called this."""
    if overlapping(array):
        warnings.warn(
            f"{name} into {what} whose elements share memory (an expand() view, strides "
            f"{tuple(array.strides)} bytes) is deprecated in PyTorch; clone() it first",
            UserWarning,
            stacklevel=stacklevel,
        )


def _refuse(what, why):
    raise RuntimeError(
        f"backward(): {what} was changed in place after the forward pass, {why} (an optimizer "
        f"step before backward? x += ... under no_grad?); call backward first, or change a copy "
        f"(x = x + ...)"
    )
