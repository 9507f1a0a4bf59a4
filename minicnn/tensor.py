"""Tensor and the autograd engine.

A ``Tensor`` wraps one array (``.data``, NumPy or CuPy) and, when it was made by
an op on tensors that require gradients, the ``Function`` node that made it.
The graph is built as the code runs (define-by-run). ``loss.backward()`` visits
the nodes in reverse topological order, so each node's output gradient is
complete (all its uses summed) before its own ``backward`` runs, and frees the
graph as it goes unless ``retain_graph=True``.

A node's backward reads arrays its forward kept, often its inputs' own arrays. A change
to a Tensor's array in place (``x += 1`` under ``no_grad``, an optimizer step) is counted,
as PyTorch's version counter does, and backward refuses a node whose kept arrays were
changed after its forward: the gradient would be that of other numbers. Tensors on the same
memory share one count: an op whose result is a view of an input's array (``x[0]``, ``x.T``,
``reshape``, ``squeeze``, ``expand``, ``chunk`` ...) hands the input's count to the result, and
``detach()`` hands it on too, so a write through any of them counts for all. Writes into
``.data`` or into an array taken out with ``t.detach().numpy()`` are not counted (in PyTorch
neither). The walk itself, ``backward()`` and ``mc.autograd.grad``, is in autograd.py.

>>> import minicnn as mc
>>> x = mc.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()            # y = sum x^2, so dy/dx = 2x
>>> y.backward()
>>> x.grad.tolist()
[2.0, 4.0, 6.0]
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend, checked_fields, creation_args, in_place, inference, python_data
from .grad_mode import _mode, is_grad_enabled, no_grad  # noqa: F401 (the last two: re-exported)
from .hooks import GradHooks, RemovableHandle
from .node import Node, NodeInput


class Function(Node):
    """One op in the graph: ``forward`` and ``backward`` on raw arrays.

    Subclasses write ``forward(self, *arrays, **params) -> array`` and
    ``backward(self, gy) -> tuple`` with one gradient (or None) per input.
    ``self.needs_grad[i]`` says whether input i wants a gradient, so backward
    computes only those (all False under ``no_grad``, where no backward will run, so
    forward saves nothing for it). An optional input (a conv's bias) may be None: forward
    gets None and ``needs_grad`` is False there. Anything backward needs is
    stored on ``self``. ``name()`` and ``next_functions`` show the graph, as PyTorch's
    ``grad_fn`` (node.py).
    """

    xp: Any  # the array module of the inputs, set by apply
    tick: int  # the count of changes in place when the forward ran, set by apply (_note_for_backward)
    output_changed_at: list | None  # the output's [tick of its last change in place]; None for a view
    _hooks: GradHooks | None = None  # the output's register_hook() and retain_grad(), if asked

    def __init__(self):
        self.inputs = ()
        self.needs_grad = ()
        self.freed = False

    @classmethod
    def apply(cls, *inputs: Tensor | None, **params: Any) -> Tensor:
        """Run the op on Tensors, recording it in the graph when a gradient is wanted.

        The four steps of docs/engine.md, numbered; what a result needs beside them (the count
        of changes in place it shares with the input it views, what backward's checks compare
        later) is in ``_as_view`` and ``_note_for_backward``, below the class.
        """
        fn = cls()
        xp = _check_same_device(cls.__name__, inputs)  # 1. Tensors, all on one device
        # 2. which inputs want a gradient: none under no_grad, and then nothing is recorded
        fn.needs_grad = tuple([_mode.enabled and t is not None and t.requires_grad for t in inputs])
        y = fn.forward(*[None if t is None else t.data for t in inputs], **params)  # 3. on the raw arrays
        if xp is np and not isinstance(y, np.ndarray):
            y = np.asarray(y)  # NumPy reductions return scalars, not 0-d arrays
        # 4. link: with no gradient wanted, a plain Tensor (the node is dropped); else the node
        # keeps a link to each input, and the output points at the node
        if not any(fn.needs_grad):
            return _as_view(Tensor(y), inputs)  # a view shares its input's count of changes
        fn.inputs = tuple([t if t is None or t._fn is None else NodeInput(t) for t in inputs])
        fn.xp = xp
        out = _as_view(Tensor(y, requires_grad=True, _fn=fn), inputs)
        _note_for_backward(fn, out, inputs)  # what backward checks: changes in place, inference
        return out

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError


def _check_same_device(name, inputs):
    xp = None
    for t in inputs:
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: inputs must be Tensors, got {type(t).__name__}")
        # NOTE: the ndarray test first: this runs for every op, and xp_of costs a string split
        this = np if type(t.data) is np.ndarray else backend.xp_of(t.data)
        if xp is not None and this is not xp:
            devices = [t.device for t in inputs]
            raise TypeError(
                f"{name}: inputs are on different devices {devices}; move them with .to(device) first"
            )
        xp = this
    return xp


def _as_view(out, inputs):
    """``out``, marked a view of the input whose array its array views (``x[0]``, ``x.T``,
    ``x.reshape(...)``), if any: as PyTorch's views, it then shares that input's count of changes
    in place, so a write through either is seen by every node that kept the other (in_place.py).

    NOTE: PyTorch shares one count among all views of a base whichever elements each holds, so
    this asks which memory, not which elements: a fresh result (``y.base`` None) is checked no
    further; a view of a NumPy array that owns its memory has that array as its ``base`` (NumPy
    points every view of a view there), so it views an input that is that array or one of its
    views; any other (CuPy's, a buffer's) is compared by bounds (``may_share_memory``).
    """
    y = out.data
    base = getattr(y, "base", None)
    if base is None and all(t is None or t.data is not y for t in inputs):
        return out
    if type(base) is np.ndarray and base.base is None:  # (this runs for every op: no bounds)
        for t in inputs:
            if t is not None and (t.data is base or getattr(t.data, "base", None) is base):
                return _viewing(out, t)
        return out
    xp = backend.xp_of(y)
    for t in inputs:
        if t is not None and type(t.data) is type(y) and xp.may_share_memory(y, t.data):
            return _viewing(out, t)
    return out


def _viewing(out, t):
    """``out`` marked a view of ``t``: it shares t's count of changes in place."""
    out._changed_at, out._is_view = t._changed_at, True
    if t._inference is not out._inference:  # (a view is what its base is)
        out._inference = t._inference
    return out


def _note_for_backward(fn, out, inputs):
    """Note the count of changes in place at this forward: backward compares it to refuse arrays
    changed since (in_place.py). And refuse a node that keeps an inference tensor: the mode
    promised those never enter a graph, as PyTorch's (inference.py)."""
    if inference.made[0]:  # an inference tensor exists: refuse to keep one
        inference.refuse_kept(fn, inputs)
    # NOTE: a view's changes are its base's, which the check of the inputs looks into
    fn.tick, fn.output_changed_at = in_place.changes[0], None if out._is_view else out._changed_at


def _as_array(data, dtype, device):
    """Python numbers/lists -> float32 (ints int64); arrays and NumPy scalars keep their dtype."""
    xp = backend.get_xp(device)
    if isinstance(data, Tensor):
        data = data.data
    if backend.is_cupy_array(data) or isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):  # np.float64(2.0) stays float64, as a 0-d array would
        array = np.asarray(data)
    else:  # Python numbers and lists: ragged lists and values dtype cannot hold refused there
        array = python_data.read(data, dtype)
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"tensor: expected numbers (bool, int, float or complex), got an array of dtype {array.dtype}"
        )
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return backend.to_device(array, device) if xp is not backend.xp_of(array) else array


