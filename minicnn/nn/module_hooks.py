"""Forward hooks of a Module: what ``module(x)`` runs around ``forward``, as in PyTorch.

``module(*args, **kwargs)`` runs the forward pre-hooks ``hook(module, args)`` (a non-None
result replaces ``args``; a value that is not a tuple is wrapped as ``(value,)``), then
``forward``, then the forward hooks ``hook(module, args, output)`` (a non-None result
replaces the output), each list in the order registered unless ``prepend=True`` put a
hook first. ``with_kwargs=True`` hands the keyword arguments too: a pre-hook is called
as ``hook(module, args, kwargs)`` and returns None or ``(args, kwargs)``, a hook as
``hook(module, args, kwargs, output)``. ``always_call=True`` runs a forward hook even
when ``forward`` raised (with output None; what it returns is ignored, the error goes on).
"""

from ..hooks import RemovableHandle


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
        try:
            out = self.forward(*args, **kwargs)
        except BaseException:
            for key, hook in list(self._forward_hooks.items()):
                if key in self._forward_hooks_always_called:
                    if key in self._forward_hooks_with_kwargs:
                        hook(self, args, kwargs, None)
                    else:
                        hook(self, args, None)
            raise
        for key, hook in list(self._forward_hooks.items()):
            if key in self._forward_hooks_with_kwargs:
                result = hook(self, args, kwargs, out)
            else:
                result = hook(self, args, out)
            if result is not None:
                out = result
        return out
