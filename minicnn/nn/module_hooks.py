"""Forward hooks of a Module: what ``module(x)`` runs around ``forward``, as in PyTorch.

``module(*args, **kwargs)`` runs the forward pre-hooks ``hook(module, args)`` (a non-None
result replaces ``args``; a value that is not a tuple is wrapped as ``(value,)``), then
``forward``, then the forward hooks ``hook(module, args, output)`` (a non-None result
replaces the output), each list in the order registered unless ``prepend=True`` put a
hook first. ``with_kwargs=True`` hands the keyword arguments too: a pre-hook is called
as ``hook(module, args, kwargs)`` and returns None or ``(args, kwargs)``, a hook as
``hook(module, args, kwargs, output)``. ``always_call=True`` runs a forward hook even
when ``forward`` raised (with output None; what it returns is ignored, the error goes on).

Backward hooks, as PyTorch's ``register_full_backward_pre_hook`` and
``register_full_backward_hook``: once the gradient of the module's output is known,
``pre_hook(module, grad_output)`` runs (a tuple it returns replaces ``grad_output``); once the
gradients of its positional Tensor inputs are computed, ``hook(module, grad_input,
grad_output)`` runs (a tuple it returns replaces ``grad_input``). ``grad_input`` holds one
entry per positional argument, as PyTorch's: None for one that is not a Tensor, zeros (of its
shape and dtype) for a Tensor that no gradient reached, whether it needs none or the forward
did not use it; a Tensor the hook puts there for an unused input that requires grad reaches
that input's ``.grad``. If no input requires grad but the output does (a first Linear), the
hook is called with ``grad_input`` all None as soon as ``grad_output`` is known. A hook must
return None or a tuple (or list); a bare Tensor is refused in one line, where PyTorch takes
its rows for the entries. Only when such hooks are registered does ``module(...)`` add two
identity nodes to the graph: ``_InputsHook`` below the inputs and ``_OutputHook`` above the
output. Only a forward that returns one Tensor is supported (PyTorch also takes tuples and
other structures); another output is refused.
"""

from .. import backend
from ..grad_mode import no_grad
from ..hooks import RemovableHandle
from ..tensor import Function, Tensor


def _add(table, hook, prepend, *flags):
    """Put ``hook`` into ``table`` (first if ``prepend``); ``flags`` are (set, on) pairs."""
    handle = RemovableHandle(table, *(s for s, _ in flags))
    table[handle.id] = hook
    if prepend:  # NOTE: dicts keep insertion order: rebuild with the new hook first
        rest = [(k, v) for k, v in table.items() if k != handle.id]
        table.clear()
        table.update([(handle.id, hook), *rest])
    for flagged, on in flags:
        if on:
            flagged[handle.id] = True
    return handle


class HooksMixin:
    """register_forward_pre_hook, register_forward_hook and the ``__call__`` that runs them."""

    def _init_hooks(self):
        d = self.__dict__
        d["_forward_pre_hooks"] = {}
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = {}
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_backward_pre_hooks"] = {}
        d["_backward_hooks"] = {}

    def register_full_backward_pre_hook(self, hook, *, prepend=False):
        """Call ``hook(module, grad_output)`` once the gradient of the output is known; a tuple
        it returns replaces ``grad_output``. Returns a handle whose ``remove()`` takes it off."""
        return _add(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, *, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` once the gradients w.r.t. the inputs
        are computed; a tuple it returns replaces ``grad_input`` (see this file's docstring).
        Returns a handle whose ``remove()`` takes it off."""
        return _add(self._backward_hooks, hook, prepend)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` (or ``hook(module, args, kwargs)``) before every forward;
        returns a handle whose ``remove()`` takes it off."""
        return _add(
            self._forward_pre_hooks, hook, prepend, (self._forward_pre_hooks_with_kwargs, with_kwargs)
        )

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) after
        every forward; returns a handle whose ``remove()`` takes it off."""
        return _add(
            self._forward_hooks,
            hook,
            prepend,
            (self._forward_hooks_with_kwargs, with_kwargs),
            (self._forward_hooks_always_called, always_call),
        )

    def __call__(self, *args, **kwargs):
        """forward() between the pre-hooks and the forward hooks (see this file's docstring)."""
        # each table tested before its loop: most modules have none, and every layer of every step comes here
        if self._forward_pre_hooks:
            args, kwargs = self._run_forward_pre_hooks(args, kwargs)
        call = None
        if self._backward_hooks or self._backward_pre_hooks:
            call = _BackwardCall(self, args)
            args = call.wrap_inputs(args)
        try:
            out = self.forward(*args, **kwargs)
        except BaseException:
            if self._forward_hooks_always_called:
                self._run_always_called_hooks(args, kwargs)
            raise
        if self._forward_hooks:
            out = self._run_forward_hooks(args, kwargs, out)
        return out if call is None else call.wrap_output(out)

    def _run_forward_pre_hooks(self, args, kwargs):
        """args and kwargs after each pre-hook, in order (a non-None result replaces them)."""
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        return args, kwargs

    def _run_forward_hooks(self, args, kwargs, out):
        """out after each forward hook, in order (a non-None result replaces it)."""
        for key, hook in list(self._forward_hooks.items()):
            if key in self._forward_hooks_with_kwargs:
                result = hook(self, args, kwargs, out)
            else:
                result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def _run_always_called_hooks(self, args, kwargs):
        """After a forward that raised: the ``always_call`` forward hooks, on output None (what
        they return is ignored; the error goes on)."""
        for key, hook in list(self._forward_hooks.items()):
            if key in self._forward_hooks_always_called:
                if key in self._forward_hooks_with_kwargs:
                    hook(self, args, kwargs, None)
                else:
                    hook(self, args, None)


class _BackwardCall:
    """One call's backward hooks: what the two identity nodes share."""

    def __init__(self, module, args):
        self.module, self.n = module, len(args)
        self.wants = [isinstance(a, Tensor) and a.requires_grad for a in args]
        # what a Tensor argument's zeros are made of, where no gradient reaches it (not its array)
        self.like = [
            (backend.xp_of(a.data), a.data.shape, a.dtype) if isinstance(a, Tensor) else None for a in args
        ]
        self.grad_output = None

    def wrap_inputs(self, args):
        if not any(self.wants):
            return args
        # NOTE: one node below all inputs, so the hooks see every input's gradient at once: each
        # input passes through a _Pass node that records its gradient and hands a 0-d zero to
        # the _InputsHook node's output, which the engine reaches after every _Pass node
        tensors = [a for a, w in zip(args, self.wants) if w]
        self.grads = [None] * self.n
        joined = _InputsHook.apply(*tensors, call=self)
        return tuple(
            _Pass.apply(joined, x=a.data, call=self, i=i) if w else a
            for i, (a, w) in enumerate(zip(args, self.wants))
        )

    def wrap_output(self, out):
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{self.module._label()}: full backward hooks need forward to return one Tensor, "
                f"got {type(out).__name__}"
            )
        return _OutputHook.apply(out, call=self) if out.requires_grad else out

    def run_pre_hooks(self, gy):
        grad_output = (Tensor(gy),)
        like = [(backend.xp_of(gy), gy.shape, gy.dtype)]
        for hook in list(self.module._backward_pre_hooks.values()):
            with no_grad():
                result = hook(self.module, grad_output)
            if result is not None:
                grad_output = _checked("pre hook", hook, "grad_output", result, like)
        self.grad_output = grad_output
        if not any(self.wants):  # as PyTorch: no input gradient will come, call the hooks now
            self.run_hooks([None] * self.n, zeros=False)
        return None if grad_output[0] is None else grad_output[0].data

    def run_hooks(self, grads, zeros=True):
        """The hooks on ``grads`` (arrays), where a Tensor argument that no gradient reached gets
        zeros, as in PyTorch (unless ``zeros`` is False: no input requires grad, all None)."""
        if zeros:
            grads = [
                _zeros(like) if g is None and like is not None else g for g, like in zip(grads, self.like)
            ]
        grad_input = tuple(None if g is None else Tensor(g) for g in grads)
        for hook in list(self.module._backward_hooks.values()):
            with no_grad():
                result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _checked("hook", hook, "grad_input", result, self.like)
        return [None if g is None else g.data for g in grad_input]


