"""Arrays changed in place between a node's forward and its backward.

A node's backward reads what its forward kept on it, often its inputs' own arrays (Mul keeps
both factors, Linear its weight) or its output (Exp, ReLU). Changing such an array in place
afterwards (``x += 1`` under ``no_grad``, an optimizer step before ``backward()``) would make
the backward compute the gradient of other numbers than the forward used. PyTorch counts the
changes of each tensor (its version counter) and refuses; so does minicnn.

The count: a process-wide tick (``changes``) advanced by every change in place, each Tensor's
tick of its last change (``_changed_at``, shared with its ``detach()``), and each node's tick at
its forward (``fn.tick``, set in tensor.py). When no change happened since a node's forward,
its backward runs at once; otherwise ``check_unchanged`` looks at what the node kept.
"""

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
    allows. An input no longer held by anyone, and the node's output, are not looked into:
    any change to them is refused.
    """
    name = type(fn).__name__
    changed = [i for i, t in enumerate(fn.inputs) if t is not None and t._changed_at[0] > fn.tick]
    if fn.output_changed_at[0] > fn.tick:
        what = f"the output of {name}"  # most ops that keep their output (exp, relu) keep it whole
    else:
        kept = list(kept_arrays(fn))
        what = None
        for i in changed:
            a = fn.inputs[i].data
            if a is None or any(backend.xp_of(a).may_share_memory(a, k) for k in kept):
                what = f"input {i} of {name}"
                break
        if what is None:
            return
    raise RuntimeError(
        f"backward(): {what} was changed in place after the forward pass, which kept it for the "
        f"gradient (an optimizer step before backward? x += ... under no_grad?); call backward "
        f"first, or change a copy (x = x + ...)"
    )