_READ_FRESH = (list, tuple, bool, int, float, complex)


def tensor(data: Any, *, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """A new leaf Tensor holding a copy of ``data``.

    Python floats and lists become float32 (ints int64); NumPy arrays and numbers keep
    their dtype, so float64 stays float64 for gradient checks, in a list too (the
    elements' dtypes promoted: ``[np.float64(1.5), 2.0]`` is float64). As in PyTorch,
    everything after ``data`` is named (``mc.tensor(a, mc.float64)`` is refused), a dtype
    is not a string, a ragged list and a value ``dtype`` cannot hold (NaN into int64) are
    refused (python_data.py).
    """
    if not isinstance(requires_grad, bool):
        raise TypeError(f"tensor: requires_grad must be True or False, got {requires_grad!r}")
    device = creation_args.device_of("tensor", device)
    array = _as_array(data, creation_args.dtype_of("tensor", dtype), device)
    if type(data) not in _READ_FRESH or backend.is_cupy_array(array):  # (a list's array is new)
        array = backend.xp_of(array).array(array, copy=True)
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require gradients, got dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)


class Tensor:
    """An array with a gradient and a link to the op that made it."""

    __array_priority__ = 1000  # NumPy defers to Tensor (ndarray + Tensor: functional/numpy_protocol.py)
    data: Any = checked_fields.Data()  # the array (Any: NumPy or CuPy)
    grad: Any = checked_fields.Grad()  # None or a Tensor like this one
    requires_grad: bool = checked_fields.RequiresGrad()  # type: ignore[assignment]
    _hooks: GradHooks | None = None  # a leaf's register_hook(), if asked
    _is_view = False  # made by an op as a view of an input's array (_as_view)
    _retains_grad = False  # retain_grad() was called on this computed tensor
    _inference = False  # made under mc.inference_mode(), or a view of such a tensor (inference.py)
    _changed_at: list[int]  # [the tick of the last change in place], set in __init__

    def __init__(self, data, requires_grad=False, _fn=None):
        d = self.__dict__  # ops hand over arrays: no check on this path
        d["data"] = data
        d["grad"] = None
        d["requires_grad"] = requires_grad
        d["_fn"] = _fn
        # the tick of the last change in place: one list, shared with detach() and every view
        d["_changed_at"] = [0]
        if _mode.inference:
            self._inference = True

    # --- what it is ---------------------------------------------------------
    shape = property(lambda self: tuple(self.data.shape), doc="The size of each axis, a tuple of ints.")
    dtype = property(lambda self: self.data.dtype, doc="The elements' dtype (``mc.float32`` ...).")
    ndim = property(lambda self: self.data.ndim, doc="The number of axes, len(shape).")
    device = property(lambda self: backend.device_of(self.data), doc='Where the array is: "cpu" or "cuda".')
    is_cuda = property(lambda self: self.device == "cuda", doc="True when the array is on the GPU (CuPy).")
    is_leaf = property(lambda self: self._fn is None, doc="True unless an op recorded in the graph made it.")
    grad_fn = property(lambda self: self._fn, doc="The node of the graph that made it (None for a leaf).")

    def _changed_in_place(self) -> None:
        """Count a change to the array in place: a node that kept it then refuses its backward."""
        in_place.count(self._changed_at)

    def is_inference(self) -> bool:
        """Whether this is an inference tensor: made under ``mc.inference_mode()`` (inference.py)."""
        return self._inference

    def dim(self):
        """The number of axes, as ``ndim``."""
        return self.ndim

    def numel(self) -> int:
        """The number of elements, the product of the shape."""
        return int(self.data.size)

    def __repr__(self):
        grad = (
            f", grad_fn=<{type(self._fn).__name__}>"
            if self._fn
            else (", requires_grad=True" if self.requires_grad else "")
        )
        device = ", device='cuda'" if self.device == "cuda" else ""
        # as PyTorch: the dtype is shown unless it is the default float32, int64 or bool
        dtype = (
            "" if self.dtype.name in ("float32", "int64", "bool") else f", dtype=minicnn.{self.dtype.name}"
        )
        body = np.array2string(self.numpy(), separator=", ", precision=4, prefix="tensor(")
        return f"tensor({body}{device}{dtype}{grad})"

    # --- gradients ----------------------------------------------------------
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Gradients of this tensor w.r.t. every leaf that requires them, added into ``.grad``.

        ``gradient`` is d(something)/d(this tensor), of its shape; it may be left out only for
        a scalar, where it is 1 (PyTorch's name and rule). ``inputs`` (a Tensor or several)
        limits the pass to those tensors, leaves or computed, as PyTorch's. Nothing reaches any
        ``.grad`` unless the whole pass succeeds (autograd.py).
        """
        autograd.backward((self,), (gradient,), retain_graph, create_graph, inputs=inputs)

    def _accumulate(self, g):
        """Add ``g`` into ``.grad``, which then owns its array.

        NOTE: g may be the very array another input got (Add hands gy to both
        sides) or a live node's gradient, so the first one is copied: a user who
        writes ``p.grad.data *= 0.5`` changes this tensor's gradient and no other.
        Only leaves (and retained non-leaves) pay for the copy; gradients flowing
        between nodes are never copied.
        """
        xp, grad = backend.xp_of(g), self.__dict__["grad"]
        if grad is None:
            self.__dict__["grad"] = Tensor(xp.array(g, copy=True))  # an array even for 0-d (g.copy() of a
        else:  # NumPy scalar is a scalar); a new array, kept in the same grad Tensor, as PyTorch
            grad.data = xp.asarray(grad.data + g)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor too (e.g. to look at an activation's gradient):
        the gradient after this tensor's hooks, as in PyTorch; refused where none is computed.
        Returns None, as PyTorch's: call it on its own line, ``h = x * 2; h.retain_grad()``."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._fn is not None:
            self._grad_hooks().retains = weakref.ref(self)
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True for a computed tensor after ``retain_grad()``; False for a leaf, as in PyTorch."""
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` each time backward computes this tensor's gradient; a Tensor it
        returns (of the gradient's shape, dtype, device) replaces it, None keeps it. As PyTorch's:
        in the order registered, on a leaf before ``.grad`` is added to, on a computed tensor
        without ``retain_grad()``. The hook gets a copy, under ``no_grad()`` (see hooks.py)."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
        return self._grad_hooks().add(hook)

    def _grad_hooks(self) -> GradHooks:
        """A leaf's hooks, or a computed tensor's, kept on its node (see hooks.py)."""
        owner: Any = self if self._fn is None else self._fn
        if owner._hooks is None:
            owner._hooks = GradHooks()
        return owner._hooks

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` on this tensor itself and return it (a leaf's switch)."""
        self.requires_grad = flag  # checked (checked_fields.RequiresGrad)
        return self

    def detach(self) -> Tensor:
        """The same array, cut from the graph (a change to either is counted for both)."""
        t = Tensor(self.data)
        t._changed_at, t._inference = self._changed_at, self._inference
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor itself from the graph: a leaf that requires no grad from now on, as
        PyTorch's. A graph already built through it is unchanged. Refused on a view, as in PyTorch."""
        if self._is_view:
            raise RuntimeError("detach_(): can't detach a view in place; use detach() instead")
        self._fn = None
        self.__dict__["requires_grad"] = False
        return self

    # --- leaving and moving -------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array: the tensor's own array (a copy from the GPU).

        Of a tensor that requires grad it is a read-only view. A write into it would change
        numbers a node keeps for backward without being counted, and the gradient would
        silently be that of other numbers; PyTorch refuses ``numpy()`` there. To change the
        values, write through the tensor under ``mc.no_grad()`` (``t[0] = 1``, ``t.zero_()``),
        which is counted.
        """
        array = backend.to_device(self.data, "cpu")
        if self.__dict__["requires_grad"] and array is self.data:
            array = array.view()
            array.flags.writeable = False
        return array

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(
                f"item(): a Tensor with {self.data.size} elements cannot be converted to a number; "
                f"got shape {self.shape}"
            )
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        """The values as nested Python lists of numbers (a number for a 0-d tensor)."""
        return self.numpy().tolist()


# The backward pass is in autograd.py, which imports Tensor from here; the arithmetic,
# reductions and shape methods are defined in functional/ and attached to Tensor there,
# so each op's math lives in exactly one place.
from . import autograd, functional  # noqa: F401