def _zeros(like):
    xp, shape, dtype = like
    return xp.zeros(shape, dtype)


def _checked(what, hook, name, result, like):
    """``result`` of a backward hook as the tuple it replaces, or a one-line error; ``like`` holds
    (xp, shape, dtype) of each entry's Tensor, or None where the entry is not one."""
    n = len(like)
    if isinstance(result, Tensor):  # PyTorch counts its rows (len) and fails on their shapes
        raise RuntimeError(
            f"Backward {what} returned an invalid number of {name}: a Tensor of shape {result.shape}, "
            f"where a tuple of {n} is expected (for one: return (g,))"
        )
    if not isinstance(result, (tuple, list)):
        raise TypeError(f"Backward {what} must return None or a tuple, got {type(result).__name__}")
    if len(result) != n:
        raise RuntimeError(
            f"Backward {what} returned an invalid number of {name}, got {len(result)}, but expected {n}"
        )
    for i, (g, want) in enumerate(zip(result, like)):
        if isinstance(g, Tensor) and want is not None and (g.shape, g.dtype) != want[1:]:
            label = getattr(hook, "__name__", "<unknown>")
            raise RuntimeError(
                f"Backward {what} '{label}' changed {name}[{i}] from shape {want[1]} and dtype "
                f"{want[2]} to shape {g.shape} and dtype {g.dtype}"
            )
    return tuple(result)


class _OutputHook(Function):
    """y = x.   gx = gy after the backward pre-hooks (and, when no input wants a gradient,
    the backward hooks, called with grad_input all None)."""

    def forward(self, x, *, call):
        self.call = call
        return x.view()

    def backward(self, gy):
        return self.call.run_pre_hooks(gy)


class _Pass(Function):
    """y = x, a view of the ``i``-th input (given as a parameter); its one graph input is the
    _InputsHook node's 0-d output.   Records gy as input i's gradient; gives that input 0."""

    def forward(self, joined, *, x, call, i):
        self.call, self.i, self.dtype = call, i, joined.dtype
        return x.view()

    def backward(self, gy):
        grads = self.call.grads
        grads[self.i] = gy if grads[self.i] is None else grads[self.i] + gy
        return self.xp.zeros((), dtype=self.dtype)


class _InputsHook(Function):
    """y = a 0-d zero standing for all the inputs.   gxs = the gradients the _Pass nodes
    recorded, after the backward hooks."""

    def forward(self, *xs, call):
        self.call = call
        return backend.xp_of(xs[0]).zeros((), dtype=xs[0].dtype)

    def backward(self, gy):
        recorded, self.call.grads = self.call.grads, [None] * self.call.n  # (retain_graph: anew)
        grads = self.call.run_hooks(recorded)
        return tuple(g for g, w in zip(grads, self.call.wants) if w)
